"""Our own strict check of emitted OCPI 2.2.1 Tariff JSON (parsed with Decimal numbers)."""

from decimal import Decimal

from roaming import ocpi_checks as loc
from roaming.ocpi_io import ImportRefused
from tariffs import ocpi_classes as oc
from tariffs.ocpi import parse_tariff

NUMBER_KEYS = {*oc.PRICE_COMPONENT_NUMBERS, *oc.RESTRICTION_NUMBERS, *oc.PRICE_NUMBERS}


def _numbers_are_json_numbers(value, path="") -> list[str]:
    problems = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in NUMBER_KEYS and not isinstance(item, Decimal | int):
                problems.append(f"{path}.{key}: {item!r} is not a JSON number")
            problems += _numbers_are_json_numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems += _numbers_are_json_numbers(item, f"{path}[{index}]")
    return problems


def check_tariff(obj: dict) -> list[str]:
    """Problems with one emitted Tariff: fields, cardinalities, lengths, exact numbers."""
    problems = _numbers_are_json_numbers(obj)
    try:
        parse_tariff(obj)
    except ImportRefused as exc:
        problems += exc.errors
    problems += oc.elements(oc.normalize_elements(obj.get("elements")), "elements")
    for name in ("min_price", "max_price"):
        if name in obj:
            problems += oc.price(oc.normalize_price(obj[name]), name)
    if "tariff_alt_text" in obj:
        problems += loc.display_texts(obj["tariff_alt_text"], "tariff_alt_text")
    for key, value in obj.items():
        if value in (None, "", [], {}):
            problems.append(f"{key}: sent empty instead of left out")
    return problems
