"""Admin forms: tariff JSON edited with exact numbers, price changes, EVSE tariff groups."""

from __future__ import annotations

from django import forms

from locations.forms import ModelRulesForm, TariffIdsField
from locations.models import Location
from roaming.models import Operator
from roaming.ocpi_json import ExactJSONDecoder, dumps

from .models import Tariff, comparable
from .selectors import POWER_CLASSES


class ExactJSONField(forms.JSONField):
    """JSON whose numbers are read as Decimal (0.1 stays 0.1) and shown as numbers."""

    def __init__(self, **kwargs):
        kwargs.setdefault("decoder", ExactJSONDecoder)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 12, "cols": 80}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return dumps(_as_numbers(value), indent=2)

    def has_changed(self, initial, data):
        try:
            data = self.to_python(data)
        except forms.ValidationError:
            return True
        return _as_numbers(initial) != _as_numbers(data)


def _as_numbers(value):
    """Stored decimal strings shown as JSON numbers (the form reads them back as Decimal)."""
    return comparable(value)


class TariffForm(ModelRulesForm):
    elements = ExactJSONField(
        help_text='OCPI TariffElements, e.g. [{"price_components": [{"type": "ENERGY", '
        '"price": 0.25, "vat": 20.0, "step_size": 1}]}]'
    )
    min_price = ExactJSONField(required=False, help_text='{"excl_vat": 0.50, "incl_vat": 0.60}')
    max_price = ExactJSONField(required=False, help_text='{"excl_vat": 10.00, "incl_vat": 12.00}')
    tariff_alt_url = forms.URLField(required=False, max_length=255, assume_scheme="https")

    class Meta:
        model = Tariff
        fields = "__all__"


class ChangePricesForm(forms.Form):
    """Gireve §3.10.1: the new tariff id, when it starts, and its elements per description."""

    new_id = forms.CharField(max_length=36, label="New tariff id")
    start_date_time = forms.DateTimeField(
        label="New prices from", help_text="The current tariff ends then (local time)."
    )

    def __init__(self, *args, descriptions: list[Tariff], **kwargs):
        super().__init__(*args, **kwargs)
        self.descriptions = descriptions
        for tariff in descriptions:
            self.fields[f"elements_{tariff.pk}"] = ExactJSONField(
                label=f"Elements for {tariff.target_label}", initial=tariff.elements
            )

    def elements(self) -> dict[int, list]:
        return {t.pk: self.cleaned_data[f"elements_{t.pk}"] for t in self.descriptions}


class AssignTariffsForm(forms.Form):
    """Gireve §3.5.3 EVSE tariff groups: which EVSEs get which tariff ids."""

    tariff_ids = TariffIdsField(required=True)
    operator = forms.ModelChoiceField(Operator.objects.all(), required=False)
    location = forms.ModelChoiceField(Location.objects.select_related("operator"), required=False)
    power_class = forms.ChoiceField(
        required=False,
        choices=[("", "any power")] + [(k, v[0]) for k, v in POWER_CLASSES.items()],
        help_text="By the EVSE's most powerful connector (max_electric_power, else "
        "voltage x amperage x phases).",
    )
    add = forms.BooleanField(
        required=False,
        label="Add to the existing tariff ids",
        help_text="Unticked: the EVSEs' tariff ids are replaced.",
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("operator") and not cleaned.get("location"):
            raise forms.ValidationError("Choose an operator or a location.")
        return cleaned
