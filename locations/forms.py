"""Admin forms: OCPI lists as checkboxes and plain fields instead of raw JSON where cheap."""

import json
from decimal import Decimal

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from roaming import countries

from . import enums, services
from . import ocpi_classes as oc
from .models import EVSE, Connector, Location
from .widgets import CoordinateField, DatalistInput, time_zone_options


def _checkboxes(choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class TariffIdsField(forms.CharField):
    """Gireve EVSE tariff group (§3.5.3) as "AC_STD, AC_NIGHT"; order is kept."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Tariff ids, comma separated, in order of preference.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [part.strip() for part in (value or "").split(",") if part.strip()]

    def validate(self, value):
        super().validate(value)
        problems = oc.tariff_ids(value, "tariff_ids")
        if problems:
            raise forms.ValidationError(problems)


class ModelRulesForm(forms.ModelForm):
    """Shows model clean() errors on fields this form lacks as form-level messages."""

    field_aliases: dict[str, str] = {}

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            remapped: dict[str, list] = {}
            for name, messages in errors.error_dict.items():
                target = self.field_aliases.get(name, name)
                if target != NON_FIELD_ERRORS and target not in self.fields:
                    messages = [
                        ValidationError(f"{name}: {m}") for e in messages for m in e.messages
                    ]
                    target = NON_FIELD_ERRORS
                remapped.setdefault(target, []).extend(messages)
            errors = ValidationError(remapped)
        super()._update_errors(errors)


class LocationForm(ModelRulesForm):
    field_aliases = {"owner": "owner_name"}

    country = forms.ChoiceField(
        choices=[("", "— choose a country —"), *countries.choices()],
        help_text="Sets the time zone below when that is empty.",
        widget=forms.Select(attrs={"data-time-zones": json.dumps(countries.TIME_ZONES)}),
    )
    latitude = CoordinateField(
        max_length=12, help_text="Decimal degrees, e.g. 47.2064 (padded to 5 decimals)."
    )
    longitude = CoordinateField(
        max_length=13, help_text="Decimal degrees, e.g. -1.5536 (padded to 5 decimals)."
    )
    time_zone = forms.CharField(
        max_length=255,
        required=False,
        widget=DatalistInput(time_zone_options, list_id="time-zones"),
        help_text="IANA time zone, e.g. Europe/Paris. Left empty: the country's.",
    )

    facilities = _checkboxes(enums.Facility.choices)
    owner_name = forms.CharField(
        max_length=100,
        required=False,
        label="Owner name",
        help_text="Owner of the site (BusinessDetails.name); Gireve requires it (§3.5.1).",
    )
    owner_website = forms.URLField(
        max_length=255, required=False, label="Owner website", assume_scheme="https"
    )
    # Issue 19.1: a save that withdraws a shared location from the hub asks first.
    confirm_withdrawal = forms.BooleanField(
        required=False,
        label="I understand: withdraw it from the hub",
        help_text="Needed only when this save unpublishes the location or leaves it "
        "incomplete for Gireve while the hub holds it.",
    )

    class Meta:
        model = Location
        fields = [
            "operator",
            "ocpi_id",
            "publish",
            "publish_allowed_to",
            "name",
            "address",
            "city",
            "postal_code",
            "state",
            "country",
            "latitude",
            "longitude",
            "related_locations",
            "parking_type",
            "directions",
            "operator_details",
            "suboperator",
            "facilities",
            "time_zone",
            "opening_times",
            "charging_when_closed",
            "images",
            "energy_mix",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.instance.owner or {}
        self.initial.setdefault("owner_name", owner.get("name", ""))
        self.initial.setdefault("owner_website", owner.get("website", ""))

    def clean_time_zone(self):
        zone = self.cleaned_data.get("time_zone", "").strip()
        if not zone:
            zone = countries.TIME_ZONES.get(self.data.get(self.add_prefix("country"), ""), "")
        if not zone:
            raise ValidationError("Give the time zone, e.g. Europe/Paris.")
        return zone

    def clean(self):
        cleaned = super().clean()
        name, website = cleaned.get("owner_name"), cleaned.get("owner_website")
        if website and not name:
            self.add_error("owner_name", "Give the owner's name when you give a website.")
        return cleaned

    def _post_clean(self):
        # Build owner before model validation so Location.clean() checks it too.
        name = self.cleaned_data.get("owner_name")
        owner = dict(self.instance.owner or {})  # keeps a logo set through import
        owner.pop("website", None)
        if name:
            owner["name"] = name
            if self.cleaned_data.get("owner_website"):
                owner["website"] = self.cleaned_data["owner_website"]
            self.instance.owner = owner
        else:
            self.instance.owner = None
        super()._post_clean()
        confirmed = self.cleaned_data.get("confirm_withdrawal")
        if not confirmed and not self.errors and services.would_withdraw(self.instance):
            self.add_error("confirm_withdrawal", withdrawal_warning(self.instance))


def withdrawal_warning(location: Location) -> str:
    """What a withdrawing save does, said before it happens (issue 19.1)."""
    reason = (
        "it is no longer published"
        if not location.publish
        else "it would miss " + ", ".join(location.missing_for_gireve())
    )
    count = location.evses.count()
    return (
        f"Saving withdraws {location.ocpi_id} from the hub because {reason}: the hub gets "
        f"publish=false and eMSPs stop showing it and its {count} EVSE(s) (Gireve §3.5.4) "
        "until it is published and complete again. Tick the box to confirm, or undo the change."
    )


class EVSEForm(ModelRulesForm):
    capabilities = _checkboxes(enums.Capability.choices)
    parking_restrictions = _checkboxes(enums.ParkingRestriction.choices)
    tariff_ids = TariffIdsField()

    class Meta:
        model = EVSE
        fields = [
            "location",
            "uid",
            "evse_id",
            "status",
            "status_schedule",
            "capabilities",
            "floor_level",
            "latitude",
            "longitude",
            "physical_reference",
            "directions",
            "parking_restrictions",
            "images",
            "tariff_ids",
        ]


# Usual set-ups offered when adding an EVSE: capabilities plus its first connector
# (locations/static/locations/admin.js fills the connector row from data-presets).
PRESETS = {
    "AC_22": {
        "label": "AC 22 kW, Type 2 socket",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE", "UNLOCK_CAPABLE"],
        "connector": {
            "standard": "IEC_62196_T2",
            "format": "SOCKET",
            "power_type": "AC_3_PHASE",
            "max_voltage": 230,
            "max_amperage": 32,
            "max_power_kw": "22",
        },
    },
    "AC_7": {
        "label": "AC 7.4 kW, Type 2 socket (1-phase)",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE", "UNLOCK_CAPABLE"],
        "connector": {
            "standard": "IEC_62196_T2",
            "format": "SOCKET",
            "power_type": "AC_1_PHASE",
            "max_voltage": 230,
            "max_amperage": 32,
            "max_power_kw": "7.4",
        },
    },
    "DC_50": {
        "label": "DC 50 kW, CCS2 cable",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        "connector": {
            "standard": "IEC_62196_T2_COMBO",
            "format": "CABLE",
            "power_type": "DC",
            "max_voltage": 500,
            "max_amperage": 125,
            "max_power_kw": "50",
        },
    },
    "DC_150": {
        "label": "DC 150 kW, CCS2 cable",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        "connector": {
            "standard": "IEC_62196_T2_COMBO",
            "format": "CABLE",
            "power_type": "DC",
            "max_voltage": 920,
            "max_amperage": 200,
            "max_power_kw": "150",
        },
    },
}


class EVSEInlineForm(ModelRulesForm):
    """One EVSE on its location's page: what Gireve needs, with defaults for a new one."""

    preset = forms.ChoiceField(
        required=False,
        label="Typical set-up",
        choices=[("", "— fill in by hand —"), *((k, v["label"]) for k, v in PRESETS.items())],
        help_text="Ticks the usual capabilities and fills the first connector.",
        widget=forms.Select(attrs={"data-presets": json.dumps(PRESETS)}),
    )
    capabilities = _checkboxes(enums.Capability.choices)
    tariff_ids = TariffIdsField()

    class Meta:
        model = EVSE
        fields = ["uid", "evse_id", "status", "capabilities", "physical_reference", "tariff_ids"]
        labels = {"uid": "UID", "evse_id": "EVSE id"}
        help_texts = {
            "uid": "Your own id for this EVSE, unique in the location; never changes.",
            "evse_id": "eMI3 id starting with the operator id, e.g. FR*AB1*E12345.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # A new EVSE is usually ready to charge; UNKNOWN would be pushed as such.
            self.fields["status"].initial = enums.Status.AVAILABLE

    def clean(self):
        cleaned = super().clean()
        preset = PRESETS.get(cleaned.get("preset") or "")
        if preset and not cleaned.get("capabilities"):
            cleaned["capabilities"] = list(preset["capabilities"])
            self.instance.capabilities = cleaned["capabilities"]
        return cleaned


# A connector row as staff fill it (power in kW); the inlines show these columns.
CONNECTOR_ROW = ["ocpi_id", "standard", "format", "power_type", "max_voltage", "max_amperage"]


class ConnectorForm(ModelRulesForm):
    """A connector with its power in kW, checked against voltage x amperage x phases."""

    field_aliases = {"max_electric_power": "max_power_kw"}

    max_power_kw = forms.DecimalField(
        label="Max power (kW)",
        required=False,
        min_value=Decimal("0.001"),
        max_digits=10,
        decimal_places=3,
        help_text="e.g. 22 for 22 kW; empty: voltage x amperage x phases.",
        widget=forms.NumberInput(attrs={"step": "any", "style": "width: 6em"}),
    )
    terms_and_conditions = forms.URLField(max_length=255, required=False, assume_scheme="https")

    class Meta:
        model = Connector
        fields = [*CONNECTOR_ROW, "terms_and_conditions"]
        labels = {"max_voltage": "Max voltage (V)", "max_amperage": "Max amperage (A)"}
        widgets = {
            "ocpi_id": forms.TextInput(attrs={"style": "width: 4em"}),
            "max_voltage": forms.NumberInput(attrs={"style": "width: 5em"}),
            "max_amperage": forms.NumberInput(attrs={"style": "width: 5em"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ocpi_id"].initial = "1"  # the formset proposes the next free id
        watts = self.instance.max_electric_power
        if watts:
            self.initial.setdefault("max_power_kw", (Decimal(watts) / 1000).normalize())

    def _post_clean(self):
        # OCPI max_electric_power is in W; staff type kW.
        kw = self.cleaned_data.get("max_power_kw")
        self.instance.max_electric_power = int(kw * 1000) if kw else None
        super()._post_clean()


class EVSEStatusActionForm(ActionForm):
    """Adds the status to choose under the admin action menu."""

    status = forms.ChoiceField(
        choices=[("", "— status —"), *enums.Status.choices], required=False, label="Status:"
    )
