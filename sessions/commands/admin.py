"""Ops screen of remote commands: what the hub asked, what we answered, what the CSMS and
the charge point said, and whether the eMSP got the result. Read-only: commands change only
through the flow (sessions.commands.services)."""

from django.contrib import admin
from django.utils.html import format_html

from roaming.admin_base import ReadOnlyAdmin

from .models import Command


@admin.register(Command)
class CommandAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "received_at",
        "type",
        "state",
        "response",
        "result",
        "result_source",
        "evse",
        "session",
        "csms",
        "callback_attempts",
    ]
    list_filter = ["type", "state", "response", "result", "result_source", "csms"]
    list_select_related = ["evse", "session", "csms"]
    search_fields = ["command_id", "response_url", "correlation_id", "id_tag", "session__ocpi_id"]
    date_hierarchy = "received_at"
    fieldsets = [
        (
            "Request from the hub",
            {
                "fields": [
                    "command_id",
                    "type",
                    "state",
                    "platform",
                    "sender",
                    "operator",
                    "response_url",
                    "request_id",
                    "correlation_id",
                    "request",
                ]
            },
        ),
        (
            "Our answer (CommandResponse)",
            {"fields": ["response", "response_status_code", "response_message", "timeout_seconds"]},
        ),
        ("Target", {"fields": ["location", "evse", "connector", "session", "id_tag"]}),
        (
            "Timings",
            {"fields": ["received_at", "csms_called_at", "csms_answered_at", "result_at"]},
        ),
        (
            "Deadlines",
            {"fields": ["result_due_at", "expires_at"]},
        ),
        (
            "CSMS",
            {"fields": ["csms", "csms_attempts", "csms_http_status", "csms_answer", "csms_error"]},
        ),
        (
            "Result",
            {"fields": ["result", "result_source", "result_message", "late_answers"]},
        ),
        (
            "Callback to response_url",
            {
                "fields": [
                    "callback_attempts",
                    "callback_at",
                    "callback_http_status",
                    "callback_status_code",
                    "callback_error",
                ]
            },
        ),
    ]

    @admin.display(description="Request body")
    def request(self, obj: Command) -> str:
        return format_html("<pre>{}</pre>", obj.request_body)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["request"]
