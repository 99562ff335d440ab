"""Django's own 404/500 answered in the OCPI envelope under /ocpi/ (never an HTML page)."""

from django.views import defaults

from .base import (
    CLIENT_ERROR,
    SERVER_ERROR,
    OcpiError,
    add_transport_headers,
    error_response,
    transport_ids,
)


def _is_ocpi(request) -> bool:
    return request.path.startswith("/ocpi/") or request.path == "/ocpi"


def _answer(request, error: OcpiError):
    response = error_response(error)
    add_transport_headers(response, request, *transport_ids(request))
    return response


def page_not_found(request, exception):
    if _is_ocpi(request):
        return _answer(request, OcpiError(CLIENT_ERROR, "Unknown OCPI endpoint", http_status=404))
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_ocpi(request):
        return _answer(request, OcpiError(SERVER_ERROR, "Internal server error", http_status=500))
    return defaults.server_error(request)
