"""Charging infrastructure as OCPI 2.2.1 describes it, with Gireve's operator rules.

Nested OCPI classes that are only ever read and written whole (DisplayText lists,
BusinessDetails, Hours, Image, EnergyMix, ...) are JSON fields checked in clean() by
`locations.ocpi_classes`; everything that is searched, filtered or referenced is a column.
"""

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Value
from django.db.models.functions import Replace, Upper

from roaming.models import Operator, TimestampedModel
from roaming.ocpi_checks import printable_errors as _printable_errors
from roaming.validators import (
    EVSE_ID_RE,
    country_alpha3_validator,
    latitude_validator,
    longitude_validator,
    validate_ocpi_id,
    validate_time_zone,
)

from . import enums
from . import ocpi_classes as oc
from .power import power_problem


class Location(TimestampedModel):
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="locations")
    ocpi_id = models.CharField("id", max_length=36, validators=[validate_ocpi_id])
    publish = models.BooleanField(default=True)
    publish_allowed_to = models.JSONField(default=list, blank=True)
    name = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=45)
    postal_code = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=45, blank=True)
    country = models.CharField(max_length=3, validators=[country_alpha3_validator])
    latitude = models.CharField(max_length=10, validators=[latitude_validator])
    longitude = models.CharField(max_length=11, validators=[longitude_validator])
    related_locations = models.JSONField(default=list, blank=True)
    parking_type = models.CharField(max_length=32, choices=enums.ParkingType.choices, blank=True)
    directions = models.JSONField(default=list, blank=True)
    operator_details = models.JSONField(
        "operator",
        null=True,
        blank=True,
        help_text="OCPI BusinessDetails; empty means the operator's own details.",
    )
    suboperator = models.JSONField(null=True, blank=True)
    owner = models.JSONField(
        null=True, blank=True, help_text="BusinessDetails; Gireve requires owner.name."
    )
    facilities = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=255, validators=[validate_time_zone])
    opening_times = models.JSONField(null=True, blank=True)
    charging_when_closed = models.BooleanField(null=True, blank=True)
    images = models.JSONField(default=list, blank=True)
    energy_mix = models.JSONField(null=True, blank=True)
    # Gireve §3.8.5, §3.9.5: a subsidised station reports every charge (non-roaming ones
    # anonymised) through IOP to Advenir. Not part of the OCPI Location object.
    advenir_reporting = models.BooleanField(
        default=False,
        help_text="Advenir: send a Session and CDR for every charge here, roaming or not "
        "(Gireve §3.8.5).",
    )
    # What Gireve still needs before this location may be pushed (§3.5.1); kept up to
    # date by locations.services so that admin can filter on it.
    gireve_missing = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["operator", "ocpi_id"]
        constraints = [
            models.UniqueConstraint(
                "operator",
                Upper("ocpi_id"),
                name="location_unique_id",
                violation_error_message="This operator already has a location with this id "
                "(ids compare case-insensitively).",
            ),
        ]
        indexes = [
            # A CSMS event names its location by id alone (sessions.csms.evse_rows): one
            # index probe however many locations we run (the unique index leads by operator).
            models.Index(Upper("ocpi_id"), name="location_ocpi_id_ci"),
            # The locations sender counts and pages the shared locations of an operator in
            # creation order (locations.selectors.shared_locations): an index-only scan.
            models.Index(
                fields=["operator", "id"],
                condition=models.Q(publish=True),
                name="location_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ocpi_id} {self.name or self.address}"

    @property
    def country_code(self) -> str:
        return self.operator.country_code

    @property
    def party_id(self) -> str:
        return self.operator.party_id

    @property
    def is_publishable(self) -> bool:
        return not self.gireve_missing

    def clean(self):
        errors = self.own_errors()
        errors.update(_frozen_errors(self, ["operator", "ocpi_id"]))
        if errors:
            raise ValidationError(errors)

    def own_errors(self) -> dict[str, list[str]]:
        """What this row gets wrong by itself, read without a query (imports check the
        rest, unique ids, for all rows at once)."""
        errors = oc.field_errors(
            {
                "publish_allowed_to": oc.list_of(oc.publish_token),
                "related_locations": oc.list_of(oc.additional_geo_location),
                "directions": oc.display_texts,
                "operator_details": oc.business_details,
                "suboperator": oc.business_details,
                "owner": oc.business_details,
                "facilities": oc.facilities,
                "opening_times": oc.hours,
                "images": oc.images,
                "energy_mix": oc.energy_mix,
            },
            self,
        )
        errors.update(_printable_errors(self, ["name", "address", "city", "postal_code", "state"]))
        if self.publish and self.publish_allowed_to:
            # OCPI 2.2.1 Location: publish_allowed_to only when publish is false.
            errors.setdefault("publish_allowed_to", []).append(
                "Only allowed when publish is off: clear it or untick publish."
            )
        return errors

    def missing_for_gireve(self) -> list[str]:
        """What Gireve (§3.5.1) still needs before this location may be shared at all.

        EVSEs are judged one by one (`EVSE.missing_for_gireve`): an incomplete EVSE is held
        back, the rest of the location stays shared (issue 19.1)."""
        missing = []
        if not (self.owner or {}).get("name"):
            missing.append("owner.name")
        operator = self.operator_details or self.operator.business_details()
        if not operator.get("name"):
            missing.append("operator.name")
        return missing

    def held_back_evses(self) -> list[tuple["EVSE", list[str]]]:
        """EVSEs not sent to the hub yet, each with what it misses (reads prefetched rows)."""
        held = [(evse, evse.missing_for_gireve()) for evse in self.evses.all()]
        return [(evse, missing) for evse, missing in held if missing]


class EVSE(TimestampedModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="evses")
    uid = models.CharField(max_length=36, validators=[validate_ocpi_id])
    evse_id = models.CharField(max_length=48, blank=True)
    status = models.CharField(
        max_length=16, choices=enums.Status.choices, default=enums.Status.UNKNOWN
    )
    status_schedule = models.JSONField(default=list, blank=True)
    capabilities = models.JSONField(default=list, blank=True)
    floor_level = models.CharField(max_length=4, blank=True)
    latitude = models.CharField(max_length=10, blank=True, validators=[latitude_validator])
    longitude = models.CharField(max_length=11, blank=True, validators=[longitude_validator])
    physical_reference = models.CharField(max_length=16, blank=True)
    directions = models.JSONField(default=list, blank=True)
    parking_restrictions = models.JSONField(default=list, blank=True)
    images = models.JSONField(default=list, blank=True)
    # Gireve EVSE tariff group (§3.5.3, §3.10.5): ordered tariff ids, reported by every
    # connector of this EVSE.
    tariff_ids = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "EVSE"
        ordering = ["location", "uid"]
        constraints = [
            models.UniqueConstraint(
                "location",
                Upper("uid"),
                name="evse_unique_uid",
                violation_error_message="This location already has an EVSE with this uid "
                "(uids compare case-insensitively).",
            ),
        ]

    def __str__(self) -> str:
        return self.evse_id or self.uid

    def missing_for_gireve(self) -> list[str]:
        """What keeps this EVSE from the hub (Gireve §3.5.1; OCPI EVSE.connectors is 1..*);
        [] when it may be sent. Kept equal to `selectors._EVSE_SHAREABLE` (the sender's SQL)."""
        return evse_missing(self, has_connector=self._has_connector())

    def _has_connector(self) -> bool:
        """Prefetched connectors when there are, else one index probe: every status change
        asks (locations.push), and loading the connectors cost more than the rest of it."""
        prefetched = getattr(self, "_prefetched_objects_cache", {})
        if "connectors" in prefetched:
            return bool(prefetched["connectors"])
        if self.pk is None:
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Connector._meta.db_table} WHERE evse_id = %s LIMIT 1", [self.pk]
            )
            return cursor.fetchone() is not None

    def save(self, *args, touch: bool = True, **kwargs):
        super().save(*args, touch=touch, **kwargs)
        if touch:
            Location.objects.filter(pk=self.location_id).update(last_updated=self.last_updated)

    def clean(self):
        errors = self.own_errors()
        errors.update(_frozen_errors(self, ["location", "uid"]))
        clash = None if "evse_id" in errors else self.evse_id_clash()
        if clash:
            errors["evse_id"] = [clash]
        if errors:
            raise ValidationError(errors)

    def own_errors(self) -> dict[str, list[str]]:
        """What this row gets wrong by itself, read without a query once its location
        (with operator) is attached; `evse_id_clash` compares with the other EVSEs."""
        errors = oc.field_errors(
            {
                "status_schedule": oc.list_of(oc.status_schedule),
                "capabilities": oc.capabilities,
                "directions": oc.display_texts,
                "parking_restrictions": oc.parking_restrictions,
                "images": oc.images,
                "tariff_ids": oc.tariff_ids,
            },
            self,
        )
        errors.update(_printable_errors(self, ["floor_level", "physical_reference"]))
        evse_id_problem = self._evse_id_problem()
        if evse_id_problem:
            errors["evse_id"] = [evse_id_problem]
        if bool(self.latitude) != bool(self.longitude):
            errors["latitude" if not self.latitude else "longitude"] = [
                "Give both latitude and longitude, or neither."
            ]
        return errors

    def _evse_id_problem(self) -> str | None:
        if not self.evse_id:
            if self.status != enums.Status.REMOVED:
                # Gireve §3.5.5: evse_id is mandatory unless the EVSE is REMOVED.
                return "evse_id is required (it may only be empty when the status is REMOVED)."
            return None
        match = EVSE_ID_RE.match(self.evse_id)
        if not match:
            return (
                f"{self.evse_id!r} is not an eMI3 EVSE id: expected e.g. FR*AB1*E123456 "
                "(country, operator id, 'E', then letters, digits or '*')."
            )
        location = self.location if EVSE.location.is_cached(self) else None
        if location is None and self.location_id is not None:
            location = self.location
        if location is None or location.operator_id is None:
            return None  # checked again once the EVSE is attached to a location
        operator = location.operator
        # Gireve §3.1.1: an EVSE id starts with its operator's id, with or without '*'.
        if (match[1].upper(), match[2].upper()) != (
            operator.country_code.upper(),
            operator.party_id.upper(),
        ):
            return (
                f"{self.evse_id!r} must start with the operator id {operator.emi3_id} "
                f"(e.g. {operator.emi3_id}*E123 or {operator.country_code}{operator.party_id}E123)."
            )
        return None

    def evse_id_clash(self) -> str | None:
        """An eMI3 id names one EVSE of its operator (REMOVED ones aside)."""
        if not self.evse_id or self.status == enums.Status.REMOVED or self.location_id is None:
            return None
        operator = self.location.operator
        clash = (
            EVSE.objects.filter(location__operator=operator)
            .exclude(pk=self.pk)
            .exclude(status=enums.Status.REMOVED)
            .annotate(normalized=Replace(Upper("evse_id"), Value("*"), Value("")))
            .filter(normalized=normalized_evse_id(self.evse_id))
        )
        if clash.exists():
            return self.clash_message(operator)
        return None

    def clash_message(self, operator: Operator) -> str:
        return f"{self.evse_id!r} is already used by another EVSE of {operator.emi3_id}."


