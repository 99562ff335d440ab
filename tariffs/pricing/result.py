"""What the engine returns: the billed lines, the CDR cost fields, rounding for output."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from .numbers import ENGINE, HALF_UP, WIDE
from .tariff import EPOCH, Component, Price

# Outputs are rounded to 4 decimals, half up; everything before is full Decimal precision.
# OCPI 2.2.1 mod_tariffs leaves rounding to law and contracts ("The OCPI specification stays
# out of these matters"); 4 decimals keeps sub-cent VAT amounts such as the spec's 2.875.
OUTPUT_DECIMALS = 4
_ZERO = Decimal(0)
_NOISE = Decimal("1e-20")  # interpolation noise dropped before the output rounding
_WIDE, _HALF_UP = WIDE, HALF_UP  # precise enough for any in-bound amount (numbers.py)
_OUTPUT_QUANTUM = Decimal(1).scaleb(-OUTPUT_DECIMALS)  # made once, not per rounded amount
_COST_FIELDS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)


@dataclass(slots=True)
class Line:
    """What one price component billed in one segment of one charging period."""

    period: int
    start: int  # µs
    end: int  # µs
    component: Component
    volume: Decimal  # kWh, seconds (TIME, PARKING_TIME) or 1 (FLAT)
    excl_vat: Decimal
    category: str  # fixed, energy, time, parking, reservation
    step_rounding: bool = False

    @property
    def incl_vat(self) -> Decimal | None:
        factor = self.component.vat_factor
        return None if factor is None else ENGINE.multiply(self.excl_vat, factor)


_CATEGORIES = (
    ("total_fixed_cost", "fixed"),
    ("total_energy_cost", "energy"),
    ("total_time_cost", "time"),
    ("total_parking_cost", "parking"),
    ("total_reservation_cost", "reservation"),
)


class PricingResult:
    """What pricing found. The amounts per cost field are kept as the engine summed them (each
    a sum of amounts rounded to 4 decimals, docs/pricing.md "VAT"); the Price objects
    (`total_cost`, `total_energy_cost`, ...) are made when read: pricing a CDR for its cost
    fields does not build them."""

    __slots__ = (
        "currency",
        "total_excl",
        "total_incl",
        "excl",
        "incl",
        "raw_lines",
        "vat_lines",
        "min_price_applied",
        "max_price_applied",
    )

    def __init__(
        self,
        currency: str,
        total_excl: Decimal,
        total_incl: Decimal | None,
        excl: dict,
        incl: dict,
        raw_lines: tuple,
        vat_lines: tuple,
        min_price_applied: bool,
        max_price_applied: bool,
    ):
        self.currency = currency
        self.total_excl, self.total_incl = total_excl, total_incl
        # per category (fixed, energy, time, parking, reservation) that billed something
        self.excl, self.incl = excl, incl
        # The billed lines as tuples of Line's fields: pricing does not build objects that
        # only an audit (breakdown, --explain) reads; `lines` makes them.
        self.raw_lines = raw_lines
        # Per category and price component, in order: (category, Component, excl_vat rounded
        # to 4 decimals, incl_vat on that rounded amount or None); the cost fields sum them.
        self.vat_lines = vat_lines
        self.min_price_applied, self.max_price_applied = min_price_applied, max_price_applied

    def __repr__(self) -> str:
        return f"PricingResult({self.currency}, total_cost={self.total_cost})"

    @property
    def total_cost(self) -> Price:
        return Price(self.total_excl, self.total_incl)

    def _price(self, category: str) -> Price | None:
        if category not in self.excl:
            return None
        return Price(self.excl[category], self.incl[category])

    total_fixed_cost = property(lambda self: self._price("fixed"))
    total_energy_cost = property(lambda self: self._price("energy"))
    total_time_cost = property(lambda self: self._price("time"))
    total_parking_cost = property(lambda self: self._price("parking"))
    total_reservation_cost = property(lambda self: self._price("reservation"))

    @property
    def lines(self) -> tuple[Line, ...]:
        """What each component billed, per segment (see Line)."""
        return tuple(Line(*line) for line in self.raw_lines)

    def cost_fields(self, decimals: int = OUTPUT_DECIMALS) -> dict:
        """The CDR cost fields as OCPI Price dicts of rounded Decimals (unused ones left out)."""
        if decimals != OUTPUT_DECIMALS:
            return {
                name: price_dict(price, decimals)
                for name in _COST_FIELDS
                if (price := getattr(self, name)) is not None
            }
        # The category amounts are sums of 4-decimal amounts: already rounded. The total is
        # too, unless min_price/max_price replaced it with the bound as written.
        total = {"excl_vat": self.total_excl}
        if self.total_incl is not None:
            total["incl_vat"] = self.total_incl
        if self.min_price_applied or self.max_price_applied:
            total = {name: round_money(value) for name, value in total.items()}
        fields = {"total_cost": total}
        excl, incl = self.excl, self.incl
        for name, category in _CATEGORIES:
            if category in excl:
                known = incl[category]
                fields[name] = (
                    {"excl_vat": excl[category]}
                    if known is None
                    else {"excl_vat": excl[category], "incl_vat": known}
                )
        return fields

    def vat_breakdown(self) -> list[dict]:
        """Per category and price component: the amount rounded to 4 decimals, its VAT on that
        rounded amount, and both summed (docs/pricing.md "VAT"); the cost fields add these up."""
        return [_vat_line(*line) for line in self.vat_lines]

    def breakdown(self, decimals: int = OUTPUT_DECIMALS) -> list[dict]:
        """Per segment and component: which element priced what (for --explain and audits)."""
        return [
            {
                "period": line.period,
                "start_date_time": _format_us(line.start),
                "end_date_time": _format_us(line.end),
                "category": line.category,
                "type": line.component.type,
                "element": line.component.element,
                "price_component": line.component.index,
                "volume": _volume(line),
                "seconds": _seconds(line),
                "price": line.component.price,
                "vat": line.component.vat,
                "step_rounding": line.step_rounding,
                "excl_vat": round_money(line.excl_vat, decimals),
                "incl_vat": None if line.incl_vat is None else round_money(line.incl_vat, decimals),
            }
            for line in self.lines
        ]


_TIMED = ("TIME", "PARKING_TIME")
_HOUR = Decimal(3600)


def _volume(line: Line) -> Decimal:
    """In the dimension's OCPI unit: kWh, hours (from the seconds priced), 1 for FLAT."""
    if not line.volume:
        return _ZERO
    if line.component.type in _TIMED:
        return ENGINE.divide(line.volume, _HOUR).normalize()
    return line.volume.normalize()


