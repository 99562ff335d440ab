from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from roaming.admin_base import ReadOnlyAdmin, ServiceRefusalsOnForm, short_time, truncated
from roaming.ocpi_json import dumps
from roaming.ocpi_time import format_datetime
from roaming.outbox.models import Message

from . import session_push
from .models import Authorization, Cdr, RemoteStart, Session, Token
from .session_ocpi import session_to_ocpi


@admin.register(Token)
class TokenAdmin(ServiceRefusalsOnForm, admin.ModelAdmin):
    list_display = [
        "uid",
        "type",
        "country_code",
        "party_id",
        "contract_id",
        "valid",
        "whitelist",
        "last_updated",
    ]
    list_filter = ["type", "valid", "whitelist", "country_code", "party_id"]
    search_fields = ["uid", "contract_id", "visual_number", "issuer"]
    readonly_fields = ["last_updated"]

    def has_delete_permission(self, request, obj=None):
        return False  # eMSPs own their tokens (mod_tokens): they invalidate them, we don't delete


# --- Sessions and CDRs: read-only, what the hub received ---------------------------------


# Sessions, CDRs and authorizations change only through services (CSMS events, credit_cdr):
# never by hand in admin (roaming.admin_base.ReadOnlyAdmin).


TEST_WORDS = "OCPI self-test charge (sessions.test_charge): never billed"


def _test_tag(obj):
    """A visible TEST marker on a self-test Session or CDR (list column and page)."""
    if not obj.is_test:
        return ""
    return format_html(
        '<strong style="background:#e6dcf7;color:#4b2a86;padding:0 6px;border-radius:8px" '
        'title="{}">TEST</strong>',
        TEST_WORDS,
    )


class TestMarkerMixin:
    """Self-test objects: a TEST column and filter in the list, a TEST line atop the page."""

    @admin.display(description="test", ordering="is_test")
    def test_tag(self, obj):
        return _test_tag(obj)

    @admin.display(description="Self-test")
    def test_marker(self, obj):
        return format_html("{} {}", _test_tag(obj), TEST_WORDS)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return ["test_marker", *fields] if obj is not None and obj.is_test else fields


@admin.register(Authorization)
class AuthorizationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Every decision on a badge (CSMS bridge): read-only, it is what sessions and CDRs use."""

    list_display = [
        "created_at",
        "uid",
        "type",
        "evse",
        "accepted",
        "reason",
        "source",
        "authorization_reference",
        "hub_latency_ms",
        "latency_ms",
    ]
    list_filter = ["accepted", "reason", "source", "type"]
    list_select_related = ["evse"]
    search_fields = ["uid", "id_tag", "authorization_reference", "evse__uid", "evse__evse_id"]
    date_hierarchy = "created_at"


def _link(viewname: str, pk, text: str):
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), text)


def _outcome(message: Message):
    """HTTP / OCPI status of the last exchange, the error or the note, and what replaced it."""
    parts = []
    if message.last_http_status is not None:
        parts.append(f"{message.last_http_status} / {message.last_ocpi_status or '—'}")
    text = message.last_error or message.note
    if text:
        parts.append(text[:200])
    outcome = format_html("{}", " · ".join(parts) or "—")
    if message.superseded_by_id is None:
        return outcome
    pk = message.superseded_by_id
    return format_html("{} → {}", outcome, _link("admin:outbox_message_change", pk, f"#{pk}"))


def _messages_table(stream_key: str, *, endpoint_module: str | None = None, object_id=None):
    """Every outbox message of the stream (every platform), oldest first: what left, how it
    went (state, attempts, last HTTP / OCPI status, error or note) and links to the
    message, its last exchange in the message log and the stream's ops page."""
    queryset = Message.objects.filter(stream__key=stream_key)
    if endpoint_module is not None:
        queryset = queryset.filter(endpoint_module=endpoint_module, object_id=object_id)
    messages = list(queryset.select_related("stream__platform").order_by("pk"))
    if not messages:
        return "— (nothing queued for a hub)"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                _link("admin:outbox_message_change", m.pk, f"#{m.pk}"),
                m.stream.platform,
                m.method,
                f"{m.endpoint_module or m.stream.module}{m.path}",
                m.get_state_display(),
                m.attempts,
                _outcome(m),
                _link("admin:roaming_messagelog_change", m.last_log_id, "exchange")
                if m.last_log_id
                else "—",
                format_datetime(m.created_at),
                format_datetime(m.done_at) if m.done_at else "—",
            )
            for m in messages
        ),
    )
    streams = format_html_join(
        " ",
        "{}",
        (
            (_link("admin:outbox_stream_change", pk, f"stream #{pk} ({platform})"),)
            for pk, platform in {(m.stream_id, m.stream.platform) for m in messages}
        ),
    )
    return format_html(
        "<table><tr><th>message</th><th>platform</th><th>request</th><th>state</th>"
        "<th>attempts</th><th>outcome (HTTP / OCPI, error or note)</th><th>log</th>"
        "<th>queued</th><th>done</th></tr>{}</table><p>{}</p>",
        rows,
        streams,
    )


