"""Admin forms: tariff JSON edited with exact numbers, price changes, EVSE tariff groups."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils import timezone

from locations.enums import EnergySourceCategory, EnvironmentalImpactCategory
from locations.forms import ModelRulesForm, TariffIdsField
from locations.models import EVSE, Location
from locations.widgets import DatalistInput
from roaming.models import Operator
from roaming.ocpi_json import ExactJSONDecoder, dumps

from .models import Tariff, comparable
from .selectors import POWER_CLASSES
from .widgets import EnergyMixWidget, PriceWidget, RowsWidget, TariffElementsEditor
from .wording import problem_in_words

# The highest price per unit (kWh, hour, session) the editor takes: above it a typing slip
# ("1e20", an extra row of zeros), not a tariff. OCPI numbers have no bound of their own.
MAX_PRICE = Decimal("100000")


class ExactJSONField(forms.JSONField):
    """JSON whose numbers are read as Decimal (0.1 stays 0.1) and shown as numbers."""

    def __init__(self, **kwargs):
        kwargs.setdefault("decoder", ExactJSONDecoder)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 12, "cols": 80}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        if value is None:
            return ""  # an empty box, not "null", for an optional value
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


def typed_decimal(value) -> Decimal | None:
    """A number as people type it: "0,35", " 20 %", 20 → Decimal; None when it is not one."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, str):
        return None
    text = value.strip().removesuffix("%").strip().replace(",", ".")
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


class PricesField(ExactJSONField):
    """Tariff elements, refused in words before the OCPI checks: a price is a number up to
    MAX_PRICE, VAT a percentage ("20 %" and "20,5" are read as 20 and 20.5; never dropped),
    and a step ("billed per") at least 1 Wh or 1 second."""

    def clean(self, value):
        elements = super().clean(value)
        if not isinstance(elements, list):
            return elements
        problems = []
        for i, element in enumerate(elements):
            components = element.get("price_components") if isinstance(element, dict) else None
            for j, component in enumerate(components if isinstance(components, list) else []):
                if isinstance(component, dict):
                    problems += _component_problems(component, f"Prices {i + 1}, line {j + 1}")
        if problems:
            raise forms.ValidationError(problems)
        return elements


def _component_problems(component: dict, where: str) -> list[str]:
    """Checks one OCPI PriceComponent as typed, normalising VAT and price in place."""
    problems = []
    price = typed_decimal(component.get("price"))
    if price is None and _huge(component.get("price")):
        problems.append(
            f"{where}: the price must be at most {MAX_PRICE} (got {component['price']})."
        )
    elif price is None:
        problems.append(
            f"{where}: the price must be a number, e.g. 0.35 (got {component.get('price')!r})."
        )
    elif price > MAX_PRICE:
        problems.append(
            f"{where}: the price must be at most {MAX_PRICE} (got {component['price']})."
        )
    else:
        component["price"] = price
    if component.get("vat") not in (None, ""):
        vat = typed_decimal(component["vat"])
        if vat is None or not 0 <= vat <= 100:
            problems.append(
                f"{where}: VAT is a percentage from 0 to 100, e.g. 20 (got {component['vat']!r})."
            )
        else:
            component["vat"] = vat
    elif "vat" in component:
        del component["vat"]  # an empty box: no VAT given, said in words as "excl. VAT" only
    step = component.get("step_size")
    if component.get("type") != "FLAT" and not (isinstance(step, int | Decimal) and step >= 1):
        unit = "Wh" if component.get("type") == "ENERGY" else "second"
        problems.append(
            f"{where}: billed per must be at least 1 {unit}, in whole {unit}s (got {step})."
        )
    return problems


def _huge(value) -> bool:
    """ "1e20": a number in scientific notation, above any price."""
    try:
        return abs(Decimal(str(value).strip())) > MAX_PRICE
    except (InvalidOperation, ValueError):
        return False


