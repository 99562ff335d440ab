"""Tariffs sender interface (OCPI 2.2.1 mod_tariffs §Sender Interface: GET list only)."""

import json

from roaming.api import OcpiView, paginated_response

from .ocpi import dumps, tariff_to_ocpi
from .selectors import roaming_tariffs


class TariffsView(OcpiView):
    module = "tariffs"

    def get(self, request):
        """One item per description (Gireve §3.10.4), paginated like every OCPI list."""
        page: list[dict] = []

        def serialize(tariff):
            page.append(tariff_to_ocpi(tariff))
            return None

        response = paginated_response(
            request, roaming_tariffs(request.ocpi_to_operator), serialize, module=self.module
        )
        # The envelope encoder would write Decimals as strings; OCPI wants JSON numbers
        # with the exact digits, so the page is written again by tariffs.ocpi.dumps.
        body = json.loads(response.content)
        body["data"] = page
        response.content = dumps(body).encode()
        return response
