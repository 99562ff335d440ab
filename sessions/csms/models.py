"""The CSMS bridge's records: who may call it, how OCPP ids map to our EVSEs, what was done.

A CSMS (SteVe, CitrineOS, an in-house OCPP server) runs charge points of some of our operators
or locations and reports to /api/csms/v1/ with an API key (stored hashed, shown once).
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from locations.models import EVSE
from roaming.models import Operator, hash_token

KEY_PREFIX = "csms_"


def new_api_key() -> str:
    """A fresh key: 'csms_' + 43 url-safe characters (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_command_secret() -> str:
    """The HMAC-SHA256 key signing our calls to the CSMS command endpoint (256 bits)."""
    return secrets.token_urlsafe(32)


class CsmsQuerySet(models.QuerySet):
    def for_api_key(self, key: str) -> Csms | None:
        """The active CSMS holding `key` (looked up by hash: the key has 256 bits)."""
        if not key.startswith(KEY_PREFIX):
            return None
        return self.filter(active=True, key_hash=hash_token(key)).first()


class Csms(models.Model):
    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    operators = models.ManyToManyField(
        Operator, blank=True, related_name="csms", help_text="Every location of these."
    )
    locations = models.ManyToManyField(
        "locations.Location", blank=True, related_name="csms", help_text="And these ones."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(max_length=16, editable=False, help_text="Start of the key.")
    key_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Platform → CSMS calls (remote start/stop, roaming-workflow §7 P2/P3; docs/commands.md).
    command_url = models.URLField(blank=True)
    # Kept in clear: we sign with it (the CSMS holds the same); shown by csms_command_endpoint.
    command_secret = models.CharField(
        max_length=64, default=new_command_secret, editable=False, help_text="HMAC key."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CsmsQuerySet.as_manager()

    class Meta:
        verbose_name = "CSMS"
        verbose_name_plural = "CSMS"
        ordering = ["name"]
        permissions = [("rotate_csms_key", "Can issue a new API key for a CSMS")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from .lookups import forget_csms

        # The old key too (rotation), read before the row changes.
        old = Csms.objects.filter(pk=self.pk).values_list("key_hash", flat=True) if self.pk else []
        forget_csms([self.key_hash, *old])
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from .lookups import forget_csms

        forget_csms([self.key_hash])
        return super().delete(*args, **kwargs)

    def set_api_key(self, key: str) -> None:
        self.key_hash = hash_token(key)
        self.key_hint = key[: len(KEY_PREFIX) + 4] + "…"

    def evses_in_scope(self) -> Q:
        """Q on EVSE: those this CSMS may report for (IN subqueries: no duplicate rows)."""
        return Q(location__operator__in=self.operators.all()) | Q(location__in=self.locations.all())


class EvseMapping(models.Model):
    """OCPP ids of one of our EVSEs at one CSMS (roaming-workflow §7: one connector per EVSE
    preferred): OCPP 1.6 chargeBoxId + connectorId, or 2.0.1 station id + evseId."""

    csms = models.ForeignKey(Csms, on_delete=models.CASCADE, related_name="mappings")
    evse = models.OneToOneField(
        "locations.EVSE", on_delete=models.CASCADE, related_name="csms_mapping"
    )
    charge_point_id = models.CharField(max_length=64)
    connector_id = models.PositiveSmallIntegerField(
        help_text="OCPP 1.6 connectorId / 2.0.1 evseId (1, 2, …; 0 is the whole charge point)."
    )

    class Meta:
        verbose_name = "EVSE mapping"
        ordering = ["csms", "charge_point_id", "connector_id"]
        constraints = [
            models.UniqueConstraint(
                "csms",
                Upper("charge_point_id"),
                "connector_id",
                name="csms_mapping_unique_connector",
                violation_error_message="This CSMS already maps this charge point connector.",
            ),
            models.CheckConstraint(
                condition=Q(connector_id__gte=1), name="csms_mapping_connector_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charge_point_id}#{self.connector_id} → {self.evse}"

    def save(self, *args, **kwargs):
        self._forget()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._forget()
        return super().delete(*args, **kwargs)

    def _forget(self) -> None:
        """Drop the cached lookups of these OCPP ids and of the ones this row had."""
        from .lookups import forget_mapping

        forget_mapping(self.csms_id, self.charge_point_id, self.connector_id)
        if self.pk:
            for old in EvseMapping.objects.filter(pk=self.pk).values(
                "csms_id", "charge_point_id", "connector_id"
            ):
                forget_mapping(**old)

    def clean(self):
        if self.connector_id == 0:
            raise ValidationError(
                {"connector_id": "0 is the whole charge point: map each connector (1, 2, …)."}
            )
        if not (self.csms_id and self.evse_id):
            return
        if not EVSE.objects.filter(self.csms.evses_in_scope(), pk=self.evse_id).exists():
            raise ValidationError(
                {"evse": "This EVSE is not run by this CSMS (operators / locations)."}
            )


class ProcessedEvent(models.Model):
    """An event id a CSMS sent and our answer: a replay gets the same answer, changes nothing."""

    # Indexed by csms_event_unique (its first column): no index of its own, fewer bytes an event.
    csms = models.ForeignKey(Csms, on_delete=models.CASCADE, related_name="events", db_index=False)
    event_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=20)
    body_hash = models.CharField(max_length=64)
    answer = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The UTC day of the event's own timestamp: the same in every copy of the event, so the
    # table is partitioned by it (roaming.partitions) and the claim stays unique per copy.
    event_day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["csms", "event_id", "event_day"], name="csms_event_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.csms} {self.kind} {self.event_id}"


class EvseStatusReport(models.Model):
    """The last status a CSMS reported for an EVSE and applied: an older one is ignored."""

    evse = models.OneToOneField(
        "locations.EVSE", on_delete=models.CASCADE, related_name="csms_status"
    )
    reported_at = models.DateTimeField(help_text="Charge point time of the applied status.")
    csms_status = models.CharField(max_length=32)
    error_code = models.CharField(max_length=50, blank=True)
    ocpi_status = models.CharField(max_length=16)

    class Meta:
        verbose_name = "EVSE status report"  # not "Evse status report" (audit 2, E4)

    def __str__(self) -> str:
        return f"{self.evse}: {self.csms_status} at {self.reported_at}"


class Transaction(models.Model):
    """A CSMS transaction (roaming-workflow §7 E3-E5) and what became of it on our side.

    Every transaction-started is kept, reported or not, so its later events are known: a
    roaming one (accepted authorization or remote start) is an OCPI Session; one whose badge
    the hub refused is an INVALID session (§3.5, "will not be billed"); a non-roaming one is
    an anonymised Session on an Advenir station (Gireve §3.8.5) and nothing elsewhere.
    OCPI Session has no place for signed meter data: it is kept here.
    """

    class Reporting(models.TextChoices):
        ROAMING = "ROAMING", "roaming session"
        INVALID = "INVALID", "hub refused the token: INVALID session, not billed"
        ADVENIR = "ADVENIR", "non-roaming, reported to Advenir (anonymised)"
        NOT_REPORTED = "NOT_REPORTED", "non-roaming: nothing for the hub"

    csms = models.ForeignKey(Csms, on_delete=models.CASCADE, related_name="transactions")
    transaction_id = models.CharField(max_length=64, help_text="Unique per CSMS.")
    evse = models.ForeignKey("locations.EVSE", on_delete=models.PROTECT, related_name="+")
    connector = models.ForeignKey("locations.Connector", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        "charging.Session",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="csms_transaction",
    )
    reporting = models.CharField(max_length=12, choices=Reporting.choices)
    note = models.CharField(max_length=255, blank=True, help_text="Why it is reported so.")
    id_tag = models.CharField(max_length=64, blank=True, help_text="As the charge point sent it.")
    token_type = models.CharField(max_length=11, blank=True)
    authorization = models.ForeignKey(
        "charging.Authorization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    remote_start = models.ForeignKey(
        "charging.RemoteStart", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    meter_start_wh = models.BigIntegerField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    meter_stop_wh = models.BigIntegerField(null=True, blank=True)
    stop_reason = models.CharField(max_length=64, blank=True)
    signed_data = models.JSONField(
        null=True, blank=True, help_text="Signed meter data of the stop (e.g. OCMF), as sent."
    )
    ev_left_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["csms", "transaction_id"], name="csms_transaction_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.csms} transaction {self.transaction_id}"
