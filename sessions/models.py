"""Charging data: eMSP Tokens, decisions on badges (Authorization), remote starts, our
Sessions and CDRs."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from roaming.ocpi_json import ExactJSONDecoder, ExactJSONEncoder

from .enums import (
    AuthMethod,
    AuthorizationReason,
    AuthorizationSource,
    ProfileType,
    SessionStatus,
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
        indexes = [
            # A badge is looked up by uid and type alone (sessions.authorization): one index
            # probe however many tokens eMSPs pushed (the unique index leads by country).
            models.Index(Upper("uid"), "type", name="token_uid_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.type} {self.uid}"


# --- Sessions and CDRs (OCPI 2.2.1 mod_sessions, mod_cdrs; Gireve §3.8, §3.9) ----------------


class Session(models.Model):
    """A charging session at one of our connectors, as OCPI Session (lengths of §3.4).

    The samples (MeterSample) are what the CSMS reported; `charging_periods`, `kwh` and
    `total_cost` are derived from them (sessions.charging_periods, the pricing engine): while
    ACTIVE only the open tail at each meter value (sessions.live_periods), whole at the stop.
    The tariff is the token eMSP's description of the EVSE's tariff valid at the start
    (Gireve §3.10.3, §3.10.4), kept as OCPI JSON: later changes never reprice a session.
    """

    class Origin(models.TextChoices):
        ROAMING = "ROAMING", "roaming (eMSP token)"
        ADVENIR = "ADVENIR", "non-roaming, reported to Advenir (anonymised)"

    operator = models.ForeignKey(
        "roaming.Operator", on_delete=models.PROTECT, related_name="charging_sessions"
    )
    ocpi_id = models.CharField("id", max_length=36, unique=True)
    location = models.ForeignKey("locations.Location", on_delete=models.PROTECT, related_name="+")
    evse = models.ForeignKey("locations.EVSE", on_delete=models.PROTECT, related_name="+")
    connector = models.ForeignKey("locations.Connector", on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.ROAMING)
    transaction_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="The CSMS transaction id."
    )
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField(null=True, blank=True)
    # When the CSMS stopped the transaction; the EV may stay plugged (parking) until it leaves.
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=64, blank=True)
    meter_start_wh = models.BigIntegerField()
    kwh = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal(0))
    # OCPI CdrToken {country_code, party_id, uid, type, contract_id} exactly as the hub gave it.
    cdr_token = models.JSONField()
    auth_method = models.CharField(max_length=12, choices=AuthMethod.choices)
    authorization_reference = models.CharField(max_length=36, blank=True)
    meter_id = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    time_zone = models.CharField(max_length=64, help_text="The Location's zone at the start.")
    # mod_cdrs: Location, EVSE and connector "as they were at the start" (OCPI CdrLocation).
    cdr_location = models.JSONField()
    tariff = models.JSONField(
        null=True,
        blank=True,
        encoder=ExactJSONEncoder,
        decoder=ExactJSONDecoder,
        help_text="OCPI Tariff used (the eMSP's description, as at the start).",
    )
    # The open tail of the periods between meter values (sessions.live_periods.LivePeriods);
    # the samples themselves are MeterSample rows.
    live_state = models.JSONField(
        default=dict, blank=True, encoder=ExactJSONEncoder, decoder=ExactJSONDecoder
    )
    out_of_order = models.JSONField(
        default=list, blank=True, help_text="[[start, end], ...] of the EVSE (Gireve §3.9.2)."
    )
    charging_periods = models.JSONField(
        default=list, encoder=ExactJSONEncoder, decoder=ExactJSONDecoder
    )
    meter_resets = models.JSONField(
        default=list,
        blank=True,
        help_text="Readings lower than the one before: [{at, from_wh, to_wh}] (docs/sessions.md).",
    )
    total_cost = models.JSONField(
        null=True, blank=True, encoder=ExactJSONEncoder, decoder=ExactJSONDecoder
    )
    status = models.CharField(max_length=11, choices=SessionStatus.choices)
    invalid_reason = models.CharField(max_length=255, blank=True)
    # An OCPI self-test charge (sessions.test_charge): pushed like any other, never billed;
    # finance, statements and exports leave it out.
    is_test = models.BooleanField(
        "self-test", default=False, help_text="OCPI self-test charge: never billed."
    )
    last_updated = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date_time__isnull=True)
                | Q(end_date_time__gte=models.F("start_date_time")),
                name="session_end_not_before_start",
            )
        ]

    def __str__(self) -> str:
        return f"session {self.ocpi_id} ({self.status})"

    @property
    def emsp(self) -> str:
        return f"{self.cdr_token.get('country_code')}*{self.cdr_token.get('party_id')}"


class MeterSample(models.Model):
    """One meter value of a session as the CSMS reported it (one per whole second: a second
    reading of the same second replaces it). Append-only, in their own table so a meter
    value writes one row instead of rewriting the session's whole history (issue 21).

    Shaped for day partitioning by `at`: a plain id, the session and the time, indexed
    (session, at); nothing points to this table."""

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="meter_samples", db_index=False
    )
    at = models.DateTimeField(help_text="Charge point time, whole seconds (UTC).")
    wh = models.BigIntegerField(help_text="Energy.Active.Import.Register (Wh).")
    state = models.CharField(max_length=10, help_text="What the charger reports after it.")
    power_w = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    current_a = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    soc = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["session", "at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "at"], name="meter_sample_one_per_second")
        ]

    def __str__(self) -> str:
        return f"{self.wh} Wh at {self.at:%Y-%m-%d %H:%M:%S}"


class Cdr(models.Model):
    """A CDR as it left (or will leave) for the hub: the OCPI object, sealed at creation.

    OCPI 2.2.1 mod_cdrs: a CDR "cannot be changed or replaced once sent"; corrections are a
    credit CDR and a new one (sessions.cdr_services.credit_cdr). The columns beside
    `data` are copies for lists and filters.
    """

    class State(models.TextChoices):
        QUEUED = "QUEUED", "queued for the hub"
        HELD = "HELD", "held: failed a check, waits for a person"

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="cdrs")
    operator = models.ForeignKey("roaming.Operator", on_delete=models.PROTECT, related_name="+")
    # CiString(39); ≤ 36 unless a credit CDR (mod_cdrs CDR object).
    ocpi_id = models.CharField("id", max_length=39)
    data = models.JSONField(encoder=ExactJSONEncoder, decoder=ExactJSONDecoder)
    state = models.CharField(max_length=6, choices=State.choices)
    held_reason = models.TextField(blank=True)
    credit = models.BooleanField(default=False)
    credit_reference = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credits"
    )
    rebill_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rebills"
    )
    reason = models.TextField(blank=True, help_text="Why it was credited or re-billed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    emsp_country_code = models.CharField(max_length=2)
    emsp_party_id = models.CharField(max_length=3)
    currency = models.CharField(max_length=3)
    total_cost_excl_vat = models.DecimalField(max_digits=14, decimal_places=4)
    total_energy = models.DecimalField(max_digits=14, decimal_places=4)
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField()
    # The CDR of a self-test charge (Session.is_test): zero costs, never in totals or exports.
    is_test = models.BooleanField(
        "self-test", default=False, help_text="OCPI self-test CDR: zero costs, never billed."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name, verbose_name_plural = "CDR", "CDRs"  # not "Cdrs" (audit 2, E4)
        permissions = [("credit_cdr", "Can credit and re-bill CDRs")]
        constraints = [
            # mod_cdrs: "SHALL be unique per country_code/party_id combination" (CiString).
            models.UniqueConstraint("operator", Upper("ocpi_id"), name="cdr_unique_id"),
        ]

    def __str__(self) -> str:
        return f"CDR {self.ocpi_id}"

    def save(self, *args, **kwargs):
        # Immutable once created: only the hold may be lifted (state, held_reason).
        if self.pk is not None:
            allowed = {"state", "held_reason"}
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= allowed:
                raise ValueError("A CDR is immutable (OCPI 2.2.1 mod_cdrs): credit it instead.")
        super().save(*args, **kwargs)


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
