"""Form fields for tariffs as people type them: exact JSON, prices, OCPI Price, DisplayText
and EnergyMix without JSON (issue 19.3). Refusals are said in words on the field."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms

from locations.enums import EnergySourceCategory, EnvironmentalImpactCategory
from roaming.ocpi_json import ExactJSONDecoder, dumps

from .models import comparable
from .widgets import EnergyMixWidget, PriceWidget, RowsWidget

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
