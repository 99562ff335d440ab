"""Base of every inbound OCPI 2.2.1 endpoint: auth, envelope, routing headers, ids, errors, log.

Writing an endpoint (e.g. E's tariffs sender in tariffs/views.py)::

    from roaming.api import OcpiView, paginated_response

    class TariffList(OcpiView):
        module = "tariffs"          # ModuleID; used for the log and page size
        def get(self, request):
            operator = request.ocpi_to_operator   # addressed by OCPI-to-* headers
            return paginated_response(request, tariffs_of(operator), tariff_to_ocpi,
                                      module="tariffs")

then add a route in roaming/urls.py. Raise `OcpiError(2003, "Unknown tariff", http_status=404)`
for errors, `invalid("field: why")` for a 2001 on a request that reached the OCPI layer
(HTTP 200, status_codes); return `ocpi_response(data)` for a single object.
`request.ocpi_platform` is the calling Platform, `request.ocpi_from` its (country_code, party_id).
`request.ocpi_json` is the parsed body (malformed JSON is already answered with HTTP 400, 2001).
Set `routing_headers = False` for versions/credentials, `registration_allowed = True` to accept a
token A.
"""

from .base import OcpiError, OcpiView, invalid, ocpi_response
from .pagination import paginated_response

__all__ = ["OcpiError", "OcpiView", "invalid", "ocpi_response", "paginated_response"]
