"""CSMS bridge API views (/api/csms/v1/): DRF, JSON only, API key, every exchange logged.

Not OCPI: no envelope. Classes are set here explicitly (the project sets no global DRF
defaults for them). Errors: 400 invalid body ({"field": ["…"]}), 401 key, 403 another
operator's EVSE, 404 unknown EVSE or transaction, 409 event id reused for another event,
EVSE REMOVED, or a transaction event that contradicts an earlier one.
"""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from roaming import message_log
from sessions import metrics

from . import exchange, serializers, services, transactions
from .auth import ApiKeyAuthentication, IsCsms

MODULE = "csms"
ERRORS = {
    400: OpenApiResponse(description="Invalid body: {field: [messages]} or {detail}"),
    401: OpenApiResponse(description="Missing, unknown or revoked API key"),
    403: OpenApiResponse(description="EVSE not run by this CSMS"),
    404: OpenApiResponse(description="Unknown EVSE, connector or mapping"),
    409: OpenApiResponse(description="event_id already used for another event"),
}
TRANSACTION_ERRORS = {
    **ERRORS,
    404: OpenApiResponse(description="Unknown transaction (no transaction-started received)"),
    409: OpenApiResponse(
        description="event_id already used for another event, or the event contradicts the "
        "transaction (already stopped, EV already left, session completed)"
    ),
}


class CsmsView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsCsms]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    throttle_classes = []

    def dispatch(self, request, *args, **kwargs):
        try:
            raw = request.body  # read before DRF parses it: logged as received
        except RequestDataTooBig:
            return JsonResponse({"detail": "Body too large."}, status=413)
        token = exchange.begin(request, raw)
        try:
            response = super().dispatch(request, *args, **kwargs)
            response.render()
            event = request.path.rstrip("/").rsplit("/", 1)[-1]  # authorize, evse-status…
            metrics.BRIDGE_EVENTS.labels(event, str(response.status_code)).inc()
            current = exchange.current()
            if not current.logged:  # a processed event's row committed with its effect
                current.csms = getattr(self.request, "auth", None)
                message_log.record(
                    **current.log_fields(
                        http_status=response.status_code,
                        response_body=response.content,
                        event_id=_event_id(raw),  # from the bytes: a refused body may not parse
                    )
                )
        finally:
            exchange.end(token)
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        exchange.current().csms = request.auth

    def handle_exception(self, exc):
        if isinstance(exc, services.BridgeError):
            return Response({"detail": exc.message}, status=exc.http_status)
        return super().handle_exception(exc)


def _event_id(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return ""
    return str(body.get("event_id") or "") if isinstance(body, dict) else ""


class EventView(CsmsView):
    """POST one event: its body checked by `event_serializer`, then `process(csms, event)`."""

    event_serializer: type[serializers.EventSerializer]
    process: staticmethod

    def post(self, request):
        event = self.event_serializer(data=request.data)
        event.is_valid(raise_exception=True)
        return Response(self.process(csms=request.auth, event=event.validated_data))


@extend_schema_view(
    post=extend_schema(
        summary="Report an EVSE/connector status (OCPP 1.6, 2.0.1 or OCPI vocabulary)",
        request=serializers.StatusEventSerializer,
        responses={200: serializers.StatusAnswerSerializer, **ERRORS},
    )
)
class EvseStatusView(EventView):
    event_serializer = serializers.StatusEventSerializer
    process = staticmethod(services.report_status)


@extend_schema_view(
    post=extend_schema(
        summary="Decide on a badge presented at an EVSE (synchronous, asks the hub if needed)",
        request=serializers.AuthorizeEventSerializer,
        responses={200: serializers.AuthorizeAnswerSerializer, **ERRORS},
    )
)
class AuthorizeView(EventView):
    event_serializer = serializers.AuthorizeEventSerializer
    process = staticmethod(services.authorize)


def _transaction_view(name: str, summary: str, serializer, process, errors=TRANSACTION_ERRORS):
    view = extend_schema_view(
        post=extend_schema(
            summary=summary,
            request=serializer,
            responses={200: serializers.TransactionAnswerSerializer, **errors},
        )
    )(type(name, (EventView,), {"event_serializer": serializer, "process": staticmethod(process)}))
    return view


TransactionStartedView = _transaction_view(
    "TransactionStartedView",
    "A transaction started (after an authorization, a remote start, or none)",
    serializers.TransactionStartedSerializer,
    transactions.transaction_started,
    errors={
        **ERRORS,
        409: OpenApiResponse(
            description="event_id reused, transaction id already started, or the "
            "authorization already used"
        ),
    },
)
MeterValuesView = _transaction_view(
    "MeterValuesView",
    "Meter values of a transaction (late ones with their real times)",
    serializers.MeterValuesSerializer,
    transactions.meter_values,
)
TransactionStoppedView = _transaction_view(
    "TransactionStoppedView",
    "A transaction stopped (the EV may stay plugged: parking until ev-left)",
    serializers.TransactionStoppedSerializer,
    transactions.transaction_stopped,
)
EvLeftView = _transaction_view(
    "EvLeftView",
    "The EV left: the end of parking and of the session (COMPLETED, CDR)",
    serializers.EvLeftSerializer,
    transactions.ev_left,
)
