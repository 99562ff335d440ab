"""Charging infrastructure as OCPI 2.2.1 describes it, with Gireve's operator rules.

Nested OCPI classes that are only ever read and written whole (DisplayText lists,
BusinessDetails, Hours, Image, EnergyMix, ...) are JSON fields validated by
`locations.ocpi`; everything that is searched, filtered or referenced is a column.
"""

from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from . import enums
from .validators import (
    country_alpha3_validator,
    country_code_validator,
    latitude_validator,
    longitude_validator,
    party_id_validator,
    validate_ocpi_id,
    validate_time_zone,
)


class Operator(models.Model):
    """A Gireve "CPO operation" (§3.1.1): one eMI3 operator id, e.g. FR*AB1."""

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

    class Meta:
        ordering = ["country_code", "party_id"]
        constraints = [
            models.UniqueConstraint(
                Upper("country_code"), Upper("party_id"), name="operator_unique_party"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.emi3_id} {self.name}"

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
    # What Gireve still needs before this location may be pushed (§3.5.1); kept up to
    # date by locations.services so that admin can filter on it.
    gireve_missing = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["operator", "ocpi_id"]
        constraints = [
            models.UniqueConstraint("operator", Upper("ocpi_id"), name="location_unique_id"),
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
            models.UniqueConstraint("location", Upper("uid"), name="evse_unique_uid"),
        ]

    def __str__(self) -> str:
        return self.evse_id or self.uid

    def save(self, *args, touch: bool = True, **kwargs):
        super().save(*args, touch=touch, **kwargs)
        if touch:
            Location.objects.filter(pk=self.location_id).update(last_updated=self.last_updated)


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
            models.UniqueConstraint("evse", Upper("ocpi_id"), name="connector_unique_id"),
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
