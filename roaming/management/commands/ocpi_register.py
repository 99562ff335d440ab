"""Register ToIOP: we call their versions with their token A and POST our credentials."""

from django.core.management.base import BaseCommand, CommandError

from roaming import audit
from roaming.models import Platform
from roaming.registration import RegistrationError, register_to, update_to
from roaming.resync import initial_push_summary


class Command(BaseCommand):
    help = (
        "Register with a platform given its versions URL and the token A it issued, "
        "or --update the credentials of a connected one."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--versions-url", help="their versions endpoint")
        parser.add_argument("--token", help="their token A")
        parser.add_argument(
            "--update", action="store_true", help="PUT new credentials to a connected platform"
        )

    def handle(self, *args, name, versions_url, token, update, **options):
        try:
            if update:
                platform = Platform.objects.filter(name=name).first()
                if platform is None:
                    raise CommandError(f"No platform named {name!r}")
                platform = update_to(platform=platform)
            else:
                if not versions_url or not token:
                    raise CommandError("--versions-url and --token (their token A) are required")
                platform, _ = Platform.objects.get_or_create(name=name)
                platform = register_to(
                    platform=platform,
                    versions_url=versions_url,
                    token_a=token,
                    actor=audit.command_actor("ocpi_register"),
                )
        except RegistrationError as error:
            raise CommandError(f"Registration failed ({error.ocpi_status}): {error}") from error
        audit.record(
            actor=audit.command_actor("ocpi_register"),
            action="update_credentials" if update else "register",
            objects=[platform],
        )
        self.stdout.write(
            f"{platform.name}: CONNECTED to {platform.hub_country_code}*{platform.hub_party_id}, "
            f"{platform.endpoints.count()} endpoints."
        )
        if not update:  # Gireve §3.3: the initial full push was queued with the connection
            self.stdout.write(f"Initial full push: {initial_push_summary(platform)}.")
