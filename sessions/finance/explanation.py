"""Why a CDR costs what it costs, in plain words, from the pricing engine itself.

The engine's breakdown (tariffs.pricing PricingResult.breakdown, docs/pricing.md) says which
price component of which tariff element billed which part of which charging period, with
step rounding as lines of their own; here it is priced again from the CDR's own tariff and
periods, put in words, and compared with the amounts the CDR carries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from roaming.ocpi_time import parse_datetime
from tariffs.pricing import PricingError, price_cdr

from ..models import Cdr

UNITS = {"ENERGY": "kWh", "TIME": "h", "PARKING_TIME": "h", "RESERVATION_TIME": "h", "FLAT": ""}
WHAT = {
    "ENERGY": "energy",
    "TIME": "charging time",
    "PARKING_TIME": "parking time",
    "RESERVATION_TIME": "reservation time",
    "FLAT": "start fee",
}


def which_price(element: int, component: int, kind: str) -> str:
    """'element 2, price 1: parking time' (was "#2 · 1 (PARKING_TIME)", audit 2 E4)."""
    return f"element {element}, price {component}: {WHAT.get(kind, kind.lower())}"


@dataclass
class Line:
    period: int
    start: dt.datetime
    end: dt.datetime
    element: int
    component: int
    type: str
    words: str
    volume: Decimal
    seconds: Decimal | None  # TIME and PARKING_TIME: the whole seconds priced
    unit: str
    price: Decimal
    vat: Decimal | None
    step_rounding: bool
    excl_vat: Decimal
    incl_vat: Decimal | None

    @property
    def which(self) -> str:
        return which_price(self.element, self.component, self.type)


@dataclass
class VatLine:
    """One price component's amount, rounded, and its VAT on that rounded amount."""

    element: int
    component: int
    type: str
    words: str
    vat: Decimal | None
    excl_vat: Decimal
    vat_amount: Decimal | None
    incl_vat: Decimal | None

    @property
    def which(self) -> str:
        return which_price(self.element, self.component, self.type)


@dataclass
class Explanation:
    tariff: dict | None
    tariff_id: str
    whose: str
    time_zone: str
    lines: list[Line] = field(default_factory=list)
    # docs/pricing.md "VAT": per price component, on its rounded amount, then summed
    vat_lines: list[VatLine] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    total: dict | None = None  # the engine's total_cost (rounded as in a CDR)
    cdr_total: dict | None = None
    matches: bool = False
    min_price: dict | None = None
    max_price: dict | None = None
    min_price_applied: bool = False
    max_price_applied: bool = False
    error: str = ""
    notes: list[str] = field(default_factory=list)


def explain_cdr(cdr: Cdr, time_zone: str) -> Explanation:
    """Price the CDR's periods again with the tariff it names and say it line by line."""
    data = cdr.data
    tariff = (data.get("tariffs") or [None])[0]
    emsp = f"{cdr.emsp_country_code}*{cdr.emsp_party_id}"
    result = Explanation(
        tariff=tariff,
        tariff_id=str(tariff.get("id", "")) if tariff else "",
        whose=_whose(tariff, emsp),
        time_zone=time_zone,
        cdr_total=_original_total(data),
    )
    if tariff is None:
        result.error = "The CDR names no tariff: nothing was priced (free charge)."
        return result
    result.elements = [_element_words(element) for element in tariff.get("elements", [])]
    result.min_price, result.max_price = tariff.get("min_price"), tariff.get("max_price")
    try:
        priced = price_cdr(tariff, data, time_zone)
    except PricingError as error:
        result.error = f"The pricing engine refuses this CDR: {error}"
        return result
    zone = ZoneInfo(time_zone)
    result.lines = [_line(row, zone, tariff) for row in priced.breakdown()]
    result.vat_lines = [_vat_line(row) for row in priced.vat_breakdown()]
    result.total = priced.cost_fields()["total_cost"]
    result.min_price_applied = priced.min_price_applied
    result.max_price_applied = priced.max_price_applied
    result.matches = result.total == result.cdr_total
    if cdr.credit:
        result.notes.append(
            "This is a credit CDR: the amounts above are those of the original CDR "
            f"{data.get('credit_reference_id')}; the credit carries them negated."
        )
    return result


def _original_total(data: dict) -> dict:
    """The CDR's total_cost, positive (a credit CDR carries it negated)."""
    total = data.get("total_cost") or {}
    sign = -1 if data.get("credit") else 1
    return {name: sign * Decimal(value) for name, value in total.items()}


def _whose(tariff: dict | None, emsp: str) -> str:
    if tariff is None:
        return "No tariff: the EVSE had none valid for this eMSP at the start."
    country, party = (
        tariff.get("target_operator_country_code"),
        tariff.get("target_operator_party_id"),
    )
    if country and party:
        return (
            f"The description of tariff {tariff.get('id')} targeted at this eMSP "
            f"({country}*{party}): Gireve §3.10.4, an eMSP's own description wins."
        )
    return (
        f"The default description of tariff {tariff.get('id')}: no description targeted at "
        f"{emsp} was valid at the start (Gireve §3.10.4)."
    )


