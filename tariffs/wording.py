"""OCPI tariff elements in words, for staff: "0.35 €/kWh; from the 61st minute 3.00 €/h".

OCPI 2.2.1 mod_tariffs units: ENERGY price per kWh and step_size in Wh; TIME and PARKING_TIME
price per hour and step_size in seconds; FLAT per session; restriction durations in seconds,
energy in kWh, power in kW, current in A. Pure: no database, numbers as Decimal.
"""

from __future__ import annotations

import re
from decimal import Decimal

SYMBOLS = {"EUR": "€", "GBP": "£", "CHF": "CHF", "USD": "$"}
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


def describe_elements(elements: list, currency: str = "EUR") -> str:
    """The elements as one line per element joined by "; " (OCPI order: first match wins)."""
    symbol = SYMBOLS.get(currency, currency)
    parts = [_element(element, symbol) for element in elements or []]
    text = "; ".join(part for part in parts if part)
    vats = {
        _number(c["vat"])
        for element in elements or []
        for c in element.get("price_components") or []
        if c.get("vat") is not None
    }
    if len(vats) == 1:
        text += f" (excl. VAT; VAT {next(iter(vats))} %)"
    elif vats:
        text += " (excl. VAT)"
    return text


def _element(element: dict, symbol: str) -> str:
    components = ", ".join(_component(c, symbol) for c in element.get("price_components") or [])
    conditions = _restrictions(element.get("restrictions") or {})
    return f"{conditions} {components}" if conditions else components


def _component(component: dict, symbol: str) -> str:
    kind, price = component.get("type"), _money(component.get("price"))
    step = int(component.get("step_size") or 0)
    if kind == "ENERGY":
        text = f"{price} {symbol}/kWh"
        if step > 1:
            text += f" billed per {_energy(Decimal(step) / 1000)}"
        return text
    if kind == "FLAT":
        return f"{price} {symbol} per session"
    label = "parking " if kind == "PARKING_TIME" else ""
    text = f"{label}{price} {symbol}/h"
    if step:
        text += f" billed per {_duration(step)}"
    return text


def _restrictions(r: dict) -> str:
    words = []
    if r.get("min_duration"):
        words.append(f"from the {_ordinal(int(r['min_duration']) // 60 + 1)} minute")
    if r.get("max_duration"):
        words.append(f"up to the {_ordinal(-(-int(r['max_duration']) // 60))} minute")
    if r.get("start_time") and r.get("end_time"):
        words.append(f"from {r['start_time']} to {r['end_time']}")
    elif r.get("start_time"):
        words.append(f"from {r['start_time']}")
    elif r.get("end_time"):
        words.append(f"until {r['end_time']}")
    if r.get("day_of_week"):
        days = [d for d in DAYS if d in r["day_of_week"]]
        words.append("on " + _join([d.capitalize() for d in days]))
    if r.get("start_date"):
        words.append(f"from {r['start_date']}")
    if r.get("end_date"):
        words.append(f"before {r['end_date']}")
    for low, high, unit in (
        ("min_kwh", "max_kwh", "kWh"),
        ("min_power", "max_power", "kW"),
        ("min_current", "max_current", "A"),
    ):
        if r.get(low) is not None:
            words.append(f"from {_number(r[low])} {unit}")
        if r.get(high) is not None:
            words.append(f"below {_number(r[high])} {unit}")
    if r.get("reservation") == "RESERVATION":
        words.append("while reserved")
    elif r.get("reservation") == "RESERVATION_EXPIRES":
        words.append("when a reservation expires")
    return ", ".join(words)


def _money(value) -> str:
    amount = Decimal(str(value))
    return f"{amount:.2f}" if amount == amount.quantize(Decimal("0.01")) else f"{amount:f}"


def _number(value) -> str:
    amount = Decimal(str(value))
    return f"{amount.normalize():f}" if amount == amount.to_integral() else f"{amount:f}"


def _energy(kwh: Decimal) -> str:
    return "kWh" if kwh == 1 else f"{kwh.normalize():f} kWh"


def _duration(seconds: int) -> str:
    if seconds == 1:
        return "second"
    if seconds % 3600 == 0:
        return "hour" if seconds == 3600 else f"{seconds // 3600} hours"
    if seconds % 60 == 0:
        return "minute" if seconds == 60 else f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# --- OCPI check messages in words: "elements[0].price_components[1].vat: ..." -> "Prices 1,
# line 2, VAT: ..." (audit 2, A13: errors read as JSON paths).

NAMES = {
    "price": "price",
    "vat": "VAT",
    "step_size": "billed per",
    "type": "charged for",
    "price_components": "prices",
    "restrictions": "only when",
    "min_duration": "after (duration)",
    "max_duration": "up to (duration)",
    "min_kwh": "from (kWh)",
    "max_kwh": "below (kWh)",
    "min_power": "from (kW)",
    "max_power": "below (kW)",
    "min_current": "from (A)",
    "max_current": "below (A)",
    "start_time": "between (start)",
    "end_time": "and (end)",
    "day_of_week": "days",
    "excl_vat": "excl. VAT",
    "incl_vat": "incl. VAT",
    "language": "language",
    "text": "text",
    "is_green_energy": "green energy",
    "supplier_name": "supplier",
    "energy_product_name": "product",
    "percentage": "%",
    "amount": "amount",
}
LISTS = {
    "elements": "Prices",
    "prices": "Prices",
    "price_components": "line",
    "tariff_alt_text": "Line",
    "energy_sources": "Sources, line",
    "environ_impact": "Environmental impact, line",
}
_PATH = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): (.*)$", re.S)
_STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def problem_in_words(message: str, field: str = "") -> str:
    """An OCPI check's message with its JSON path said in words; others unchanged.

    `field` is the form field the message is shown on: its own name is not repeated.
    """
    match = _PATH.match(message)
    if not match:
        return message
    path, rest = match.groups()
    words = []
    for step, index in _STEP.findall(path):
        if step == field and index == "":
            continue
        if index:
            words.append(f"{LISTS.get(step, NAMES.get(step, step))} {int(index) + 1}")
        else:
            words.append(NAMES.get(step, step.replace("_", " ")))
    rest = rest.replace("; give it as a JSON number, Decimal or decimal string", "")
    for name in ("excl_vat", "incl_vat", "min_duration", "min_kwh", "min_power", "min_current"):
        rest = rest.replace(name, NAMES[name])
    return f"{', '.join(words)}: {rest}" if words else rest[:1].upper() + rest[1:]
