"""Demo charging for the finance UI: a few months of sessions and CDRs (idempotent)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from roaming import audit
from sessions.finance.demo import create_demo_charging
from sessions.finance.selectors import FINANCE_ZONE


class Command(BaseCommand):
    help = (
        "Charge at the demo EVSEs for the demo eMSPs through the session services: a few "
        "months of priced sessions and CDRs (run demo_data first). Adds nothing if present."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=3, help="Months back (default 3).")
        parser.add_argument("--per-day", type=int, default=2, help="Charges a day, about.")

    def handle(self, *args, months, per_day, **options):
        if not 1 <= months <= 24 or not 1 <= per_day <= 100:
            raise CommandError("--months is 1 to 24 and --per-day 1 to 100.")
        today = timezone.now().astimezone(FINANCE_ZONE).date()
        created = create_demo_charging(today=today, months=months, per_day=per_day)
        if created:
            audit.record(
                actor=audit.command_actor("demo_finance"),
                action="demo_data",
                detail=f"{created} demo CDR(s) created",
            )
        self.stdout.write(f"Demo charging: {created} CDR(s) created (0: already present).")
