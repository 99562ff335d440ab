"""OCPI 2.2.1 Tariff JSON out of (and into) our model, numbers kept exact.

Out: `tariff_to_ocpi` builds the object as mod_tariffs defines it, amounts as Decimal;
`roaming.ocpi_json.dumps` writes them with Decimals as JSON numbers digit for digit ("2.00"
stays 2.00). In: `roaming.ocpi_json.loads` reads numbers as Decimal, `parse_tariff` checks one
Tariff object and returns model field values, with errors naming the tariff id and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from roaming import ocpi_checks as loc
from roaming.ocpi_io import ImportRefused
from roaming.ocpi_time import format_datetime, parse_datetime
from roaming.validators import url_id

from . import enums
from . import ocpi_classes as oc
from .models import Tariff

ELEMENT_KEYS = ("price_components", "restrictions")
COMPONENT_KEYS = ("type", "price", "vat", "step_size")
RESTRICTION_KEYS = (
    "start_time",
    "end_time",
    "start_date",
    "end_date",
    "min_kwh",
    "max_kwh",
    "min_current",
    "max_current",
    "min_power",
    "max_power",
    "min_duration",
    "max_duration",
    "day_of_week",
    "reservation",
)


def _put_optional(obj: dict, key: str, value) -> None:
    """OCPI cardinality ?/*: leave out what we do not have rather than sending null/""."""
    if value is None or value == "" or value == [] or value == {}:
        return
    obj[key] = value


def _number(text) -> Decimal:
    return Decimal(text)


def _ordered(source: dict, keys: tuple[str, ...], numbers: tuple[str, ...]) -> dict:
    """Spec field order (jsonb does not keep ours), decimal strings back to Decimal."""
    return {
        key: _number(source[key]) if key in numbers else source[key]
        for key in keys
        if source.get(key) is not None and source.get(key) != []
    }


def price_to_ocpi(price: dict | None) -> dict | None:
    if not price:
        return None
    return _ordered(price, ("excl_vat", "incl_vat"), oc.PRICE_NUMBERS)


def elements_to_ocpi(elements: list[dict]) -> list[dict]:
    result = []
    for element in elements:
        out = {
            "price_components": [
                _ordered(c, COMPONENT_KEYS, oc.PRICE_COMPONENT_NUMBERS)
                for c in element["price_components"]
            ]
        }
        restrictions = element.get("restrictions")
        if restrictions is not None:
            out["restrictions"] = _ordered(restrictions, RESTRICTION_KEYS, oc.RESTRICTION_NUMBERS)
        result.append(out)
    return result


def tariff_to_ocpi(tariff: Tariff) -> dict:
    """OCPI 2.2.1 Tariff; Gireve's target fields only on targeted descriptions (§3.10.4)."""
    operator = tariff.operator
    obj: dict = {
        "country_code": operator.country_code,
        "party_id": operator.party_id,
        "id": tariff.ocpi_id,
        "currency": tariff.currency,
    }
    _put_optional(obj, "type", tariff.type)
    _put_optional(obj, "tariff_alt_text", tariff.tariff_alt_text)
    _put_optional(obj, "tariff_alt_url", tariff.tariff_alt_url)
    _put_optional(obj, "min_price", price_to_ocpi(tariff.min_price))
    _put_optional(obj, "max_price", price_to_ocpi(tariff.max_price))
    obj["elements"] = elements_to_ocpi(tariff.elements)
    if tariff.start_date_time:
        obj["start_date_time"] = format_datetime(tariff.start_date_time)
    if tariff.end_date_time:
        obj["end_date_time"] = format_datetime(tariff.end_date_time)
    _put_optional(obj, "energy_mix", tariff.energy_mix)
    if tariff.is_targeted:
        obj["target_operator_country_code"] = tariff.target_operator_country_code
        obj["target_operator_party_id"] = tariff.target_operator_party_id
    obj["last_updated"] = format_datetime(tariff.last_updated)
    return obj


# --- inbound Tariff JSON -----------------------------------------------------


@dataclass
class ParsedTariff:
    country_code: str
    party_id: str
    fields: dict
    label: str


def _decimal_numbers_in_mix(value):
    """EnergyMix percentages are not money; locations keeps them as plain JSON numbers."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _decimal_numbers_in_mix(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimal_numbers_in_mix(v) for v in value]
    return value


def _any(value, path):
    return []


_TARIFF_FIELDS = {
    "country_code": (loc.string(2, ci=True), True),
    "party_id": (loc.string(3, ci=True), True),
    "id": (url_id(36), True),
    "currency": (loc.string(3), True),
    "type": (loc.enum(enums.TariffType), False),
    "tariff_alt_text": (_any, False),  # numbers and texts checked by the model below
    "tariff_alt_url": (loc.url, False),
    "min_price": (_any, False),
    "max_price": (_any, False),
    "elements": (_any, True),
    "start_date_time": (loc.datetime, False),
    "end_date_time": (loc.datetime, False),
    "energy_mix": (_any, False),
    "target_operator_country_code": (loc.string(2, ci=True), False),
    "target_operator_party_id": (loc.string(3, ci=True), False),
    "last_updated": (loc.datetime, True),
}


def parse_tariff(data, *, label: str = "") -> ParsedTariff:
    """Check the envelope of one OCPI Tariff object; model field values or ImportRefused.

    Elements, prices and texts are checked by Tariff.clean() (same messages as the admin).
    """
    if not isinstance(data, dict):
        raise ImportRefused([f"{label}tariff: must be a JSON object."])
    label = f"{label}tariff {data.get('id', '?')}".strip()
    if data.get("target_operator_country_code"):
        label += (
            f" for {data['target_operator_country_code']}*{data.get('target_operator_party_id')}"
        )
    problems = loc.obj(_TARIFF_FIELDS)(data, "")
    errors = [f"{label}: {problem.lstrip('.')}" for problem in problems]
    if errors:
        raise ImportRefused(errors)
    fields = {
        "ocpi_id": data["id"],
        "currency": data["currency"],
        "type": data.get("type") or "",
        "tariff_alt_text": data.get("tariff_alt_text") or [],
        "tariff_alt_url": data.get("tariff_alt_url") or "",
        "min_price": data.get("min_price"),
        "max_price": data.get("max_price"),
        "elements": data["elements"],
        "start_date_time": _optional_datetime(data.get("start_date_time")),
        "end_date_time": _optional_datetime(data.get("end_date_time")),
        "energy_mix": _decimal_numbers_in_mix(data.get("energy_mix")),
        "target_operator_country_code": data.get("target_operator_country_code") or "",
        "target_operator_party_id": data.get("target_operator_party_id") or "",
        "last_updated": parse_datetime(data["last_updated"]),
    }
    return ParsedTariff(data["country_code"], data["party_id"], fields, label)


def _optional_datetime(value):
    return parse_datetime(value) if value else None