class PriceField(forms.Field):
    """OCPI Price (min_price, max_price): both amounts or neither."""

    widget = PriceWidget

    def prepare_value(self, value):
        return value

    def to_python(self, value):
        value = value if isinstance(value, dict) else {}
        excl, incl = (str(value.get(k) or "").strip() for k in ("excl_vat", "incl_vat"))
        if not excl and not incl:
            return None
        if not excl or not incl:
            raise forms.ValidationError(
                "Give the price both excluding and including VAT (e.g. 0.50 and 0.60), or neither."
            )
        amounts = {}
        for key, text in (("excl_vat", excl), ("incl_vat", incl)):
            amount = typed_decimal(text)
            if amount is None or amount < 0 or amount > MAX_PRICE:
                raise forms.ValidationError(
                    f"{text} is not an amount: give a number from 0 to {MAX_PRICE}, e.g. 0.50."
                )
            amounts[key] = amount
        return amounts

    def has_changed(self, initial, data):
        try:
            data = self.to_python(data)
        except forms.ValidationError:
            return True
        return comparable(initial) != comparable(data)


class DisplayTextsField(forms.Field):
    """OCPI DisplayText list (tariff_alt_text): a language and a text per line."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            RowsWidget([("language", "Language (e.g. fr)", None, 3), ("text", "Text", None, 70)]),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        texts = []
        for n, row in enumerate(value or [], 1):
            language, text = (str(row.get(k) or "").strip() for k in ("language", "text"))
            if not language and not text:
                continue
            if not re.fullmatch(r"[A-Za-z]{2}", language) or not text:
                raise forms.ValidationError(
                    f"Line {n}: give a language of 2 letters (e.g. fr, en) and its text."
                )
            texts.append({"language": language.lower(), "text": text})
        return texts

    def has_changed(self, initial, data):
        try:
            return (initial or []) != self.to_python(data)
        except forms.ValidationError:
            return True


_SOURCES = RowsWidget(
    [
        ("source", "Source", [("", "—"), *EnergySourceCategory.choices], None),
        ("percentage", "%", None, 5),
    ]
)
_IMPACTS = RowsWidget(
    [
        ("category", "Category", [("", "—"), *EnvironmentalImpactCategory.choices], None),
        ("amount", "g/kWh", None, 7),
    ]
)


class EnergyMixField(forms.Field):
    """OCPI EnergyMix in fields; empty (not green, nothing typed) means none."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", EnergyMixWidget(sources=_SOURCES, impacts=_IMPACTS))
        super().__init__(**kwargs)

    def to_python(self, value):
        if not isinstance(value, dict):
            return value or None
        mix: dict = {"is_green_energy": bool(value.get("is_green_energy"))}
        for key in ("supplier_name", "energy_product_name"):
            if value.get(key):
                mix[key] = value[key]
        for key, name, amount, label in (
            ("energy_sources", "source", "percentage", "Sources"),
            ("environ_impact", "category", "amount", "Environmental impact"),
        ):
            rows = []
            for n, row in enumerate(value.get(key) or [], 1):
                if not row.get(name) and not str(row.get(amount) or "").strip():
                    continue
                number = typed_decimal(row.get(amount))
                if not row.get(name) or number is None:
                    raise forms.ValidationError(
                        f"{label}, line {n}: choose one and give its number, e.g. 35."
                    )
                # OCPI EnergyMix numbers are plain JSON numbers (not money): as the OCPI
                # checks take them (roaming.ocpi_checks.number).
                whole = number == number.to_integral()
                rows.append({name: row[name], amount: int(number) if whole else float(number)})
            if rows:
                mix[key] = rows
        if mix == {"is_green_energy": False}:
            return None
        return mix

    def has_changed(self, initial, data):
        try:
            return comparable(initial) != comparable(self.to_python(data))
        except forms.ValidationError:
            return True


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

    new_id = forms.CharField(max_length=36, label="New tariff id")

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
