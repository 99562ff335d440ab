"""Charging data received from eMSPs: their Tokens, kept for local authorization."""

from django.db import models
from django.db.models.functions import Upper

from .enums import ProfileType, TokenType, WhitelistType


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