def evse_missing(evse: EVSE, *, has_connector: bool) -> list[str]:
    """EVSE.missing_for_gireve with the connectors counted by the caller (imports)."""
    missing = [] if has_connector else ["at least one connector"]
    if evse.status == enums.Status.REMOVED:
        return missing  # a removed EVSE only says it is gone
    if not evse.capabilities:
        missing.append("capabilities")
    if not evse.tariff_ids:
        missing.append("tariff_ids")
    return missing


def normalized_evse_id(evse_id: str) -> str:
    """Compare eMI3 ids without '*' and case-insensitively (Gireve §3.1.1)."""
    return evse_id.replace("*", "").upper()


class Connector(TimestampedModel):
    evse = models.ForeignKey(EVSE, on_delete=models.CASCADE, related_name="connectors")
    ocpi_id = models.CharField("id", max_length=36, validators=[validate_ocpi_id])
    standard = models.CharField(max_length=32, choices=enums.ConnectorType.choices)
    format = models.CharField(max_length=8, choices=enums.ConnectorFormat.choices)
    power_type = models.CharField(max_length=20, choices=enums.PowerType.choices)
    max_voltage = models.PositiveIntegerField()
    max_amperage = models.PositiveIntegerField()
    max_electric_power = models.PositiveIntegerField(null=True, blank=True)
    terms_and_conditions = models.URLField(max_length=255, blank=True)

    class Meta:
        ordering = ["evse", "ocpi_id"]
        constraints = [
            models.UniqueConstraint(
                "evse",
                Upper("ocpi_id"),
                name="connector_unique_id",
                violation_error_message="This EVSE already has a connector with this id "
                "(ids compare case-insensitively).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evse} #{self.ocpi_id}"

    def save(self, *args, touch: bool = True, **kwargs):
        super().save(*args, touch=touch, **kwargs)
        if touch:
            EVSE.objects.filter(pk=self.evse_id).update(last_updated=self.last_updated)
            Location.objects.filter(evses__pk=self.evse_id).update(last_updated=self.last_updated)

    @property
    def tariff_ids(self) -> list[str]:
        return list(self.evse.tariff_ids)

    def clean(self):
        problem = power_problem(
            power_type=self.power_type,
            voltage=self.max_voltage,
            amperage=self.max_amperage,
            power_w=self.max_electric_power,
        )
        if problem:
            raise ValidationError({"max_electric_power": problem})


def _frozen_errors(instance, names: list[str]) -> dict[str, list[str]]:
    """OCPI 2.2.1: Location.id and EVSE.uid "can never be changed, modified or renamed"."""
    if instance.pk is None:
        return {}
    attnames = {name: instance._meta.get_field(name).attname for name in names}
    stored = type(instance).objects.filter(pk=instance.pk).values(*attnames.values()).first()
    if stored is None:
        return {}
    return {
        name: [
            "Cannot be changed once created: OCPI ids are permanent. Create a new one "
            "instead (and set EVSEs that are gone to REMOVED)."
        ]
        for name, attname in attnames.items()
        if stored[attname] != getattr(instance, attname)
    }


class OutOfOrderInterval(models.Model):
    """A period an EVSE could not deliver the service (status OUTOFORDER), from the time the
    charge point reported it. Gireve §3.9.2: a CDR's total_time leaves it out (free for the
    eMSP). Written by `services.set_evse_status`; `ended_at` is empty while it lasts."""

    evse = models.ForeignKey(EVSE, on_delete=models.CASCADE, related_name="out_of_order")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["evse", "started_at"]
        indexes = [models.Index(fields=["evse", "started_at"], name="outoforder_evse_start")]

    def __str__(self) -> str:
        return f"{self.evse} out of order from {self.started_at}"
