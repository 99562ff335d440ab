"""Transactional outbox: messages waiting to be pushed to a platform, grouped in streams.

A stream is one pushed object (a location with its EVSEs and connectors, a session, a CDR,
a tariff id) toward one platform. Its messages are delivered strictly in creation order
(Gireve §3.5.5, §3.8.4, §3.9.4, §3.10.6: resend in a FIFO manner after recovery); a failing
head blocks only its own stream.
"""

from django.db import models
from django.utils import timezone

from roaming.models import MessageLog, Platform
from roaming.ocpi_json import ExactJSONDecoder, ExactJSONEncoder


class Stream(models.Model):
    """Delivery state of one object's messages toward one platform."""

    class HeldReason(models.TextChoices):
        REJECTED = "REJECTED", "rejected by the platform (OCPI 2xxx)"
        OPERATOR = "OPERATOR", "held by an operator"

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="streams")
    key = models.CharField(max_length=120, help_text='e.g. "location:12", "tariff:FR:AB1:T1".')
    module = models.CharField(max_length=20)
    # When a worker should next look at the head; null = nothing to send (or held).
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    held = models.BooleanField(default=False)
    held_reason = models.CharField(max_length=10, choices=HeldReason.choices, blank=True)
    held_note = models.TextField(blank=True)
    # Lease: the worker holding `lease_owner` delivers the head until `locked_until`.
    lease_owner = models.CharField(max_length=64, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    # When the sweeper last handed this stream to Celery (it does not repeat itself while
    # that task may still be queued).
    kicked_at = models.DateTimeField(null=True, blank=True)
    # What the producer needs to remember about this object on that platform
    # (locations.push: whether the hub has our whole location).
    memo = models.JSONField(default=dict, blank=True)
    # Monotonic counters for /metrics (never reset; streams are not deleted).
    delivered_count = models.PositiveBigIntegerField(default=0)
    failure_count = models.PositiveBigIntegerField(default=0)
    rejected_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform", "key"]
        permissions = [("operate_streams", "Can hold, resend, skip and retry streams")]
        constraints = [
            models.UniqueConstraint(fields=["platform", "key"], name="outbox_stream_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.platform}"

    @property
    def leased(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())


class Message(models.Model):
    """One outbound request, its body built when the change was made."""

    class State(models.TextChoices):
        PENDING = "PENDING", "pending"
        DELIVERED = "DELIVERED", "delivered"
        REJECTED = "REJECTED", "rejected by the platform (stream held)"
        SKIPPED = "SKIPPED", "skipped by an operator"
        SUPERSEDED = "SUPERSEDED", "superseded by a later message (coalesced)"
        HEALED = "HEALED", "replaced by a whole PUT (the hub had lost the object)"

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="messages")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    method = models.CharField(max_length=6)
    path = models.CharField(
        max_length=500, help_text="Appended to the platform's receiver endpoint URL."
    )
    # Amounts stay Decimal through the database (jsonb keeps their digits), never float.
    body = models.JSONField(
        null=True, blank=True, encoder=ExactJSONEncoder, decoder=ExactJSONDecoder
    )
    object_id = models.CharField(max_length=100, blank=True)
    # The RECEIVER module whose endpoint `path` is appended to, when not the stream's: a
    # session's stream ends with the POST of its CDR to the cdrs endpoint (Gireve: the CDR
    # never overtakes its session, so both share one FIFO stream).
    endpoint_module = models.CharField(max_length=20, blank=True)
    # OCPI 2.2.1 mod_cdrs POST response header `Location`: where the hub keeps the CDR.
    response_location = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_ocpi_status = models.PositiveIntegerField(null=True, blank=True)
    # No database constraint: the log is partitioned by day and its old days dropped whole
    # (roaming.partitions), so this may name a log row that is gone.
    last_log = models.ForeignKey(
        MessageLog,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(
        blank=True, help_text="Why an operator skipped or resent it, or how it was healed."
    )

    class Meta:
        ordering = ["stream", "pk"]
        indexes = [
            models.Index(fields=["stream", "state", "id"], name="outbox_msg_stream_state"),
            # /health, /metrics and the admin aggregate what still waits; delivered rows
            # (kept for audit) would otherwise be scanned on every probe.
            models.Index(
                fields=["stream", "created_at"],
                condition=models.Q(state__in=["PENDING", "REJECTED"]),
                name="outbox_msg_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.get_state_display()})"
