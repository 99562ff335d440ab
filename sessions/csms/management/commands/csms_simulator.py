"""Virtual charge points on the demo locations, talking to the CSMS bridge API over HTTP."""

from django.core.management.base import BaseCommand, CommandError

from locations.enums import Status
from locations.models import EVSE
from sessions.csms.models import Csms
from sessions.csms.simulator import BADGES, ChargePoint, CsmsSimulator


class Command(BaseCommand):
    help = (
        "Play a CSMS: status changes and badge swipes (valid, blocked, unknown, malformed) "
        "at every EVSE the CSMS of --key runs, sent to the bridge API over HTTP."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key", required=True, help="the CSMS's API key (csms_…)")
        parser.add_argument("--url", default="http://127.0.0.1:8000/api/csms/v1")
        parser.add_argument(
            "--rounds", type=int, default=len(BADGES), help="visits (default: each badge once)"
        )
        parser.add_argument("--pause", type=float, default=0.5, help="seconds between visits")

    def handle(self, *args, key, url, rounds, pause, **options):
        csms = Csms.objects.for_api_key(key)
        if csms is None:
            raise CommandError("Unknown or revoked key: create a CSMS (manage.py csms_create).")
        evses = (
            EVSE.objects.filter(csms.evses_in_scope())
            .exclude(status__in=[Status.REMOVED, Status.PLANNED])
            .select_related("location")
            .distinct()
            .order_by("location__ocpi_id", "uid")
        )
        charge_points = [ChargePoint(e.location.ocpi_id, e.uid) for e in evses]
        if not charge_points:
            raise CommandError(f"{csms} runs no EVSE: give it operators or locations in admin.")
        self.stdout.write(f"{csms}: {len(charge_points)} charge points, {rounds} visits → {url}")
        simulator = CsmsSimulator(url, key, out=self.stdout.write)
        accepted = simulator.run(charge_points, rounds, pause)
        self.stdout.write(f"Done: {accepted} of {rounds} badges accepted.")
