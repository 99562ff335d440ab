"""Demo data for a newcomer: operators, French locations and the tariffs their EVSEs name.

Safe to run on every start (`bash .ci/start`): creates only what is missing. It lives in the
top domain app because it composes every app's demo below it.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from locations.demo import demo_locations, ensure_demo_locations
from roaming import audit
from tariffs.demo import ensure_demo_tariffs


class Command(BaseCommand):
    help = "Create demo operators, locations and tariffs that do not exist yet (idempotent)."

    def add_arguments(self, parser):
        # Demo sessions and CDRs (finance UI) protect the locations they ran at: by default
        # only on a development instance (DEBUG, as `bash .ci/start` runs), never in tests.
        parser.add_argument("--charging", action="store_true", default=None)
        parser.add_argument("--no-charging", action="store_false", dest="charging")

    @transaction.atomic
    def handle(self, *args, **options):
        created = ensure_demo_locations()
        self.stdout.write(f"Demo data: {len(created)} location(s) created, others already present.")
        # The demo EVSEs name tariff ids: give them tariffs so no location points at nothing.
        tariffs = ensure_demo_tariffs(demo_locations())
        audit.record(
            actor=audit.command_actor("demo_data"),
            action="demo_data",
            objects=created,
            detail=f"{len(created)} location(s), {tariffs} tariff(s) created",
        )
        self.stdout.write(f"Demo data: {tariffs} tariff(s) created.")
        if options["charging"] if options["charging"] is not None else settings.DEBUG:
            call_command("demo_finance", stdout=self.stdout)
