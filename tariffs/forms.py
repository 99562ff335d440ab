"""Admin forms: tariff JSON edited with exact numbers, price changes, EVSE tariff groups."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils import timezone

from locations.forms import ModelRulesForm, TariffIdsField
from locations.models import EVSE, Location
from locations.widgets import DatalistInput
from roaming.models import Operator
from roaming.validators import validate_ocpi_id

from .form_fields import DisplayTextsField, EnergyMixField, PriceField, PricesField
from .models import Tariff
from .selectors import POWER_CLASSES
from .widgets import TariffElementsEditor
from .wording import problem_in_words


class TariffForm(ModelRulesForm):
    elements = PricesField(
        label="Prices",
        widget=TariffElementsEditor(),
        help_text="The first line whose conditions match applies (OCPI). Prices exclude VAT.",
    )
    min_price = PriceField(
        required=False,
        label="Minimum price",
        help_text="Optional: a session never costs less, e.g. 0.50 and 0.60.",
    )
    max_price = PriceField(
        required=False,
        label="Maximum price",
        help_text="Optional: a session never costs more, e.g. 10.00 and 12.00.",
    )
    tariff_alt_text = DisplayTextsField(
        required=False,
        label="Tariff in words",
        help_text="Optional: the tariff for drivers, one line per language (OCPI tariff_alt_text).",
    )
    tariff_alt_url = forms.URLField(required=False, max_length=255, assume_scheme="https")
    energy_mix = EnergyMixField(
        required=False, help_text="Optional: where the energy comes from (OCPI EnergyMix)."
    )

    class Meta:
        model = Tariff
        # start_date_time is set by the Publish button (Gireve §3.10.3), with a confirmation.
        exclude = ["start_date_time"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "elements" in self.fields:
            self.fields["elements"].widget.currency = self.instance.currency or "EUR"
        if "end_date_time" in self.fields:
            # Typed and shown in the active zone: the operator's (TariffAdmin.changeform_view).
            zone = timezone.get_current_timezone_name()
            self.fields["end_date_time"].label = f"Ends ({zone})"
            self.fields[
                "end_date_time"
            ].help_text = (
                f"Date and time in {zone}, e.g. 2027-12-31 23:59:59: the tariff applies until then."
            )

    def _update_errors(self, errors):
        # The model's checks speak OCPI paths ("elements[0].price_components[0].price"): words.
        if hasattr(errors, "error_dict"):
            errors = forms.ValidationError(
                {
                    name: [problem_in_words(m, field=name) for e in items for m in e.messages]
                    for name, items in errors.error_dict.items()
                    # A field refused as typed is not judged again as empty by the model.
                    if name not in self._errors
                }
            )
        super()._update_errors(errors)


class LocalDateTimeField(forms.DateTimeField):
    """A date-time picker read in one named time zone (not the server's, not US order)."""

    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def __init__(self, *, time_zone: str, **kwargs):
        kwargs.setdefault(
            "widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        )
        super().__init__(**kwargs)
        self.zone = zoneinfo.ZoneInfo(time_zone)

    def to_python(self, value):
        if isinstance(value, dt.datetime):
            return value
        value = (value or "").strip()
        if not value:
            return None
        for fmt in self.input_formats:
            try:
                naive = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            return naive.replace(tzinfo=self.zone)
        raise forms.ValidationError("Pick a date and a time, e.g. 2027-04-05 00:00.")

    def prepare_value(self, value):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M")
        return value


class PublishForm(forms.Form):
    """Gireve §3.10.3: a tariff is shared with a start_date_time (when it applies from)."""

    def __init__(self, *args, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_date_time"] = LocalDateTimeField(
            time_zone=time_zone,
            label=f"Applies from ({time_zone})",
            initial=timezone.now().replace(second=0, microsecond=0),
        )


class ChangePricesForm(forms.Form):
    """Gireve §3.10.1: the new tariff id, when it starts, and its elements per description."""

    new_id = forms.CharField(max_length=36, label="New tariff id", validators=[validate_ocpi_id])

    def __init__(self, *args, descriptions: list[Tariff], time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.descriptions = descriptions
        self.fields["start_date_time"] = LocalDateTimeField(
            time_zone=time_zone,
            label=f"New prices from ({time_zone})",
            help_text=f"Date and time in {time_zone}; the current tariff ends then.",
        )
        for tariff in descriptions:
            self.fields[f"elements_{tariff.pk}"] = PricesField(
                label=f"Prices for {tariff.target_label}",
                initial=tariff.elements,
                widget=TariffElementsEditor(currency=tariff.currency),
            )

    def elements(self) -> dict[int, list]:
        return {t.pk: self.cleaned_data[f"elements_{t.pk}"] for t in self.descriptions}


class AssignTariffsForm(forms.Form):
    """Gireve §3.5.3 EVSE tariff groups: which EVSEs get which tariff ids."""

    tariff_ids = TariffIdsField(
        required=True,
        widget=DatalistInput(lambda: _tariff_options(), list_id="tariff-ids", attrs={"size": 40}),
        help_text="Start typing: the live tariffs are suggested. Several: comma separated, "
        "in order of preference.",
    )
    operator = forms.ModelChoiceField(Operator.objects.all(), required=False)
    location = forms.ModelChoiceField(
        Location.objects.select_related("operator"),
        required=False,
        widget=AutocompleteSelect(EVSE._meta.get_field("location"), admin.site),
        help_text="Type part of its id, name or city.",
    )
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
        operator, location = cleaned.get("operator"), cleaned.get("location")
        if not operator and not location:
            raise forms.ValidationError("Choose an operator or a location.")
        if operator and location and location.operator_id != operator.pk:
            raise forms.ValidationError(
                f"Location {location.ocpi_id} belongs to {location.operator.emi3_id}, not "
                f"{operator.emi3_id}: no EVSE can match both. Clear one of them."
            )
        return cleaned


def _tariff_options() -> list[tuple[str, str]]:
    live = Tariff.objects.filter(withdrawn_at__isnull=True).select_related("operator")
    seen: dict[str, str] = {}
    for tariff in live.order_by("ocpi_id"):
        state = "published" if tariff.is_published else "draft"
        seen.setdefault(tariff.ocpi_id, f"{tariff.operator.emi3_id}, {state}")
    return list(seen.items())
