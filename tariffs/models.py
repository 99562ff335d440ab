"""OCPI 2.2.1 Tariffs with Gireve's per-eMSP descriptions (§3.10.4) and immutability (§3.10.2).

One row is one tariff *description*: a tariff id (owned by an Operator) has one default
description (no target) and at most one description per target eMSP. Elements, prices and
texts are JSON read and written whole, checked by `tariffs.ocpi_classes`; their numbers are
stored as decimal strings (never floats).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from roaming.models import Operator, TimestampedModel
from roaming.ocpi_checks import field_errors
from roaming.validators import country_code_validator, party_id_validator, validate_ocpi_id

from . import enums
from . import ocpi_classes as oc

currency_validator = RegexValidator(
    r"^[A-Z]{3}\Z", "Currency must be an ISO 4217 code in capitals, e.g. EUR."
)

# Gireve §3.10.2: once published, only textual properties and the end date may change.
MUTABLE_WHEN_PUBLISHED = {"tariff_alt_text", "tariff_alt_url", "end_date_time"}
FROZEN_WHEN_PUBLISHED = [
    "currency",
    "type",
    "min_price",
    "max_price",
    "elements",
    "start_date_time",
    "energy_mix",
]
# OCPI ids and the Gireve target never change: they name the description.
IDENTITY = ["operator", "ocpi_id", "target_operator_country_code", "target_operator_party_id"]


class Tariff(TimestampedModel):
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="tariffs")
    ocpi_id = models.CharField("id", max_length=36, validators=[validate_ocpi_id])
    # Gireve §3.10.4 extension: the eMSP this description applies to; both empty = default.
    target_operator_country_code = models.CharField(
        max_length=2, blank=True, validators=[country_code_validator]
    )
    target_operator_party_id = models.CharField(
        max_length=3, blank=True, validators=[party_id_validator]
    )
    currency = models.CharField(max_length=3, validators=[currency_validator], default="EUR")
    type = models.CharField(
        max_length=20,
        choices=enums.TariffType.choices,
        blank=True,
        help_text="Empty: valid for all sessions. Gireve forwards only REGULAR (and untyped) "
        "tariffs to eMSPs (§2.3.2).",
    )
    tariff_alt_text = models.JSONField(default=list, blank=True)
    tariff_alt_url = models.URLField(max_length=255, blank=True)
    min_price = models.JSONField(
        null=True, blank=True, help_text='{"excl_vat": .., "incl_vat": ..}'
    )
    max_price = models.JSONField(
        null=True, blank=True, help_text='{"excl_vat": .., "incl_vat": ..}'
    )
    elements = models.JSONField(default=list, blank=True)
    start_date_time = models.DateTimeField(
        null=True, blank=True, help_text="Required by Gireve before publication (§3.10.3)."
    )
    end_date_time = models.DateTimeField(null=True, blank=True)
    energy_mix = models.JSONField(null=True, blank=True)
    # First time this description was shared (sender + push): from then on it is immutable.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Withdrawn from the hub (DELETE sent); kept for pricing past sessions.
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = [
            "operator",
            "ocpi_id",
            "target_operator_country_code",
            "target_operator_party_id",
        ]
        permissions = [
            ("change_prices", "Can change prices from a date (Gireve §3.10.1)"),
            ("withdraw_tariff", "Can withdraw a tariff from the hub"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target_operator_country_code="", target_operator_party_id="")
                    | (~Q(target_operator_country_code="") & ~Q(target_operator_party_id=""))
                ),
                name="tariff_target_both_or_none",
                violation_error_message="Give both target_operator_country_code and "
                "target_operator_party_id (Gireve §3.10.4), or neither for the default tariff.",
            ),
            models.UniqueConstraint(
                "operator",
                Upper("ocpi_id"),
                condition=Q(target_operator_country_code=""),
                name="tariff_one_default",
                violation_error_message="This tariff id already has a default description "
                "(one without target eMSP).",
            ),
            models.UniqueConstraint(
                "operator",
                Upper("ocpi_id"),
                Upper("target_operator_country_code"),
                Upper("target_operator_party_id"),
                condition=~Q(target_operator_country_code=""),
                name="tariff_one_per_target",
                violation_error_message="This tariff id already has a description for this "
                "target eMSP.",
            ),
        ]

    def __str__(self) -> str:
        target = f" for {self.target_label}" if self.is_targeted else ""
        return f"{self.ocpi_id}{target}"

    @property
    def country_code(self) -> str:
        return self.operator.country_code

    @property
    def party_id(self) -> str:
        return self.operator.party_id

    @property
    def is_targeted(self) -> bool:
        return bool(self.target_operator_country_code)

    @property
    def target_label(self) -> str:
        if not self.is_targeted:
            return "all eMSPs"
        return f"{self.target_operator_country_code}*{self.target_operator_party_id}"

    def missing_for_gireve(self) -> list[str]:
        # Gireve §3.10.3: without start_date_time IOP would apply it from reception.
        return [] if self.start_date_time else ["start_date_time"]

    @property
    def is_publishable(self) -> bool:
        return not self.missing_for_gireve() and self.withdrawn_at is None

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def forwarded_to_emsps(self) -> bool:
        """Gireve §2.3.2: PROFILE_* and AD_HOC_PAYMENT tariffs are stored but not forwarded."""
        return self.type in enums.FORWARDED_TYPES

    def clean_fields(self, exclude=None):
        # Decimals and ints become decimal strings first: JSON columns never hold floats.
        self.elements = oc.normalize_elements(self.elements)
        self.min_price = oc.normalize_price(self.min_price)
        self.max_price = oc.normalize_price(self.max_price)
        super().clean_fields(exclude=exclude)

    def clean(self):
        if self.target_operator_country_code:
            self.target_operator_country_code = self.target_operator_country_code.upper()
        if self.target_operator_party_id:
            self.target_operator_party_id = self.target_operator_party_id.upper()
        errors = _field_errors(self)
        if not self.elements and "elements" not in errors:
            errors["elements"] = ["At least one tariff element is required (OCPI 2.2.1)."]
        if bool(self.target_operator_country_code) != bool(self.target_operator_party_id):
            missing = (
                "target_operator_party_id"
                if self.target_operator_country_code
                else "target_operator_country_code"
            )
            errors.setdefault(missing, []).append(
                "Gireve §3.10.4: give both target country code and party id, or neither."
            )
        if (
            self.start_date_time
            and self.end_date_time
            and self.end_date_time <= self.start_date_time
        ):
            errors.setdefault("end_date_time", []).append("Must be later than start_date_time.")
        if self._max_below_min(errors):
            errors.setdefault("max_price", []).append("max_price must not be lower than min_price.")
        for name, messages in self.frozen_changes().items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def _max_below_min(self, errors: dict) -> bool:
        if errors.get("min_price") or errors.get("max_price"):
            return False
        if not (self.min_price and self.max_price):
            return False
        return Decimal(self.max_price["excl_vat"]) < Decimal(self.min_price["excl_vat"])

    def stored(self) -> Tariff | None:
        if self.pk is None:
            return None
        return type(self).objects.filter(pk=self.pk).first()

    def frozen_changes(self) -> dict[str, list[str]]:
        """What this save would change that OCPI (ids) or Gireve §3.10.2 (published) forbids."""
        stored = self.stored()
        if stored is None:
            return {}
        problems: dict[str, list[str]] = {}
        for name in IDENTITY:
            attname = self._meta.get_field(name).attname
            if getattr(stored, attname) != getattr(self, attname):
                problems[name] = [
                    "Cannot be changed once created: a tariff id and its target eMSP name "
                    "the tariff. Create a new tariff instead."
                ]
        if stored.is_published:
            for name in FROZEN_WHEN_PUBLISHED:
                if comparable(getattr(stored, name)) != comparable(getattr(self, name)):
                    problems[name] = [
                        f"Tariff {self.ocpi_id} is published: Gireve §3.10.2 allows changing "
                        "only tariff_alt_text, tariff_alt_url and end_date_time. To change "
                        'prices, use the admin action "Change prices from a date" (a new '
                        "tariff from that date; this one ends then)."
                    ]
        return problems


def _field_errors(tariff: Tariff) -> dict[str, list[str]]:
    return field_errors(
        {
            "tariff_alt_text": oc.display_texts,
            "min_price": oc.price,
            "max_price": oc.price,
            "elements": oc.elements,
            "energy_mix": oc.energy_mix,
        },
        tariff,
    )


def comparable(value):
    """Stored JSON with decimal strings as Decimal: "2.00" and "2.0" are the same price."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, str) and oc.DECIMAL_TEXT_RE.match(value):
        return Decimal(value)
    return value
