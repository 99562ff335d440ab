from django.apps import AppConfig


class LocationsConfig(AppConfig):
    name = "locations"
    verbose_name = "Charging infrastructure"

    def ready(self):
        from roaming import ocpi_io
        from roaming.outbox import registry

        from . import push
        from .ocpi_io import LOCATIONS

        # A PATCH the hub answers "unknown object" is healed with these PUTs (outbox healing).
        registry.register_whole_object("location", push.whole_object)
        ocpi_io.register(LOCATIONS)  # import_locations, export_locations
