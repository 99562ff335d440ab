"""Load OCPI 2.2.1 Location JSON (one object or a list) into the database, all or nothing."""

from roaming.ocpi_io import ImportCommand


class Command(ImportCommand):
    kind = "locations"
    help = (
        "Create or update locations from an OCPI 2.2.1 Location JSON file (object or list). "
        "Nothing is saved if any location is invalid."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--create-operators",
            action="store_true",
            help="create operators (country_code/party_id) that do not exist yet",
        )

    def import_options(self, options: dict) -> dict:
        return {"create_operators": options["create_operators"]}
