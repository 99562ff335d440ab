"""Register FromIOP, step 1: create the platform and print the token A to give the hub."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from roaming import audit
from roaming.registration import RegistrationError, invite


class Command(BaseCommand):
    help = "Create a platform record and print a one-time registration token A."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        try:
            platform, token_a = invite(name=name)
        except RegistrationError as error:
            raise CommandError(str(error)) from error
        audit.record(
            actor=audit.command_actor("ocpi_invite"), action="issue_token_a", objects=[platform]
        )
        self.stdout.write(f"Platform: {platform.name} ({platform.get_status_display()})")
        self.stdout.write(f"Token A: {token_a}")
        self.stdout.write(f"Our versions URL: {settings.OCPI_BASE_URL}/versions")
        self.stdout.write("Give both to the hub; token A opens versions and credentials only.")
