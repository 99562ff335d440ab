from django.apps import AppConfig


class LocationsConfig(AppConfig):
    name = "locations"
    verbose_name = "Charging infrastructure"

    def ready(self):
        from roaming import ocpi_io

        from .ocpi_io import LOCATIONS

        ocpi_io.register(LOCATIONS)  # import_locations, export_locations
