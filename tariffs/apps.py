from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "tariffs"

    def ready(self):
        from roaming import ocpi_io

        from .ocpi_io import TARIFFS

        ocpi_io.register(TARIFFS)  # import_tariffs, export_tariffs
