"""Unregister a platform: DELETE our credentials at their side, then forget the connection."""

from django.core.management.base import BaseCommand, CommandError

from roaming import audit
from roaming.models import Platform
from roaming.registration import RegistrationError, unregister


class Command(BaseCommand):
    help = "Unregister a platform (DELETE to them; our tokens and their endpoints are dropped)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--local-only",
            action="store_true",
            help="do not call them (they are gone or already unregistered us)",
        )

    def handle(self, *args, name, local_only, **options):
        platform = Platform.objects.filter(name=name).first()
        if platform is None:
            raise CommandError(f"No platform named {name!r}")
        try:
            unregister(platform=platform, notify_remote=not local_only)
        except RegistrationError as error:
            raise CommandError(
                f"Unregister failed ({error.ocpi_status}): {error}. Nothing changed; "
                "use --local-only to forget the platform without telling it."
            ) from error
        audit.record(
            actor=audit.command_actor("ocpi_unregister"),
            action="forget" if local_only else "unregister",
            objects=[platform],
        )
        self.stdout.write(f"Platform {name} unregistered.")
