"""The OCPI 2.2.1 API on Django REST framework: every inbound endpoint subclasses `OcpiAPIView`.

    from roaming.api import OcpiAPIView

    class TariffsView(OcpiAPIView):
        module = "tariffs"          # ModuleID: message log and page size
        def get(self, request):     # request.ocpi_to_operator: named by OCPI-to-*
            return self.paginated(roaming_tariffs(request.ocpi_to_operator), tariff_to_ocpi)

Return `Response(data)` for one object (the renderer wraps it in the envelope); raise
`OcpiError(2003, "Unknown tariff", http_status=404)`; read a body with a serializer of
roaming.ocpi_serializers (`TokenIn.read(request.data)` raises the 2001 naming the fields).
`request.user` is the calling Platform, `request.auth` its token. The app routes the view in
its `ocpi_urls.py` and registers its module there (`roaming.views.register_module`).
"""

from .errors import OcpiError, invalid
from .views import OcpiAPIView

__all__ = ["OcpiAPIView", "OcpiError", "invalid"]
