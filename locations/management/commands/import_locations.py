"""Load OCPI 2.2.1 Location JSON (one object or a list) into the database, all or nothing."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from locations.services import LocationImportError, import_locations
from roaming import audit


class Command(BaseCommand):
    help = (
        "Create or update locations from an OCPI 2.2.1 Location JSON file (object or list). "
        "Nothing is saved if any location is invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--create-operators",
            action="store_true",
            help="create operators (country_code/party_id) that do not exist yet",
        )

    def handle(self, *args, file: Path, create_operators: bool, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"{file}: cannot read: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file}: not valid JSON: {exc}") from None
        try:
            result = import_locations(data, create_operators=create_operators, label=str(file))
        except LocationImportError as exc:
            raise CommandError(
                f"Nothing imported, {len(exc.errors)} problem(s):\n" + "\n".join(exc.errors)
            ) from None
        audit.record(
            actor=audit.command_actor("import_locations"),
            action="import_locations",
            objects=result.locations,
            detail=f"{file}: {result.created} created, {result.updated} updated, "
            f"{result.removed_evses} EVSE(s) REMOVED",
        )
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(
            f"{file}: {result.created} location(s) created, {result.updated} updated, "
            f"{result.removed_evses} EVSE(s) marked REMOVED."
        )
        for location in result.locations:
            if location.gireve_missing:
                self.stdout.write(
                    f"  {location.ocpi_id}: not publishable to Gireve, missing "
                    + "; ".join(location.gireve_missing)
                )
