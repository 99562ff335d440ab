"""A remote command as the hub sent it, and everything that followed: our answer, the CSMS
call, the charge point's result, the callback (one row per command, shown in admin)."""

import uuid

from django.db import models

from sessions.enums import CommandType

from .enums import CommandResponseType, CommandResultType, CommandState, ResultSource


class Command(models.Model):
    """One OCPI 2.2.1 mod_commands request. `command_id` is the platform command id the CSMS
    gets and reports the result with; (type, response_url) is unique: the hub's retry of one
    request is answered again, never executed twice (roaming-workflow §2.3 idempotency)."""

    command_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=18, choices=CommandType.choices)
    state = models.CharField(max_length=11, choices=CommandState.choices)
    # --- the request, verbatim ---
    platform = models.ForeignKey(
        "roaming.Platform", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender = models.CharField(max_length=6, blank=True, help_text="OCPI-from party (CC*PID).")
    operator = models.ForeignKey(
        "roaming.Operator",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Ours, named in OCPI-to.",
    )
    response_url = models.URLField(max_length=255)
    request_body = models.TextField(help_text="As received.")
    request_id = models.CharField(max_length=255, blank=True)
    correlation_id = models.CharField(
        max_length=255, blank=True, help_text="Reused by the result callback (Gireve §2.1.4)."
    )
    received_at = models.DateTimeField(db_index=True)
    # --- our answer (CommandResponse) ---
    response = models.CharField(max_length=15, choices=CommandResponseType.choices)
    response_status_code = models.PositiveIntegerField(default=1000, help_text="OCPI status.")
    response_message = models.TextField(blank=True)
    timeout_seconds = models.PositiveIntegerField()
    expires_at = models.DateTimeField(help_text="Received + announced timeout: nothing later.")
    result_due_at = models.DateTimeField(
        null=True, blank=True, help_text="TIMEOUT is posted then if the charge point is silent."
    )
    # --- what it is about ---
    location = models.ForeignKey(
        "locations.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evse = models.ForeignKey(
        "locations.EVSE", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    connector = models.ForeignKey(
        "locations.Connector", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(
        "charging.Session", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token = models.JSONField(null=True, blank=True, help_text="StartSession.token as given.")
    authorization_reference = models.CharField(max_length=36, blank=True)
    id_tag = models.CharField(max_length=36, blank=True, help_text="What the CSMS got.")
    remote_start = models.OneToOneField(
        "charging.RemoteStart",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="command",
        help_text="Named by the CSMS's transaction-started (remote_start_id).",
    )
    # --- the CSMS call ---
    csms = models.ForeignKey(
        "csms.Csms", null=True, blank=True, on_delete=models.PROTECT, related_name="commands"
    )
    csms_attempts = models.PositiveSmallIntegerField(default=0)
    csms_called_at = models.DateTimeField(null=True, blank=True)
    csms_answered_at = models.DateTimeField(null=True, blank=True)
    csms_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    csms_answer = models.JSONField(null=True, blank=True)
    csms_error = models.TextField(blank=True)
    # --- the result (at most one, never after expires_at) ---
    result = models.CharField(max_length=20, choices=CommandResultType.choices, blank=True)
    result_source = models.CharField(max_length=12, choices=ResultSource.choices, blank=True)
    result_message = models.TextField(blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    late_answers = models.JSONField(
        default=list, blank=True, help_text="CSMS results after ours was decided: logged only."
    )
    # --- the callback to response_url ---
    callback_attempts = models.PositiveSmallIntegerField(default=0)
    callback_claimed_until = models.DateTimeField(null=True, blank=True)
    callback_next_at = models.DateTimeField(null=True, blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)
    callback_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    callback_status_code = models.PositiveIntegerField(null=True, blank=True)
    callback_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["type", "response_url"], name="command_once_per_url")
        ]
        indexes = [models.Index(fields=["state", "result_due_at"], name="command_due")]

    def __str__(self) -> str:
        return f"{self.type} {self.command_id} ({self.state})"
