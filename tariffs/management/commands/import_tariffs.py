"""Load OCPI 2.2.1 Tariff JSON (one object or a list) into the database, all or nothing."""

from roaming.ocpi_io import ImportCommand


class Command(ImportCommand):
    kind = "tariffs"
    help = (
        "Create or update tariffs from an OCPI 2.2.1 Tariff JSON file (object or list; "
        "Gireve's target_operator_* fields make per-eMSP descriptions). Nothing is saved if "
        "any tariff is invalid."
    )
