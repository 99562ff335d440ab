"""Print tariffs as an OCPI 2.2.1 Tariff JSON list, one item per description."""

from roaming.ocpi_io import ExportCommand


class Command(ExportCommand):
    kind = "tariffs"
    help = (
        "Print all tariffs (or one operator's), drafts included and withdrawn ones left out, "
        "as a JSON list of OCPI 2.2.1 Tariffs with exact amounts."
    )