def shown(volume: Decimal, unit: str, seconds: Decimal | None = None) -> str:
    """A volume as a person reads it: at most 6 decimals (the exact one is in the engine's
    breakdown), hours with their minutes and the whole seconds priced (docs/pricing.md)."""
    text = f"{volume.quantize(Decimal('0.000001')).normalize():f}" if volume else str(volume)
    if unit == "h" and volume:
        minutes = f"{(volume * 60).quantize(Decimal('0.1')).normalize():f} min"
        text += f" h ({minutes}, {seconds:f} s)" if seconds is not None else f" h ({minutes})"
    elif unit:
        text += f" {unit}"
    return text


def _step(tariff: dict, row: dict) -> str:
    component = tariff["elements"][row["element"]]["price_components"][row["price_component"]]
    return f"{component.get('step_size')} {'Wh' if row['type'] == 'ENERGY' else 's'}"


def _line(row: dict, zone: ZoneInfo, tariff: dict) -> Line:
    kind = row["type"]
    unit = UNITS.get(kind, "")
    volume, seconds = row["volume"], row.get("seconds")
    words = (
        f"{WHAT.get(kind, kind)}: {shown(volume, unit, seconds)} at {row['price']} per {unit}"
        if unit
        else f"{WHAT.get(kind, kind)}: {row['price']}"
    )
    if row["step_rounding"]:
        words = (
            f"step rounding of the {WHAT.get(kind, kind)} up to the next step of "
            f"{_step(tariff, row)}: {shown(volume, unit, seconds)} more billed "
            f"at {row['price']} per {unit}"
        )
    return Line(
        period=row["period"] + 1,
        start=parse_datetime(row["start_date_time"]).astimezone(zone),
        end=parse_datetime(row["end_date_time"]).astimezone(zone),
        element=row["element"] + 1,
        component=row["price_component"] + 1,
        type=kind,
        words=words,
        volume=volume,
        seconds=seconds,
        unit=unit,
        price=row["price"],
        vat=row["vat"],
        step_rounding=row["step_rounding"],
        excl_vat=row["excl_vat"],
        incl_vat=row["incl_vat"],
    )


def _vat_line(row: dict) -> VatLine:
    kind = row["type"]
    what = "reservation" if row["category"] == "reservation" else WHAT.get(kind, kind)
    if row["vat"] is None:
        words = f"{what}: no VAT given in the tariff, incl. VAT unknown"
    else:
        words = (
            f"{what}: {row['excl_vat']} excl. VAT (rounded) + {row['vat']} % = "
            f"{row['vat_amount']} VAT"
        )
    return VatLine(
        element=row["element"] + 1,
        component=row["price_component"] + 1,
        type=kind,
        words=words,
        vat=row["vat"],
        excl_vat=row["excl_vat"],
        vat_amount=row["vat_amount"],
        incl_vat=row["incl_vat"],
    )


def _element_words(element: dict) -> str:
    """An element's components and restrictions as one sentence."""
    parts = []
    for component in element.get("price_components", []):
        kind = component.get("type")
        unit = UNITS.get(kind, "")
        price = f"{component.get('price')} per {unit}" if unit else f"{component.get('price')}"
        step = component.get("step_size")
        vat = component.get("vat")
        parts.append(
            f"{WHAT.get(kind, kind)} {price}"
            + (f", VAT {vat} %" if vat is not None else ", VAT unknown")
            + (f", billed in steps of {step} s" if kind != "ENERGY" and step and step > 1 else "")
            + (f", billed in steps of {step} Wh" if kind == "ENERGY" and step and step > 1 else "")
        )
    restrictions = element.get("restrictions") or {}
    when = _restriction_words(restrictions)
    return "; ".join(parts) + (f" — only {when}" if when else " — always")


def _restriction_words(r: dict) -> str:
    words = []
    if r.get("start_time") or r.get("end_time"):
        words.append(f"from {r.get('start_time', '00:00')} to {r.get('end_time', '24:00')}")
    if r.get("start_date") or r.get("end_date"):
        words.append(f"dates {r.get('start_date', '…')} to {r.get('end_date', '…')}")
    if r.get("day_of_week"):
        words.append("on " + ", ".join(day.title() for day in r["day_of_week"]))
    if r.get("min_kwh") is not None or r.get("max_kwh") is not None:
        words.append(f"between {r.get('min_kwh', 0)} and {r.get('max_kwh', '∞')} kWh")
    if r.get("min_duration") is not None:
        words.append(f"after {r['min_duration']} s of session")
    if r.get("max_duration") is not None:
        words.append(f"before {r['max_duration']} s of session")
    for name, unit in (("power", "kW"), ("current", "A")):
        low, high = r.get(f"min_{name}"), r.get(f"max_{name}")
        if low is not None or high is not None:
            words.append(f"{name} {low if low is not None else 0}–{high or '∞'} {unit}")
    if r.get("reservation"):
        words.append(f"reservation {r['reservation']}")
    return ", ".join(words)