def _seconds(line: Line) -> Decimal | None:
    """The seconds a TIME or PARKING_TIME line priced (None for ENERGY and FLAT)."""
    if line.component.type not in _TIMED:
        return None
    return line.volume.normalize() if line.volume else _ZERO


def _vat_line(category: str, component: Component, excl: Decimal, incl: Decimal | None) -> dict:
    return {
        "category": category,
        "type": component.type,
        "element": component.element,
        "price_component": component.index,
        "vat": component.vat,
        "excl_vat": excl,
        "vat_amount": None if incl is None else incl - excl,
        "incl_vat": incl,
    }


def round_money(value: Decimal, decimals: int = OUTPUT_DECIMALS) -> Decimal:
    """Half up to `decimals`, after dropping noise below 1e-20: a period split at a non-
    terminating fraction (1/3) must not turn an exact 0.00025 into 0.000249999... ."""
    settled = _WIDE.quantize(value, _NOISE)
    quantum = _OUTPUT_QUANTUM if decimals == OUTPUT_DECIMALS else Decimal(1).scaleb(-decimals)
    return _HALF_UP.quantize(settled, quantum)


def price_dict(price: Price, decimals: int = OUTPUT_DECIMALS) -> dict:
    result = {"excl_vat": round_money(price.excl_vat, decimals)}
    if price.incl_vat is not None:
        result["incl_vat"] = round_money(price.incl_vat, decimals)
    return result


def _format_us(value: int) -> str:
    moment = EPOCH + dt.timedelta(microseconds=value)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else "") + "Z"
