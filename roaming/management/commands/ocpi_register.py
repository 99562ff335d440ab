"""Register ToIOP: we call their versions with their token A and POST our credentials."""

from django.core.management.base import BaseCommand, CommandError

from roaming.api import OcpiError
from roaming.models import Platform
from roaming.registration import register_to


class Command(BaseCommand):
    help = "Register with a platform given its versions URL and the token A it issued."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--versions-url", required=True)
        parser.add_argument("--token", required=True, help="their token A")

    def handle(self, *args, name, versions_url, token, **options):
        platform, _ = Platform.objects.get_or_create(name=name)
        try:
            platform = register_to(platform=platform, versions_url=versions_url, token_a=token)
        except OcpiError as error:
            raise CommandError(f"Registration failed ({error.ocpi_status}): {error}") from error
        self.stdout.write(
            f"{platform.name}: CONNECTED to {platform.hub_country_code}*{platform.hub_party_id}, "
            f"{platform.endpoints.count()} endpoints."
        )
