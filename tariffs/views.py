"""Tariffs sender interface (OCPI 2.2.1 mod_tariffs §Sender Interface: GET list only)."""

from roaming.api import OcpiAPIView

from .ocpi import tariff_to_ocpi
from .selectors import roaming_tariffs


class TariffsView(OcpiAPIView):
    module = "tariffs"

    def get(self, request):
        """One item per description (Gireve §3.10.4), paginated like every OCPI list; the
        envelope writes amounts with their exact digits (roaming.api.renderers)."""
        return self.paginated(roaming_tariffs(request.ocpi_to_operator), tariff_to_ocpi)
