"""Admin forms: OCPI lists as checkboxes and plain fields instead of raw JSON where cheap."""

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from . import enums
from . import ocpi_classes as oc
from .models import EVSE, Location


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


class EVSEInlineForm(ModelRulesForm):
    tariff_ids = TariffIdsField()

    class Meta:
        model = EVSE
        fields = ["uid", "evse_id", "status", "physical_reference", "tariff_ids"]


class EVSEStatusActionForm(ActionForm):
    """Adds the status to choose under the admin action menu."""

    status = forms.ChoiceField(
        choices=[("", "— status —"), *enums.Status.choices], required=False, label="Status:"
    )
