"""Charging data: eMSP Tokens, decisions on badges (Authorization) and remote starts."""

from django.db import models
from django.db.models.functions import Upper

from .enums import (
    AuthorizationReason,
    AuthorizationSource,
    ProfileType,
    TokenType,
    WhitelistType,
)


class Token(models.Model):
    """OCPI 2.2.1 mod_tokens Token object, as pushed by an eMSP (through the hub)."""

    platform = models.ForeignKey(
        "roaming.Platform", null=True, blank=True, on_delete=models.SET_NULL, related_name="tokens"
    )
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    uid = models.CharField(max_length=36)
    type = models.CharField(max_length=11, choices=TokenType.choices, default=TokenType.RFID)
    contract_id = models.CharField(max_length=36)
    visual_number = models.CharField(max_length=64, blank=True)
    issuer = models.CharField(max_length=64)
    group_id = models.CharField(max_length=36, blank=True)
    valid = models.BooleanField()
    whitelist = models.CharField(max_length=15, choices=WhitelistType.choices)
    language = models.CharField(max_length=2, blank=True)
    default_profile_type = models.CharField(max_length=7, choices=ProfileType.choices, blank=True)
    energy_contract = models.JSONField(null=True, blank=True, help_text="OCPI EnergyContract.")
    last_updated = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["country_code", "party_id", "uid"]
        constraints = [
            # OCPI 2.2.1 mod_tokens: a Token is identified by country_code, party_id, uid and type
            # (CiString: case-insensitive).
            models.UniqueConstraint(
                Upper("country_code"),
                Upper("party_id"),
                Upper("uid"),
                "type",
                name="token_unique_identity",
            )
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.type} {self.uid}"


class Authorization(models.Model):
    """One decision on a badge presented at an EVSE (OCPI 2.2.1 mod_tokens real-time
    authorization, Gireve §3.6). The sessions and CDRs that follow take `token` and
    `authorization_reference` from here: exactly what the hub returned (Gireve §3.6.1, §3.8.5)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    evse = models.ForeignKey(
        "locations.EVSE", on_delete=models.PROTECT, related_name="authorizations"
    )
    charge_point_id = models.CharField(max_length=64, blank=True)
    id_tag = models.CharField(max_length=64, help_text="As the charge point read it.")
    uid = models.CharField(max_length=36, blank=True, help_text="As sent to the hub.")
    type = models.CharField(max_length=11, choices=TokenType.choices, default=TokenType.RFID)
    accepted = models.BooleanField()
    reason = models.CharField(max_length=20, choices=AuthorizationReason.choices)
    source = models.CharField(max_length=12, choices=AuthorizationSource.choices)
    token = models.JSONField(null=True, blank=True, help_text="OCPI Token as the hub returned.")
    authorization_reference = models.CharField(max_length=36, blank=True)
    info = models.JSONField(null=True, blank=True, help_text="OCPI DisplayText from the eMSP.")
    hub_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    hub_ocpi_status = models.PositiveIntegerField(null=True, blank=True)
    hub_message = models.TextField(blank=True)
    hub_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(help_text="Whole decision, hub call included.")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.uid or self.id_tag} at {self.evse}: {self.reason}"


class RemoteStart(models.Model):
    """A START_SESSION we passed to a charge point: its token may start there without a new
    real-time authorization for 15 minutes (OCPI 2.2.1 mod_commands START_SESSION). Filled
    by the commands flow."""

    created_at = models.DateTimeField(db_index=True)
    evse = models.ForeignKey(
        "locations.EVSE", on_delete=models.PROTECT, related_name="remote_starts"
    )
    charge_point_id = models.CharField(max_length=64, blank=True)
    uid = models.CharField(max_length=36)
    type = models.CharField(max_length=11, choices=TokenType.choices, default=TokenType.RFID)
    token = models.JSONField(help_text="OCPI Token of the START_SESSION command.")
    authorization_reference = models.CharField(max_length=36, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.uid} at {self.evse} ({self.created_at:%Y-%m-%d %H:%M})"
