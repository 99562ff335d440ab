"""OCPI errors and how each is answered (OCPI 2.2.1 status_codes, transport_and_format).

Raise `OcpiError(2003, "Unknown location", http_status=404)` anywhere in a view, or
`invalid("field: why")` for a 2001. `exception_handler` (DRF's hook on `OcpiAPIView`) turns
every exception into an answer in the envelope; `page_not_found` / `server_error` do it for
Django's own 404 and 500 under /ocpi/, which never reach a DRF view.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404, HttpResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from .renderers import add_transport_headers, envelope_bytes, transport_ids

logger = logging.getLogger(__name__)

SUCCESS = 1000
CLIENT_ERROR = 2000
INVALID_PARAMETERS = 2001
UNKNOWN_LOCATION = 2003
UNKNOWN_TOKEN = 2004
SERVER_ERROR = 3000


class OcpiError(exceptions.APIException):
    def __init__(self, ocpi_status: int, message: str, *, http_status: int = 400):
        super().__init__(message)
        self.ocpi_status, self.message, self.status_code = ocpi_status, message, http_status


def invalid(message: str) -> OcpiError:
    """2001 for a request that reached the OCPI layer: status_codes says that to a request in
    valid JSON, for an existing resource, from an authenticated sender, "an HTTP error status
    code MUST NOT be returned" (and a hub retries what did not get a 2xx, Gireve §3.5.5,
    while a 2001 is a verdict on the data). Malformed JSON stays HTTP 400."""
    return OcpiError(INVALID_PARAMETERS, message, http_status=200)


def problems(errors, path: str = "") -> list[str]:
    """DRF's nested errors as lines naming the field path: `roles[0].role: must be one of`."""
    if isinstance(errors, dict):
        items = errors.items()
    elif isinstance(errors, list) and not all(isinstance(e, str) for e in errors):
        items = enumerate(errors)
    else:
        messages = errors if isinstance(errors, list) else [errors]
        return [f"{path or 'body'}: {message}" for message in messages]
    lines = []
    for key, value in items:
        if isinstance(key, int):
            lines += problems(value, f"{path}[{key}]")
        else:
            lines += problems(
                value, path if key == "non_field_errors" else f"{path}.{key}".lstrip(".")
            )
    return lines


def _as_ocpi(exc) -> tuple[int, int, str] | None:
    """(HTTP status, OCPI status, message) of an exception, None for an unexpected one."""
    if isinstance(exc, OcpiError):
        return exc.status_code, exc.ocpi_status, exc.message
    if isinstance(exc, exceptions.ValidationError):
        return 200, INVALID_PARAMETERS, "Invalid data: " + "; ".join(problems(exc.detail))
    if isinstance(exc, ModelValidationError):
        # A model rule the serializer missed: the caller's data, a 2001; nothing was saved.
        return 200, INVALID_PARAMETERS, "Invalid data: " + "; ".join(exc.messages)
    if isinstance(exc, exceptions.ParseError):
        return 400, INVALID_PARAMETERS, str(exc.detail)  # status_codes: not JSON -> HTTP 400
    if isinstance(exc, exceptions.UnsupportedMediaType):
        # transport_and_format: bodies are JSON.
        return 415, CLIENT_ERROR, "Content-Type must be application/json"
    if isinstance(exc, RequestDataTooBig):  # beyond Django's DATA_UPLOAD_MAX_MEMORY_SIZE
        return 413, CLIENT_ERROR, "Request body too large"
    if isinstance(exc, Http404):
        return 404, CLIENT_ERROR, "Not found"
    if isinstance(exc, exceptions.APIException):  # 401, 403, 405, 429: DRF's own message
        return exc.status_code, CLIENT_ERROR, str(exc.detail)
    return None


def exception_handler(exc, context):
    """Every error in the envelope; an unexpected one is a 3000, never an HTML 500."""
    answer = _as_ocpi(exc)
    if answer is None:
        if settings.DEBUG_PROPAGATE_EXCEPTIONS:
            return None  # DRF re-raises it
        logger.exception("OCPI endpoint failed", exc_info=exc)
        answer = (500, SERVER_ERROR, f"Internal error: {type(exc).__name__}")
    http_status, ocpi_status, message = answer
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        headers["Retry-After"] = str(int(exc.wait))
    response = Response(status=http_status, headers=headers)
    response.ocpi_status, response.ocpi_message = ocpi_status, message
    return response


# --- Django's own answers under /ocpi/ ----------------------------------------------------


def _plain_answer(request, http_status: int, ocpi_status: int, message: str) -> HttpResponse:
    response = HttpResponse(
        envelope_bytes(None, ocpi_status=ocpi_status, message=message),
        status=http_status,
        content_type="application/json",
    )
    add_transport_headers(response, request.headers, *transport_ids(request.headers))
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
    if request.path.startswith("/ocpi/") or request.path == "/ocpi":
        match = _without_trailing_slash(request)
        if match is not None:
            return match.func(request, *match.args, **match.kwargs)
        return _plain_answer(request, 404, CLIENT_ERROR, "Unknown OCPI endpoint")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/ocpi/") or request.path == "/ocpi":
        return _plain_answer(request, 500, SERVER_ERROR, "Internal server error")
    return defaults.server_error(request)


@csrf_exempt
def unknown_endpoint(request, rest=""):
    """Routed last under /ocpi/: the same envelope 404 when DEBUG is on (Django then shows
    its technical 404 page instead of calling handler404) and for every method (no CSRF)."""
    return page_not_found(request, None)
