"""Run the Gireve qualification self-test against a platform and write its report."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from roaming import audit, ocpi_json
from roaming.models import Platform
from sessions.enums import TokenType
from sessions.selftest.runner import Options, SelfTestError, run_selftest


class Command(BaseCommand):
    help = (
        "Run every qualification use case (Gireve §3.3) against a platform, using a test "
        "location, and write an HTML and a JSON report. Needs the web server (the hub calls "
        "us) and normally a Celery worker (the outbox)."
    )

    def add_arguments(self, parser):
        parser.add_argument("platform", help='the platform\'s name, e.g. "Gireve preprod"')
        parser.add_argument("--location", required=True, help="OCPI id of the test location")
        parser.add_argument("--operator", default="", help="CC*PID when several use that id")
        parser.add_argument("--evse", default="", help="uid of the test EVSE (default: first)")
        parser.add_argument("--token", default="", help="test token uid given by Gireve (RTA)")
        parser.add_argument("--token-type", default=TokenType.RFID, choices=TokenType.values)
        parser.add_argument(
            "--wait",
            type=float,
            default=120.0,
            help="seconds to wait for what the hub starts: registration, pull, commands",
        )
        parser.add_argument(
            "--delivery-timeout",
            type=float,
            default=60.0,
            help="seconds for the outbox to deliver each step",
        )
        parser.add_argument("--output", default="", help="directory for the report files")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run against a production hub (FR*007) anyway",
        )

    def handle(self, *args, **opts):
        try:
            platform = Platform.objects.get(name=opts["platform"])
        except Platform.DoesNotExist:
            names = ", ".join(Platform.objects.values_list("name", flat=True)) or "none"
            raise CommandError(
                f"No platform named {opts['platform']!r} (platforms: {names})."
            ) from None
        if opts["wait"] < 0 or opts["delivery_timeout"] <= 0:
            raise CommandError("--wait must be 0 or more and --delivery-timeout more than 0.")
        options = Options(
            location_id=opts["location"],
            operator=opts["operator"],
            evse_uid=opts["evse"],
            token_uid=opts["token"],
            token_type=opts["token_type"],
            wait=opts["wait"],
            delivery_timeout=opts["delivery_timeout"],
            allow_production=opts["allow_production"],
        )
        output = Path(opts["output"] or settings.VAR_DIR / "selftest")
        actor = audit.command_actor("ocpi_selftest")
        self.stdout.write(
            f"Self-test of {platform.name}: waiting up to {options.wait:g} s "
            "for what the hub starts…"
        )
        try:
            run = run_selftest(platform=platform, options=options, started_by=actor)
        except SelfTestError as error:
            raise CommandError(str(error)) from error
        audit.record(
            actor=actor, action="selftest", objects=[platform], detail=f"run {run.pk}: {run.result}"
        )
        html, json_file = write_report(run, output)
        self.stdout.write(run.summary)
        self.stdout.write(f"\nReport: {html}\n        {json_file}")
        if run.result != "pass":
            raise CommandError(f"Self-test {run.result.upper()}: read the report above.")


def write_report(run, directory: Path) -> tuple[Path, Path]:
    """The run's report as two files named after it (UTC start time)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"selftest-{run.pk}-{run.started_at:%Y%m%dT%H%M%SZ}"
    html = directory / f"{name}.html"
    json_file = directory / f"{name}.json"
    html.write_text(run.report_html, encoding="utf-8")
    json_file.write_text(ocpi_json.dumps(run.report), encoding="utf-8")
    return html, json_file
