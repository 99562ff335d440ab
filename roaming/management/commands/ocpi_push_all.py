"""Queue a whole PUT of everything we share, e.g. after (re)registration with Gireve."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from roaming import audit
from roaming.models import Platform
from roaming.resync import PUSH_ALL, ResyncError, describe, resync


class Command(BaseCommand):
    help = (
        "Queue a whole PUT of every published object to a platform (Gireve needs the whole "
        "EVCI after (re)registration): tariffs, then locations. Sent by the outbox workers, "
        "in order per object."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="platform name")
        parser.add_argument(
            "--module",
            action="append",
            choices=list(PUSH_ALL),
            help="module to push (repeatable; default: every module the platform receives, "
            "tariffs first)",
        )

    def handle(self, *args, name, module, **options):
        platform = Platform.objects.filter(name=name).first()
        if platform is None:
            raise CommandError(f"No platform named {name!r}.")
        try:
            with transaction.atomic():
                counts = resync(platform=platform, modules=module)
                audit.record(
                    actor=audit.command_actor("ocpi_push_all"),
                    action="resync",
                    objects=[platform],
                    detail=describe(counts),
                )
        except ResyncError as error:
            raise CommandError(str(error)) from error
        for each, count in counts.items():
            self.stdout.write(f"{each}: {count} object(s) queued for {name}.")
