"""Django's own 404/500 answered in the OCPI envelope under /ocpi/ (never an HTML page)."""

from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

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


def _without_trailing_slash(request):
    """The view of the same OCPI URL without its trailing slash, if there is one: the spec's
    own examples write URLs so (transport_and_format §Pagination: `.../cdrs/?offset=150`)."""
    path = request.path_info
    if len(path) <= 1 or not path.endswith("/"):
        return None
    try:
        return resolve(path.rstrip("/"))
    except Resolver404:
        return None


def page_not_found(request, exception):
    if _is_ocpi(request):
        match = _without_trailing_slash(request)
        if match is not None:
            return match.func(request, *match.args, **match.kwargs)
        return _answer(request, OcpiError(CLIENT_ERROR, "Unknown OCPI endpoint", http_status=404))
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_ocpi(request):
        return _answer(request, OcpiError(SERVER_ERROR, "Internal server error", http_status=500))
    return defaults.server_error(request)


@csrf_exempt
def unknown_endpoint(request, rest=""):
    """Routed last under /ocpi/: the same envelope 404 when DEBUG is on (Django then shows
    its technical 404 page instead of calling handler404) and for every method (no CSRF)."""
    return page_not_found(request, None)