@admin.register(Session)
class SessionAdmin(TestMarkerMixin, ReadOnlyAdmin, admin.ModelAdmin):
    # Within 1280 px with the filters (audit 2, E3): the location names its operator.
    list_display = [
        "session", "test_tag", "status", "origin", "location", "started", "ended", "kwh", "emsp",
    ]  # fmt: skip
    list_filter = ["status", "origin", "is_test", "operator"]
    list_select_related = ["operator", "location"]
    search_fields = ["ocpi_id", "transaction_id", "authorization_reference"]
    date_hierarchy = "start_date_time"
    fields = [
        "ocpi_id",
        "status",
        "invalid_reason",
        "origin",
        "operator",
        "location",
        "evse",
        "connector",
        "transaction_id",
        "start_date_time",
        "stopped_at",
        "stop_reason",
        "end_date_time",
        "kwh",
        "resets",
        "auth_method",
        "authorization_reference",
        "currency",
        "last_updated",
        "ocpi",
        "pushed",
    ]
    readonly_fields = ["test_marker", *fields]

    @admin.display(description="Meter resets (register lower than the reading before)")
    def resets(self, obj):
        if not obj.meter_resets:
            return "none"
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 (a constant)
            "{}: {} Wh → {} Wh (counting goes on from the new register)",
            ((r["at"], r["from_wh"], r["to_wh"]) for r in obj.meter_resets),
        )

    @admin.display(description="session", ordering="ocpi_id")
    def session(self, obj):
        return truncated(obj.ocpi_id, 14)

    @admin.display(description="start (UTC)", ordering="start_date_time")
    def started(self, obj):
        return short_time(obj.start_date_time)

    @admin.display(description="end (UTC)", ordering="end_date_time")
    def ended(self, obj):
        return short_time(obj.end_date_time)

    @admin.display(description="As the hub sees it (OCPI Session)")
    def ocpi(self, obj):
        return format_html("<pre>{}</pre>", dumps(session_to_ocpi(obj), indent=2))

    @admin.display(description="Every message of the session's stream (its CDRs included)")
    def pushed(self, obj):
        return _messages_table(session_push.stream_key(obj))


@admin.register(Cdr)
class CdrAdmin(TestMarkerMixin, ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "ocpi_id",
        "test_tag",
        "state",
        "credit",
        "operator",
        "emsp_party",
        "start_date_time",
        "total_energy",
        "total_cost_excl_vat",
        "currency",
    ]
    list_filter = ["state", "credit", "is_test", "operator", "emsp_country_code"]
    list_select_related = ["operator"]
    search_fields = ["ocpi_id", "session__ocpi_id", "emsp_party_id"]
    date_hierarchy = "start_date_time"
    fields = [
        "ocpi_id",
        "state",
        "held_reason",
        "session",
        "credit",
        "credit_reference",
        "rebill_of",
        "reason",
        "created_by",
        "created_at",
        "hub_location",
        "ocpi",
        "pushed",
    ]
    readonly_fields = ["test_marker", *fields]

    @admin.display(description="eMSP")
    def emsp_party(self, obj):
        return f"{obj.emsp_country_code}*{obj.emsp_party_id}"

    @admin.display(description="URL at the hub (Location header)")
    def hub_location(self, obj):
        return session_push.hub_location(obj)

    @admin.display(description="The CDR as sent (immutable)")
    def ocpi(self, obj):
        return format_html("<pre>{}</pre>", dumps(obj.data, indent=2))

    @admin.display(description="Its POST (on the session's stream, after the session)")
    def pushed(self, obj):
        return _messages_table(
            session_push.stream_key(obj.session),
            endpoint_module=session_push.CDR_MODULE,
            object_id=obj.ocpi_id,
        )


@admin.register(RemoteStart)
class RemoteStartAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Remote starts of the last minutes: their tokens skip real-time authorization (15 min)."""

    list_display = ["created_at", "uid", "type", "evse", "charge_point_id"]
    list_select_related = ["evse"]
    search_fields = ["uid", "charge_point_id"]
