"""Virtual charge points on the demo locations, talking to the CSMS bridge API over HTTP."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from locations.enums import Status
from locations.models import EVSE
from sessions.csms.models import Csms
from sessions.csms.session_simulator import SessionPlan, SessionSimulator, plan_before
from sessions.csms.simulator import BADGES, VISITS, ChargePoint, CsmsSimulator


class Command(BaseCommand):
    help = (
        "Play a CSMS: status changes, badge swipes (valid, blocked, unknown, malformed) "
        "and a Plug & Charge car (eMAID) "
        "at every EVSE the CSMS of --key runs, sent to the bridge API over HTTP; with "
        "--session, one full charging session (swipe, start, meter values over local "
        "midnight and 22:00, EV idle, stop, EV left)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key", required=True, help="the CSMS's API key (csms_…)")
        parser.add_argument("--url", default="http://127.0.0.1:8000/api/csms/v1")
        parser.add_argument(
            "--rounds",
            type=int,
            default=len(VISITS),
            help="visits (default: each badge and the PnC car once)",
        )
        parser.add_argument("--pause", type=float, default=0.5, help="seconds between visits")
        session = parser.add_argument_group("full charging session (--session)")
        session.add_argument("--session", action="store_true", help="play one charging session")
        session.add_argument(
            "--evse", metavar="LOCATION_ID/EVSE_UID", help="where (default: the first EVSE)"
        )
        session.add_argument("--id-tag", default=BADGES[0][1], help="badge (default: valid)")
        session.add_argument(
            "--speed",
            type=float,
            default=0,
            help="simulated seconds per real second (default 0: no waiting)",
        )
        session.add_argument(
            "--step", type=int, default=300, help="simulated seconds between meter values"
        )
        session.add_argument(
            "--start",
            type=dt.datetime.fromisoformat,
            help="simulated start, ISO with offset (default: 21:40 local on the latest day "
            "the session ends before now)",
        )

    def handle(self, *args, key, url, rounds, pause, **options):
        csms = Csms.objects.for_api_key(key)
        if csms is None:
            raise CommandError("Unknown or revoked key: create a CSMS (manage.py csms_create).")
        evses = list(
            EVSE.objects.filter(csms.evses_in_scope())
            .exclude(status__in=[Status.REMOVED, Status.PLANNED])
            .select_related("location")
            .distinct()
            .order_by("location__ocpi_id", "uid")
        )
        if not evses:
            raise CommandError(f"{csms} runs no EVSE: give it operators or locations in admin.")
        simulator = CsmsSimulator(url, key, out=self.stdout.write)
        if options["session"]:
            return self._session(simulator, evses, options)
        charge_points = [ChargePoint(e.location.ocpi_id, e.uid) for e in evses]
        self.stdout.write(f"{csms}: {len(charge_points)} charge points, {rounds} visits → {url}")
        accepted = simulator.run(charge_points, rounds, pause)
        self.stdout.write(f"Done: {accepted} of {rounds} badges accepted.")

    def _session(self, simulator: CsmsSimulator, evses: list[EVSE], options) -> None:
        evse = evses[0]
        if options["evse"]:
            wanted = options["evse"].upper()
            evse = next(
                (e for e in evses if f"{e.location.ocpi_id}/{e.uid}".upper() == wanted), None
            )
            if evse is None:
                raise CommandError(f"This CSMS runs no EVSE {options['evse']}.")
        step = dt.timedelta(seconds=options["step"])
        if options["start"]:
            start = options["start"]
            if start.tzinfo is None:
                raise CommandError("--start needs an offset, e.g. 2026-01-01T21:40:00+01:00.")
            plan = SessionPlan(start=start.astimezone(dt.UTC), step=step)
            if plan.left > timezone.now():
                raise CommandError("--start: the session would end in the future.")
        else:
            plan = plan_before(timezone.now(), evse.location.time_zone, step=step)
        charge_point = ChargePoint(evse.location.ocpi_id, evse.uid)
        self.stdout.write(
            f"{charge_point}: a session from {plan.start:%Y-%m-%d %H:%M} to "
            f"{plan.left:%Y-%m-%d %H:%M} UTC ({evse.location.time_zone}), "
            f"meter values every {options['step']} s, speed {options['speed'] or 'max'}"
        )
        run = SessionSimulator(simulator).run(
            charge_point, plan, speed=options["speed"], id_tag=options["id_tag"]
        )
        last = run.last
        if last.get("session_status") == "COMPLETED":
            self.stdout.write(
                f"Done: session {last['session_id']} COMPLETED, {last['kwh']} kWh; its CDR "
                "is queued for the hub (admin: Charging sessions → Sessions / CDRs)."
            )
        else:
            raise CommandError(f"The session did not complete: {last or run.authorization}")
