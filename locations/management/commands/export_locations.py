"""Print locations as an OCPI 2.2.1 Location JSON list (what the hub would see)."""

from roaming.ocpi_io import ExportCommand


class Command(ExportCommand):
    kind = "locations"
    help = "Print all locations (or one operator's) as a JSON list of OCPI 2.2.1 Locations."
