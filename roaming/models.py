"""A remote OCPI platform (Gireve's IOP or any other), its endpoints, and the message log."""

import hashlib
import hmac
import ipaddress
import secrets

from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from .enums import ConnectionStatus, InterfaceRole, ModuleID
from .ocpi_checks import field_errors, image, printable_errors
from .validators import country_code_validator, party_id_validator


def new_token() -> str:
    """A fresh credentials token (OCPI: at most 64 printable characters)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OperatorQuerySet(models.QuerySet):
    def by_emi3(self, emi3_id: str) -> "Operator":
        """The operator `FR*AB1` (also `FRAB1`, any case); Operator.DoesNotExist otherwise."""
        country_code, party_id = split_emi3(emi3_id)
        return self.get(country_code__iexact=country_code, party_id__iexact=party_id)

    def party(self, country_code: str, party_id: str) -> "OperatorQuerySet":
        """The operator of an OCPI party (routing headers, URLs): compared case-insensitively."""
        return self.filter(country_code__iexact=country_code, party_id__iexact=party_id)


def split_emi3(emi3_id: str) -> tuple[str, str]:
    """`FR*AB1` or `FRAB1` -> ("FR", "AB1")."""
    compact = emi3_id.strip().replace("*", "")
    return compact[:2], compact[2:]


class Operator(models.Model):
    """A Gireve "CPO operation" (§3.1.1): one eMI3 operator id, e.g. FR*AB1.

    The tenant every app hangs from, so it sits at the bottom (table kept from `locations`)."""

    country_code = models.CharField(max_length=2, validators=[country_code_validator])
    party_id = models.CharField(max_length=3, validators=[party_id_validator])
    name = models.CharField(max_length=100, help_text="BusinessDetails.name (brand name).")
    website = models.URLField(max_length=255, blank=True)
    logo = models.JSONField(null=True, blank=True, help_text="OCPI Image object, optional.")
    advenir_participant = models.BooleanField(
        default=False, help_text="Sends all sessions/CDRs to Advenir through IOP (§3.8.5)."
    )
    network_group = models.CharField(
        max_length=100, blank=True, help_text="Gireve Connect Place network group (§3.1.2)."
    )

    objects = OperatorQuerySet.as_manager()

    class Meta:
        db_table = "locations_operator"
        ordering = ["country_code", "party_id"]
        constraints = [
            models.UniqueConstraint(
                Upper("country_code"),
                Upper("party_id"),
                name="operator_unique_party",
                violation_error_message="An operator with this country code and party id "
                "already exists (compared case-insensitively).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.emi3_id} {self.name}"

    def clean(self):
        errors = field_errors({"logo": image}, self)
        errors.update(printable_errors(self, ["name"]))
        if errors:
            raise ValidationError(errors)

    @property
    def emi3_id(self) -> str:
        return f"{self.country_code}*{self.party_id}"

    def business_details(self) -> dict:
        details: dict = {"name": self.name}
        if self.website:
            details["website"] = self.website
        if self.logo:
            details["logo"] = self.logo
        return details


class TimestampedModel(models.Model):
    """Keeps OCPI `last_updated` current on every save, unless told to keep it."""

    last_updated = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, touch: bool = True, **kwargs):
        if touch:
            self.last_updated = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "last_updated"}
        super().save(*args, **kwargs)


class Platform(models.Model):
    class Status(models.TextChoices):
        # The true state from creation: "invited" only once a token A exists (issue 11.6).
        NEW = "NEW", "new (no token A issued, not registered)"
        INVITED = "INVITED", "invited (token A issued, waiting for their registration)"
        CONNECTED = "CONNECTED", "connected"
        SUSPENDED = "SUSPENDED", "suspended"
        UNREGISTERED = "UNREGISTERED", "unregistered"

    class SessionUpdate(models.TextChoices):
        PATCH = "PATCH"
        PUT = "PUT"

    name = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    versions_url = models.URLField(max_length=255, blank=True)
    version = models.CharField(max_length=10, blank=True, help_text="Negotiated OCPI version.")
    version_details_url = models.URLField(max_length=255, blank=True)

    # The token we send to call them (token B before registration, then their token C).
    outgoing_token = models.CharField(max_length=255, blank=True)
    # The token they use to call us, stored hashed. While `incoming_token_is_registration`
    # it is a token A: valid only for versions and credentials.
    incoming_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    incoming_token_is_registration = models.BooleanField(default=True)

    # What they presented in their credentials: list of CredentialsRole objects.
    roles = models.JSONField(default=list, blank=True)
    hub_country_code = models.CharField(
        max_length=2, blank=True, help_text="OCPI-to-country-code of our outbound requests (FR)."
    )
    hub_party_id = models.CharField(
        max_length=3, blank=True, help_text="OCPI-to-party-id (IOP: 107 preprod, 007 prod, §2.1.6)."
    )

    # Per-platform options.
    page_limits = models.JSONField(
        default=dict, blank=True, help_text='Their page size limits, e.g. {"locations": 100}.'
    )
    session_update_method = models.CharField(
        max_length=5,
        choices=SessionUpdate.choices,
        default=SessionUpdate.PUT,
        help_text="Session updates as whole PUTs (Gireve §3.8.3: IOP does not process PATCH "
        "Sessions yet) or PATCHes with only new periods; start and end are always PUT.",
    )
    connect_timeout = models.FloatField(default=5.0)
    read_timeout = models.FloatField(default=30.0)
    verify_tls = models.BooleanField(default=True)
    client_certificate = models.CharField(
        max_length=255, blank=True, help_text="Path to a PEM client certificate for mTLS."
    )
    client_key = models.CharField(max_length=255, blank=True, help_text="Path to its PEM key.")
    ip_allowlist = models.JSONField(
        default=list, blank=True, help_text="Addresses or networks allowed to call us; empty: any."
    )
    required_client_subject = models.CharField(
        max_length=500,
        blank=True,
        help_text="Subject of the client certificate it must present to our TLS proxy, as nginx "
        "writes it (e.g. CN=iop.gireve.com,O=GIREVE,C=FR); empty: not required.",
    )
    push_paused = models.BooleanField(default=False, help_text="Hold every outbound push.")
    coalesce_pushes = models.BooleanField(
        default=False, help_text="Drop queued messages fully superseded by a later one."
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("manage_connection", "Can register, update, unregister and resync a connection"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        limits = self.page_limits
        if not isinstance(limits, dict) or any(
            module not in ModuleID.values or not isinstance(size, int) or size < 1
            for module, size in limits.items()
        ):
            errors["page_limits"] = (
                'An object of module → positive page size, e.g. {"locations": 100, "cdrs": 20}.'
            )
        allowlist = self.ip_allowlist
        if not isinstance(allowlist, list) or not all(_is_network(a) for a in allowlist):
            errors["ip_allowlist"] = (
                'A list of addresses or networks, e.g. ["192.0.2.10", "198.51.100.0/24"].'
            )
        for name in ("connect_timeout", "read_timeout"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                errors[name] = "Must be more than 0 seconds."
        if self.client_key and not self.client_certificate:
            errors["client_certificate"] = "A client key needs its certificate."
        if errors:
            raise ValidationError(errors)

    def set_incoming_token(self, token: str, *, registration: bool) -> None:
        self.incoming_token_hash = hash_token(token)
        self.incoming_token_is_registration = registration

    def incoming_token_matches(self, token: str) -> bool:
        return bool(self.incoming_token_hash) and hmac.compare_digest(
            self.incoming_token_hash, hash_token(token)
        )

    @property
    def masked_outgoing_token(self) -> str:
        token = self.outgoing_token
        return f"{token[:4]}…{token[-2:]}" if len(token) > 8 else ("•" * len(token))

    @property
    def is_production_hub(self) -> bool:
        """Gireve §2.1.6: IOP presents FR*007 in production (FR*107 in preproduction)."""
        return (self.hub_country_code.upper(), self.hub_party_id.upper()) == ("FR", "007")

    def endpoint_url(self, module: str, role: str) -> str | None:
        endpoint = self.endpoints.filter(identifier=module, role=role).first()
        return endpoint.url if endpoint else None


def _is_network(value) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except (TypeError, ValueError):
        return False
    return True


class PlatformEndpoint(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="endpoints")
    identifier = models.CharField(max_length=20, choices=ModuleID.choices)
    role = models.CharField(max_length=8, choices=InterfaceRole.choices)
    url = models.URLField(max_length=255)

    class Meta:
        ordering = ["platform", "identifier", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "identifier", "role"], name="endpoint_unique_module_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.role}"


class SelfTestRun(models.Model):
    """One run of `ocpi_selftest` against a platform (Gireve qualification, §3.3) and its
    report, kept so ops can show Gireve what passed and when."""

    class Result(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        PASS = "pass", "every use case passed"
        FAIL = "fail", "a use case failed"
        WAITING = "waiting", "a use case is still waiting (timed out or not run)"
        REFUSED = "refused", "refused (bad options or a production hub)"

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="selftests")
    started_by = models.CharField(max_length=200, help_text="A staff user or command:… (OS user).")
    options = models.JSONField(default=dict, blank=True, help_text="Location, EVSE, token, wait.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=8, choices=Result.choices, default=Result.QUEUED)
    summary = models.TextField(blank=True, help_text="Plain text for the qualification mail.")
    report = models.JSONField(default=dict, blank=True)
    report_html = models.TextField(blank=True, help_text="The self-contained HTML report.")

    class Meta:
        verbose_name = "self-test run"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return (
            f"Self-test of {self.platform} at {self.created_at:%Y-%m-%d %H:%M} UTC: {self.result}"
        )


class HubClientInfo(models.Model):
    """Connection status of a party behind the hub, as the hub pushed it to us."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="client_infos")
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    role = models.CharField(max_length=5)
    status = models.CharField(max_length=10, choices=ConnectionStatus.choices)
    last_updated = models.DateTimeField()

    class Meta:
        verbose_name = "hub client info"
        ordering = ["country_code", "party_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "country_code", "party_id", "role"],
                name="hubclientinfo_unique_party_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.role}: {self.status}"


class MessageLog(models.Model):
    """One inbound or outbound OCPI exchange, secrets removed, bodies truncated."""

    class Direction(models.TextChoices):
        INBOUND = "IN", "inbound (they called us)"
        OUTBOUND = "OUT", "outbound (we called them)"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    platform = models.ForeignKey(
        Platform, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    method = models.CharField(max_length=8)
    url = models.CharField(max_length=1000)
    module = models.CharField(max_length=20, blank=True)
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    ocpi_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_id = models.CharField(max_length=100, blank=True, db_index=True)
    party = models.CharField(max_length=10, blank=True, db_index=True, help_text="e.g. FR*107")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        if self.http_status is None:  # no answer (audit 2: titled "→ None/None")
            return f"{self.direction} {self.method} {self.url} → no answer"
        status = f"{self.http_status}/{self.ocpi_status or '-'}"
        return f"{self.direction} {self.method} {self.url} → {status}"


class AuditEntry(LogEntry):
    """Every admin change and staff action (roaming.audit), listed in one read-only screen."""

    class Meta:
        proxy = True
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail entries"
        ordering = ["-action_time"]
