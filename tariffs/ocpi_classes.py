"""Checks for the OCPI 2.2.1 mod_tariffs classes kept in JSON fields, and their number format.

Money never passes through float: every OCPI `number` of a tariff (PriceComponent.price/vat,
Price.excl_vat/incl_vat, the kWh/current/power restrictions) is stored in the JSON columns as
a decimal string ("0.25", "2.00"), accepted as Decimal, int or such a string, and turned back
into Decimal by `tariffs.ocpi`. Checks follow `locations.ocpi_classes`: (value, path) ->
readable problems.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from locations.ocpi_classes import energy_mix as location_energy_mix
from roaming import ocpi_checks as loc

from . import enums

# OCPI 2.2.1 types: "numbers use 4 decimals"; we also bound the digits so that every stored
# amount is exact in any JSON reader (15 significant digits at most).
MAX_PLACES = 4
MAX_DIGITS = 15
DECIMAL_TEXT_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?\Z")
DATE_RE = re.compile(r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\Z")

PRICE_COMPONENT_NUMBERS = ("price", "vat")
RESTRICTION_NUMBERS = ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power")
PRICE_NUMBERS = ("excl_vat", "incl_vat")


def decimal_text(value) -> str | None:
    """The stored form of an OCPI number ("0.25"), or None when it is not an exact number."""
    if isinstance(value, bool | float):
        return None  # float: refused, a binary fraction is not an amount of money
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return format(value, "f")
    if isinstance(value, str) and DECIMAL_TEXT_RE.match(value.strip()):
        return value.strip()
    return None


def number(minimum: int | None = 0) -> loc.Check:
    """An OCPI number stored as a decimal string: at most 4 decimals, >= minimum."""

    def check(value, path):
        if isinstance(value, float):
            return [
                f"{path}: must be a number given exactly (Decimal or decimal string), "
                f"not the float {value!r}: amounts never pass through float."
            ]
        if not isinstance(value, str) or not DECIMAL_TEXT_RE.match(value):
            return [
                f"{path}: must be a number with at most {MAX_PLACES} decimals, e.g. 0.25 "
                f"(got {value!r}; give it as a JSON number, Decimal or decimal string)."
            ]
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return [f"{path}: {value!r} is not a number."]
        places = -amount.as_tuple().exponent
        if places > MAX_PLACES:
            return [f"{path}: at most {MAX_PLACES} decimals (OCPI number), got {value}."]
        if len(amount.as_tuple().digits) > MAX_DIGITS:
            return [f"{path}: at most {MAX_DIGITS} digits, got {value}."]
        if minimum is not None and amount < minimum:
            return [f"{path}: must be at least {minimum} (got {value})."]
        return []

    return check


def _normalized_numbers(obj, names) -> dict:
    if not isinstance(obj, dict):
        return obj
    copy = dict(obj)
    for name in names:
        if copy.get(name) is not None:
            text = decimal_text(copy[name])
            copy[name] = text if text is not None else copy[name]
    return copy


def normalize_price(value):
    """Price as stored: amounts as decimal strings; anything else is left for the checks."""
    return _normalized_numbers(value, PRICE_NUMBERS) if value else value


def normalize_elements(value):
    """Elements as stored (decimal strings for numbers); invalid parts left for the checks."""
    if not isinstance(value, list):
        return value
    elements = []
    for element in value:
        if not isinstance(element, dict):
            elements.append(element)
            continue
        element = dict(element)
        components = element.get("price_components")
        if isinstance(components, list):
            element["price_components"] = [
                _normalized_numbers(c, PRICE_COMPONENT_NUMBERS) for c in components
            ]
        if element.get("restrictions") is not None:
            element["restrictions"] = _normalized_numbers(
                element["restrictions"], RESTRICTION_NUMBERS
            )
        elements.append(element)
    return elements


# --- OCPI 2.2.1 classes ------------------------------------------------------

DATE = loc.string(10, pattern=DATE_RE, hint="a local date YYYY-MM-DD (2015-12-24)")


def _price_rule(value: dict, path: str) -> list[str]:
    if Decimal(value["incl_vat"]) < Decimal(value["excl_vat"]):
        return [f"{path}.incl_vat: must not be lower than excl_vat ({value['excl_vat']})."]
    return []


price = loc.obj({"excl_vat": (number(), True), "incl_vat": (number(), True)}, _price_rule)


def _range_rule(value: dict, path: str) -> list[str]:
    problems = []
    for low, high in (
        ("min_kwh", "max_kwh"),
        ("min_current", "max_current"),
        ("min_power", "max_power"),
        ("min_duration", "max_duration"),
    ):
        both = value.get(low) is not None and value.get(high) is not None
        if both and Decimal(str(value[high])) <= Decimal(str(value[low])):
            problems.append(f"{path}.{high}: must be greater than {low} ({value[low]}).")
    dates = value.get("start_date") and value.get("end_date")
    if dates and value["end_date"] <= value["start_date"]:
        problems.append(
            f"{path}.end_date: must be after start_date ({value['start_date']}); "
            "end_date is exclusive."
        )
    return problems


restrictions = loc.obj(
    {
        "start_time": (loc.HOUR_MINUTE, False),
        "end_time": (loc.HOUR_MINUTE, False),
        "start_date": (DATE, False),
        "end_date": (DATE, False),
        "min_kwh": (number(), False),
        "max_kwh": (number(), False),
        "min_current": (number(), False),
        "max_current": (number(), False),
        "min_power": (number(), False),
        "max_power": (number(), False),
        "min_duration": (loc.integer(0), False),
        "max_duration": (loc.integer(0), False),
        "day_of_week": (loc.list_of(loc.enum(enums.DayOfWeek), unique=True), False),
        "reservation": (loc.enum(enums.ReservationRestrictionType), False),
    },
    _range_rule,
)

price_component = loc.obj(
    {
        "type": (loc.enum(enums.TariffDimensionType), True),
        "price": (number(), True),
        "vat": (number(), False),
        "step_size": (loc.integer(0), True),
    }
)


def _element_rule(value: dict, path: str) -> list[str]:
    components = value["price_components"]
    if not components:
        # OCPI 2.2.1 TariffElement.price_components has cardinality +.
        return [f"{path}.price_components: at least one price component is required."]
    if (value.get("restrictions") or {}).get("reservation"):
        # OCPI 2.2.1 TariffRestrictions.reservation: only FLAT and TIME dimensions.
        wrong = [c["type"] for c in components if c["type"] not in ("FLAT", "TIME")]
        if wrong:
            return [
                f"{path}.price_components: a reservation element may only price FLAT and "
                f"TIME, not {', '.join(wrong)}."
            ]
    return []


element = loc.obj(
    {
        "price_components": (loc.list_of(price_component), True),
        "restrictions": (restrictions, False),
    },
    _element_rule,
)


def elements(value, path):
    problems = loc.list_of(element)(value, path)
    if not problems and not value:
        # OCPI 2.2.1 Tariff.elements has cardinality +.
        return [f"{path}: at least one tariff element is required."]
    return problems


display_texts = loc.display_texts
energy_mix = location_energy_mix
