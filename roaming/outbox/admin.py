"""Ops screens of the push outbox: what waits, what the hub refused, and the four actions.

Actions go through roaming.outbox.services (retry now, hold, resend, skip with a reason),
need `outbox.operate_streams` and leave an audit entry (roaming.audit); nothing here deletes
a message, not even for a superuser (retention purges only).
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from roaming import audit
from roaming.admin_base import ReadOnlyAdmin, short_time, truncated
from roaming.ocpi_time import format_datetime

from . import selectors, services
from .models import Message, Stream

RECENT_MESSAGES = 20


class SkipForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Kept with the skipped message, e.g. 'data fixed, a corrected PUT is queued'.",
    )


def _age(since) -> str:
    if since is None:
        return "—"
    return _duration(int((timezone.now() - since).total_seconds()))


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _log_link(log_id):
    if log_id is None:
        return "—"
    url = reverse("admin:roaming_messagelog_change", args=[log_id])
    return format_html('<a href="{}">exchange #{}</a>', url, log_id)


def _error_or_note(message: Message):
    """A healed or coalesced message says what replaced it, with a link to that message."""
    text = message.note[:300] if message.state == Message.State.HEALED else ""
    text = text or message.last_error[:100] or message.note[:100]
    if message.superseded_by_id is None:
        return text
    url = reverse("admin:outbox_message_change", args=[message.superseded_by_id])
    return format_html('{} <a href="{}">→ #{}</a>', text, url, message.superseded_by_id)


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    """One row per pushed object and platform; held streams need a person."""

    # Short enough for 1280 px with the filters: the head's error is what ops read first.
    list_display = ["object", "platform", "state", "waiting", "next_attempt", "head_error"]
    list_filter = ["held", "held_reason", "module", "platform"]
    search_fields = ["key", "messages__object_id"]
    list_select_related = ["platform"]
    actions = ["retry_now", "hold_streams", "resend_head", "skip_head"]
    readonly_fields = [
        "platform",
        "key",
        "module",
        "state",
        "held_reason",
        "held_note",
        "recent_messages",
        "next_attempt_at",
        "lease_owner",
        "locked_until",
        "delivered_count",
        "failure_count",
        "rejected_count",
        "created_at",
    ]
    fields = readonly_fields
    change_list_template = "admin/outbox/stream/change_list.html"

    def get_queryset(self, request):
        waiting = Q(messages__state__in=selectors.WAITING)
        return (
            super()
            .get_queryset(request)
            .annotate(
                waiting_count=Count("messages", filter=waiting),
                oldest_waiting_at=Min("messages__created_at", filter=waiting),
                latest_object_id=Subquery(
                    Message.objects.filter(stream=OuterRef("pk"))
                    .order_by("-pk")
                    .values("object_id")[:1]
                ),
                # Read with the page, not one query per row.
                head_last_error=Subquery(
                    Message.objects.filter(stream=OuterRef("pk"), state__in=selectors.WAITING)
                    .order_by("pk")
                    .values("last_error")[:1]
                ),
            )
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # Gireve: nothing is dropped silently; skip with a reason instead

    def has_operate_streams_permission(self, request):
        return request.user.has_perm("outbox.operate_streams")

    def changelist_view(self, request, extra_context=None):
        now = timezone.now()
        backlogs = [
            {"row": backlog, "oldest_age": _age(backlog.oldest_pending_at)}
            for backlog in selectors.platform_backlogs()
        ]
        extra_context = {
            **(extra_context or {}),
            "backlogs": backlogs,
            "stuck_count": selectors.stuck_streams(now).count(),
            # Not "Select stream to change": a stream is acted on, never edited.
            "title": "Streams: what waits for each platform, and what the hub refused",
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="state")
    def state(self, obj):
        if obj.held:
            return format_html('<strong style="color:#ba2121">held</strong> ({})', obj.held_reason)
        if obj.leased:
            return "sending"
        if obj.next_attempt_at is None:
            return "idle"
        if obj.next_attempt_at > timezone.now():
            return "retrying"
        return "due"

    @admin.display(description="object", ordering="key")
    def object(self, obj):
        return f"{obj.latest_object_id or obj.key} ({obj.module})"

    @admin.display(description="waiting (oldest)", ordering="waiting_count")
    def waiting(self, obj):
        if not obj.waiting_count:
            return "0"
        return f"{obj.waiting_count} ({_age(obj.oldest_waiting_at)})"

    @admin.display(description="next attempt", ordering="next_attempt_at")
    def next_attempt(self, obj):
        if obj.held or obj.next_attempt_at is None:
            return "—"
        if obj.next_attempt_at <= timezone.now():
            return "now"
        return "in " + _duration(int((obj.next_attempt_at - timezone.now()).total_seconds()))

    @admin.display(description="oldest waiting", ordering="oldest_waiting_at")
    def oldest_waiting(self, obj):
        return _age(obj.oldest_waiting_at)

    @admin.display(description="head's last error")
    def head_error(self, obj):
        if obj.held and obj.held_note:
            return obj.held_note[:120]
        return (obj.head_last_error or "")[:120] or "—"

    @admin.display(description="messages (head first, then the most recent)")
    def recent_messages(self, obj):
        waiting = list(obj.messages.filter(state__in=selectors.WAITING).order_by("pk")[:5])
        done = list(
            obj.messages.exclude(state__in=selectors.WAITING).order_by("-pk")[:RECENT_MESSAGES]
        )
        rows = [
            (
                reverse("admin:outbox_message_change", args=[m.pk]),
                m.pk,
                m.method,
                m.path,
                m.get_state_display(),
                m.attempts,
                format_datetime(m.created_at),
                _error_or_note(m),
            )
            for m in waiting + done
        ]
        all_url = reverse("admin:outbox_message_changelist") + f"?stream__id__exact={obj.pk}"
        table = format_html_join(
            "",
            '<tr><td><a href="{}">#{}</a></td><td>{} {}</td><td>{}</td><td>{}</td>'
            "<td>{}</td><td>{}</td></tr>",
            rows,
        )
        return format_html(
            "<table><tr><th>message</th><th>request</th><th>state</th><th>attempts</th>"
            '<th>created</th><th>error / note</th></tr>{}</table><p><a href="{}">all messages '
            "of this stream</a></p>",
            table,
            all_url,
        )

    @admin.action(description="Retry now (end the backoff)", permissions=["operate_streams"])
    def retry_now(self, request, queryset):
        for stream in queryset:
            services.retry_now(stream=stream)
        audit.record(actor=request.user, action="retry", objects=queryset)
        self.message_user(request, f"{queryset.count()} stream(s) due now (held ones unchanged).")

    @admin.action(
        description="Hold (stop sending until resent or skipped)", permissions=["operate_streams"]
    )
    def hold_streams(self, request, queryset):
        for stream in queryset:
            services.hold(stream=stream, note=f"held by {request.user} in admin")
        audit.record(actor=request.user, action="hold", objects=queryset)
        self.message_user(request, f"{queryset.count()} stream(s) held.")

    @admin.action(
        description="Resend the head as it is and release", permissions=["operate_streams"]
    )
    def resend_head(self, request, queryset):
        for stream in queryset:
            services.resend(stream=stream, note=f"resent by {request.user}")
        audit.record(actor=request.user, action="resend", objects=queryset)
        self.message_user(request, f"{queryset.count()} stream(s) released; heads sent again.")

    @admin.action(
        description="Skip the head (with a reason) and send what follows",
        permissions=["operate_streams"],
    )
    def skip_head(self, request, queryset):
        form = SkipForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = f"{form.cleaned_data['reason'].strip()} — {request.user}"
            skipped = [services.skip(stream=stream, reason=reason) for stream in queryset]
            count = sum(1 for message in skipped if message is not None)
            audit.record(
                actor=request.user,
                action="skip",
                objects=queryset,
                detail=form.cleaned_data["reason"].strip(),
            )
            self.message_user(request, f"{count} message(s) skipped; their streams go on.")
            return None
        if "apply" in request.POST:
            self.message_user(request, "A reason is required to skip.", messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": "Skip the head message of these streams",
            "opts": self.model._meta,
            "streams": queryset,
            "form": form,
        }
        return TemplateResponse(request, "admin/outbox/stream/skip.html", context)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Every queued, delivered, rejected or skipped request, with its last exchange."""

    # Within 1280 px with the filters (audit 2, E3): long paths cut (whole in the title).
    list_display = [
        "pk",
        "object",
        "request",
        "state",
        "attempts",
        "last_attempt",
        "last_status",
        "exchange",
    ]
    list_filter = ["state", "method", "stream__module", "stream__platform"]
    search_fields = ["object_id", "path", "stream__key"]
    list_select_related = ["stream__platform"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "stream",
        "state",
        "method",
        "path",
        "object_id",
        "body",
        "created_at",
        "attempts",
        "last_attempt_at",
        "done_at",
        "last_http_status",
        "last_ocpi_status",
        "last_error",
        "exchange",
        "superseded_by",
        "note",
    ]
    fields = readonly_fields

    @admin.display(description="object → platform", ordering="stream__key")
    def object(self, obj):
        # The object's OCPI id, not the stream's database key "location:1" (audit 2, item 21).
        return f"{obj.object_id or obj.stream.key} ({obj.stream.module}) → {obj.stream.platform}"

    @admin.display(description="request", ordering="path")
    def request(self, obj):
        return truncated(f"{obj.method} {obj.path}", 45)

    @admin.display(description="last attempt", ordering="last_attempt_at")
    def last_attempt(self, obj):
        return short_time(obj.last_attempt_at)

    @admin.display(description="HTTP / OCPI")
    def last_status(self, obj):
        if obj.last_http_status is None:
            return "—"
        return f"{obj.last_http_status} / {obj.last_ocpi_status or '—'}"

    @admin.display(description="last exchange")
    def exchange(self, obj):
        return _log_link(obj.last_log_id)
