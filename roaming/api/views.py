"""`OcpiAPIView`: the DRF view every OCPI endpoint subclasses, its transport rules attached."""

import logging
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from rest_framework.views import APIView

from roaming import message_log
from roaming.models import MessageLog, Platform
from roaming.openapi import OcpiAutoSchema

from . import access
from .errors import exception_handler
from .pagination import OcpiPagination
from .parsers import OcpiJSONParser
from .renderers import AlwaysOcpiJson, OcpiRenderer, add_transport_headers, transport_ids

logger = logging.getLogger(__name__)


class OcpiAPIView(APIView):
    """Token authentication, IP allowlist, URL ids, routing headers, rate limit, JSON body,
    the envelope for every answer, X-Request-ID / X-Correlation-ID, the message log.

    `module` names the OCPI module (log, page size); `routing_headers = False` for the
    configuration modules; `registration_allowed = True` to accept a token A.
    """

    module = ""
    routing_headers = True
    registration_allowed = False
    # No OPTIONS: DRF's answer to it is not an OCPI envelope (transport_and_format).
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]
    authentication_classes = [access.OcpiTokenAuthentication]
    permission_classes = [access.IpAllowlist, access.UrlIds, access.RoutingHeaders]
    throttle_classes = [access.TokenRateThrottle]
    parser_classes = [OcpiJSONParser]
    renderer_classes = [OcpiRenderer]
    content_negotiation_class = AlwaysOcpiJson
    pagination_class = OcpiPagination
    schema = OcpiAutoSchema()  # the OpenAPI description (roaming.openapi)

    def get_exception_handler(self):
        return exception_handler

    def initialize_request(self, request, *args, **kwargs):
        self.started = time.monotonic()
        # Gireve §2.1.4: every request this one causes carries the same correlation id.
        self.request_id, self.correlation_id = transport_ids(request.headers)
        if not request.META.get("CONTENT_TYPE"):
            request.META["CONTENT_TYPE"] = "application/json"  # OCPI bodies are JSON
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH"):
            request.data  # noqa: B018 - a bad body (413, 415, 400) is answered before the view

    def paginated(self, objects, to_ocpi=None, *, page_to_ocpi=None):
        """An OCPI page of `objects` (QuerySet or list) through `to_ocpi` or `page_to_ocpi`."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(objects, self.request, view=self)
        data = page_to_ocpi(page) if page_to_ocpi else [to_ocpi(obj) for obj in page]
        return paginator.get_paginated_response(data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_transport_headers(response, request.headers, self.request_id, self.correlation_id)
        response.render()
        try:
            self.log_exchange(request, response)
        except Exception:  # noqa: BLE001 - the answer is given even when the log cannot be
            logger.exception("OCPI exchange not logged")
        return response

    def log_exchange(self, request, response) -> None:
        # The party to search by: the owner named in a client-owned object URL (the eMSP of a
        # token, even when the hub broadcasts it), else the OCPI-from party.
        owner = (self.kwargs.get("country_code"), self.kwargs.get("party_id"))
        sender = owner if all(owner) else getattr(request, "ocpi_from", None)
        platform = getattr(request, "_user", None)  # set once authentication succeeded
        message_log.record(
            direction=MessageLog.Direction.INBOUND,
            platform=platform if isinstance(platform, Platform) else None,
            method=request.method,
            url=request.get_full_path(),
            module=self.module,
            request_headers=request.headers,
            request_body=_loggable_body(request._request),
            http_status=response.status_code,
            ocpi_status=getattr(response, "ocpi_status", 1000),
            response_body=response.content,
            duration_ms=int((time.monotonic() - self.started) * 1000),
            request_id=self.request_id,
            correlation_id=self.correlation_id,
            object_id="/".join(str(value) for value in self.kwargs.values()),
            party=f"{sender[0]}*{sender[1]}".upper() if sender else "",
        )


def _loggable_body(request) -> bytes:
    """The body, unless it was refused as too large (or never read past Django's limit)."""
    try:
        body = request.body
    except (RequestDataTooBig, RawPostDataException):
        return b""
    return body if len(body) <= settings.OCPI_MAX_BODY_BYTES else b""
