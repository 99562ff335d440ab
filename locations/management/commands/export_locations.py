"""Print locations as an OCPI 2.2.1 Location JSON list (what the hub would see)."""

import json

from django.core.management.base import BaseCommand, CommandError

from locations.models import Location
from locations.ocpi import location_to_ocpi
from locations.selectors import locations_for_ocpi
from roaming.models import Operator


class Command(BaseCommand):
    help = "Print all locations (or one operator's) as a JSON list of OCPI 2.2.1 Locations."

    def add_arguments(self, parser):
        parser.add_argument("--operator", help="eMI3 operator id, e.g. FR*AB1")

    def handle(self, *args, operator: str | None, **options):
        queryset = Location.objects.all()
        if operator:
            try:
                match = Operator.objects.by_emi3(operator)
            except Operator.DoesNotExist:
                raise CommandError(
                    f"Unknown operator {operator!r} (expected e.g. FR*AB1)."
                ) from None
            queryset = queryset.filter(operator=match)
        data = [location_to_ocpi(location) for location in locations_for_ocpi(queryset)]
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
