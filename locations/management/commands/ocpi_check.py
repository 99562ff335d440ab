"""Compare one of our Locations with the hub's copy of it."""

from django.core.management.base import BaseCommand, CommandError

from locations.hub_check import check_location
from locations.models import Location
from roaming.hub_check import hub_platform
from roaming.models import Operator, split_emi3


class Command(BaseCommand):
    help = "GET the hub's copy of a Location (client-owned URL) and list what differs from ours."

    def add_arguments(self, parser):
        parser.add_argument("location_id", help="OCPI id of the Location")
        parser.add_argument("--operator", help="CC*PID when several operators use that id")
        parser.add_argument("--platform", help="platform name when several are connected")

    def handle(self, *args, location_id, operator, platform, **options):
        locations = Location.objects.filter(ocpi_id__iexact=location_id)
        if operator:
            locations = locations.filter(operator__in=Operator.objects.party(*split_emi3(operator)))
        found = list(locations.select_related("operator")[:2])
        if len(found) != 1:
            raise CommandError(f"{len(found)} locations match {location_id!r}: give --operator")
        try:
            hub = hub_platform(platform)
        except LookupError as error:
            raise CommandError(str(error)) from error
        result = check_location(platform=hub, location=found[0])
        if not result.found:
            raise CommandError(f"{hub} has no usable copy of {location_id}: {result.message}")
        if result.same:
            self.stdout.write(f"{location_id}: the hub's copy matches ours.")
            return
        self.stdout.write(f"{location_id}: {len(result.differences)} difference(s) with {hub}:")
        for line in result.differences:
            self.stdout.write(f"  {line}")
