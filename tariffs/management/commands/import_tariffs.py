"""Load OCPI 2.2.1 Tariff JSON (one object or a list) into the database, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from roaming import audit, ocpi_json
from tariffs.services import TariffImportError, import_tariffs


class Command(BaseCommand):
    help = (
        "Create or update tariffs from an OCPI 2.2.1 Tariff JSON file (object or list; "
        "Gireve's target_operator_* fields make per-eMSP descriptions). Nothing is saved if "
        "any tariff is invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = ocpi_json.loads(file.read_text(encoding="utf-8"))  # numbers as Decimal
        except OSError as exc:
            raise CommandError(f"{file}: cannot read: {exc.strerror}") from None
        except ValueError as exc:
            raise CommandError(f"{file}: not valid JSON: {exc}") from None
        try:
            result = import_tariffs(data, label=str(file))
        except TariffImportError as exc:
            raise CommandError(
                f"Nothing imported, {len(exc.errors)} problem(s):\n" + "\n".join(exc.errors)
            ) from None
        audit.record(
            actor=audit.command_actor("import_tariffs"),
            action="import_tariffs",
            objects=result.tariffs,
            detail=f"{file}: {result.created} created, {result.updated} updated",
        )
        self.stdout.write(
            f"{file}: {result.created} tariff description(s) created, {result.updated} updated."
        )
        for tariff in result.tariffs:
            if not tariff.is_publishable:
                self.stdout.write(
                    f"  {tariff}: draft, not pushed: Gireve requires start_date_time (§3.10.3)."
                )
            if not tariff.forwarded_to_emsps:
                self.stdout.write(
                    f"  {tariff}: {tariff.type} is not forwarded to eMSPs by Gireve (§2.3.2)."
                )
