"""Read and validate an OCPI 2.2.1 Tariff (JSON dict) once, into structures the engine prices with.

Every error names the field as a JSON path (`elements[1].price_components[0].step_size: ...`)
so a CPO can fix the tariff; a tariff is compiled once and then prices any number of sessions.
"""

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from roaming.ocpi_time import parse_datetime

from .numbers import ENGINE, PricingError, json_type, to_decimal, to_integer, written

US = 1_000_000
MINUTE_US = 60 * US
HOUR_US = 3600 * US
DAY_US = 86400 * US
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_ONE, _HUNDRED = Decimal(1), Decimal(100)

DIMENSION_TYPES = ("ENERGY", "FLAT", "PARKING_TIME", "TIME")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
RESERVATION_TYPES = ("RESERVATION", "RESERVATION_EXPIRES")
_TIME_RE = re.compile(r"^([0-1][0-9]|2[0-3]):[0-5][0-9]\Z")  # OCPI 2.2.1 TariffRestrictions
_DATE_RE = re.compile(r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\Z")


(
    CHECK_FROM,
    CHECK_UNTIL,
    CHECK_BETWEEN,
    CHECK_WRAP,
    CHECK_START_DAY,
    CHECK_END_DAY,
    CHECK_WEEKDAY,
    CHECK_MIN_KWH,
    CHECK_MAX_KWH,
    CHECK_MIN_DURATION,
    CHECK_MAX_DURATION,
    CHECK_MIN_CURRENT,
    CHECK_MAX_CURRENT,
    CHECK_MIN_POWER,
    CHECK_MAX_POWER,
) = range(15)


@dataclass(frozen=True, slots=True)
class Price:
    """OCPI Price: excl_vat always, incl_vat only when known."""

    excl_vat: Decimal
    incl_vat: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Component:
    """One PriceComponent, with where it sits in the tariff (for the breakdown)."""

    element: int
    index: int
    type: str
    price: Decimal
    vat: Decimal | None
    step_size: int
    vat_factor: Decimal | None  # 1 + vat / 100
    # The cost field it bills into (fixed, energy, time, parking; reservation for a
    # reservation element's components) and its position among the tariff's components:
    # the engine sums each component's amount in a list slot (VAT is per component).
    category: str = ""
    slot: int = 0


@dataclass(frozen=True, slots=True)
class Restrictions:
    """TariffRestrictions in engine units: µs since local midnight, local day numbers, µs."""

    start_tod: int | None = None
    end_tod: int | None = None
    start_day: int | None = None  # local date as days since 1970-01-01, inclusive
    end_day: int | None = None  # exclusive
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None  # µs
    max_duration: int | None = None  # µs
    weekdays: frozenset[int] | None = None  # Monday = 0
    reservation: str | None = None
    checks: tuple = ()  # the set restrictions as (code, value, value), see compiled_checks
    # `checks` as one function (tod, day, cumulative, elapsed, period) -> bool; see _matcher
    matches: object = field(default=None, compare=False)

    def compiled_checks(self) -> tuple:
        """Only the restrictions that are set, as (code, a, b), so matching skips the rest.

        OCPI 2.2.1 TariffRestrictions start_time/end_time: "If end_time < start_time then the
        period wraps around to the next day. To stop at end of the day use: 00:00." With only
        start_time: until midnight; only end_time: from midnight; equal times: the whole day.
        """
        checks = []
        start, end = self.start_tod, self.end_tod
        if end == 0 and start is None:
            end = None  # until the end of the day: no limit
        if start is not None and end is not None and start != end:
            if end == 0:
                checks.append((CHECK_FROM, start, None))
            elif start < end:
                checks.append((CHECK_BETWEEN, start, end))
            else:
                checks.append((CHECK_WRAP, start, end))
        elif start is not None and end is None:
            checks.append((CHECK_FROM, start, None))
        elif end is not None and start is None:
            checks.append((CHECK_UNTIL, end, None))
        for code, value in (
            (CHECK_START_DAY, self.start_day),
            (CHECK_END_DAY, self.end_day),
            (CHECK_WEEKDAY, self.weekdays),
            (CHECK_MIN_KWH, self.min_kwh),
            (CHECK_MAX_KWH, self.max_kwh),
            (CHECK_MIN_DURATION, self.min_duration),
            (CHECK_MAX_DURATION, self.max_duration),
            (CHECK_MIN_CURRENT, self.min_current),
            (CHECK_MAX_CURRENT, self.max_current),
            (CHECK_MIN_POWER, self.min_power),
            (CHECK_MAX_POWER, self.max_power),
        ):
            if value is not None:
                checks.append((code, value, None))
        return tuple(checks)

    @property
    def uses_local_time(self) -> bool:
        return (
            self.start_tod is not None
            or self.end_tod is not None
            or self.start_day is not None
            or self.end_day is not None
            or self.weekdays is not None
        )


NO_RESTRICTIONS = Restrictions()


@dataclass(frozen=True, slots=True)
class Element:
    index: int
    restrictions: Restrictions
    components: tuple[Component, ...]


@dataclass(frozen=True, slots=True)
class CompiledTariff:
    """A validated tariff plus the lookup tables and boundaries the engine needs."""

    id: str | None
    currency: str
    elements: tuple[Element, ...]
    min_price: Price | None
    max_price: Price | None
    start_us: int | None  # tariff start_date_time
    end_us: int | None  # tariff end_date_time
    # Per dimension, the (restrictions, component) candidates in list order (first match wins),
    # for ordinary periods, for reservations and for expired reservations.
    charging: dict[str, tuple[tuple[Restrictions, Component], ...]]
    reservation: dict[str, tuple[tuple[Restrictions, Component], ...]]
    reservation_expired: dict[str, tuple[tuple[Restrictions, Component], ...]]
    tod_boundaries: tuple[int, ...]  # µs since local midnight where some element may switch
    duration_boundaries: tuple[int, ...]  # µs after the start of the session
    kwh_boundaries: tuple[Decimal, ...]
    # The engine's view of charging/reservation/reservation_expired: per dimension (FLAT,
    # ENERGY, TIME, PARKING_TIME) a fixed component or a function choosing it; see _selection.
    selection: dict[str, tuple] = field(default=None, compare=False)
    slots: int = 0  # how many price components (Component.slot is below it)


def _non_negative(value, field: str) -> Decimal:
    number = to_decimal(value, field)
    if number < 0:
        raise PricingError(f"{field}: must not be negative ({number})")
    return number


def _object(value, field: str) -> dict:
    if not isinstance(value, dict):
        raise PricingError(f"{field}: must be an object, not {json_type(value)}")
    return value


def _time_of_day(value, field: str) -> int:
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise PricingError(f"{field}: must be a time of day as HH:MM (24h), not {written(value)}")
    return int(value[:2]) * HOUR_US + int(value[3:]) * MINUTE_US


def _day_number(value, field: str) -> int:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise PricingError(f"{field}: must be a date as YYYY-MM-DD, not {written(value)}")
    try:
        return dt.date.fromisoformat(value).toordinal() - EPOCH_ORDINAL
    except ValueError:
        raise PricingError(f"{field}: {value!r} is not a calendar date") from None


def parse_price(value, field: str) -> Price:
    data = _object(value, field)
    if "excl_vat" not in data:
        raise PricingError(f"{field}.excl_vat: is required")
    excl = _non_negative(data["excl_vat"], f"{field}.excl_vat")
    incl = data.get("incl_vat")
    return Price(excl, None if incl is None else _non_negative(incl, f"{field}.incl_vat"))


def _parse_restrictions(value, field: str) -> Restrictions:
    if value is None:
        return NO_RESTRICTIONS
    data = _object(value, field)

    def optional(name, reader, **kwargs):
        raw = data.get(name)
        return None if raw is None else reader(raw, f"{field}.{name}", **kwargs)

    weekdays = None
    if data.get("day_of_week") is not None:
        days = data["day_of_week"]
        if not isinstance(days, list):
            raise PricingError(f"{field}.day_of_week: must be a list of DayOfWeek")
        for position, day in enumerate(days):
            if day not in WEEKDAYS:
                raise PricingError(
                    f"{field}.day_of_week[{position}]: {written(day)} is not a DayOfWeek "
                    f"({', '.join(WEEKDAYS)})"
                )
        # OCPI 2.2.1: day_of_week is "*": an empty list restricts nothing.
        weekdays = frozenset(WEEKDAYS.index(day) for day in days) or None
    reservation = data.get("reservation")
    if reservation is not None and reservation not in RESERVATION_TYPES:
        raise PricingError(
            f"{field}.reservation: {written(reservation)} is not RESERVATION or RESERVATION_EXPIRES"
        )
    min_duration = optional("min_duration", to_integer, positive=False)
    max_duration = optional("max_duration", to_integer, positive=False)
    restrictions = Restrictions(
        start_tod=optional("start_time", _time_of_day),
        end_tod=optional("end_time", _time_of_day),
        start_day=optional("start_date", _day_number),
        end_day=optional("end_date", _day_number),
        min_kwh=optional("min_kwh", _non_negative),
        max_kwh=optional("max_kwh", _non_negative),
        min_current=optional("min_current", _non_negative),
        max_current=optional("max_current", _non_negative),
        min_power=optional("min_power", _non_negative),
        max_power=optional("max_power", _non_negative),
        min_duration=None if min_duration is None else min_duration * US,
        max_duration=None if max_duration is None else max_duration * US,
        weekdays=weekdays,
        reservation=reservation,
    )
    if restrictions == NO_RESTRICTIONS:
        return NO_RESTRICTIONS
    checks = restrictions.compiled_checks()
    return dataclasses.replace(restrictions, checks=checks, matches=_matcher(checks))


def _matcher(checks: tuple):
    """The restrictions as one function, built once per tariff: pricing calls it per segment
    and dimension, so it must not re-read which restrictions are set (the engine's hot path).

    Arguments: local time of day (µs), local day number, energy charged before (kWh), time
    since the start of the session part (µs), the Period. All restrictions must hold (AND).
    """
    tests = [_check(code, a, b) for code, a, b in checks]
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests

        def both(tod, day, cumulative, elapsed, period):
            return first(tod, day, cumulative, elapsed, period) and second(
                tod, day, cumulative, elapsed, period
            )

        return both
    tests = tuple(tests)

    def every(tod, day, cumulative, elapsed, period):
        return all(test(tod, day, cumulative, elapsed, period) for test in tests)

    return every


def _check(code: int, a, b):
    """One restriction as a closure; the rules are those of docs/pricing.md (OCPI 2.2.1
    TariffRestrictions): times of day `start <= t < end` (wrapping over midnight when
    end < start), dates start inclusive / end exclusive, kWh and durations `>= min`, `< max`."""
    if code == CHECK_BETWEEN:
        return lambda tod, day, cumulative, elapsed, period: a <= tod < b
    if code == CHECK_WRAP:
        return lambda tod, day, cumulative, elapsed, period: tod >= a or tod < b
    if code == CHECK_FROM:
        return lambda tod, day, cumulative, elapsed, period: tod >= a
    if code == CHECK_UNTIL:
        return lambda tod, day, cumulative, elapsed, period: tod < a
    if code == CHECK_START_DAY:
        return lambda tod, day, cumulative, elapsed, period: day >= a
    if code == CHECK_END_DAY:
        return lambda tod, day, cumulative, elapsed, period: day < a
    if code == CHECK_WEEKDAY:  # day 0 (1970-01-01) was a Thursday; Monday = 0
        return lambda tod, day, cumulative, elapsed, period: (day + 3) % 7 in a
    if code == CHECK_MIN_KWH:
        return lambda tod, day, cumulative, elapsed, period: cumulative >= a
    if code == CHECK_MAX_KWH:
        return lambda tod, day, cumulative, elapsed, period: cumulative < a
    if code == CHECK_MIN_DURATION:
        return lambda tod, day, cumulative, elapsed, period: elapsed >= a
    if code == CHECK_MAX_DURATION:
        return lambda tod, day, cumulative, elapsed, period: elapsed < a
    # Current and power: the element is active only while the whole period stays in range,
    # so min_* is checked against the period's MIN_* and max_* against its MAX_* dimension. A
    # period that does not report the level cannot prove the restriction: it does not match.
    # Power falls back to the period's average power (ENERGY / TIME) when MIN/MAX_POWER are
    # missing.
    if code == CHECK_MIN_CURRENT:
        return lambda tod, day, cumulative, elapsed, period: (
            period.min_current is not None and period.min_current >= a
        )
    if code == CHECK_MAX_CURRENT:
        return lambda tod, day, cumulative, elapsed, period: (
            period.max_current is not None and period.max_current < a
        )
    if code == CHECK_MIN_POWER:

        def min_power(tod, day, cumulative, elapsed, period):
            value = period.min_power if period.min_power is not None else period.average_power
            return value is not None and value >= a

        return min_power

    def max_power(tod, day, cumulative, elapsed, period):
        value = period.max_power if period.max_power is not None else period.average_power
        return value is not None and value < a

    return max_power


def _parse_component(value, field: str, element: int, index: int) -> Component:
    data = _object(value, field)
    kind = data.get("type")
    if kind not in DIMENSION_TYPES:
        raise PricingError(
            f"{field}.type: {written(kind)} is not a TariffDimensionType "
            f"({', '.join(DIMENSION_TYPES)})"
        )
    if "price" not in data:
        raise PricingError(f"{field}.price: is required")
    price = _non_negative(data["price"], f"{field}.price")
    vat = None if data.get("vat") is None else _non_negative(data["vat"], f"{field}.vat")
    if "step_size" not in data:
        raise PricingError(f"{field}.step_size: is required")
    # OCPI 2.2.1 TariffDimensionType: FLAT has no unit for step_size, so it is not used; the
    # spec's own Free of Charge example sends step_size 0 there.
    step_size = to_integer(data["step_size"], f"{field}.step_size", positive=kind != "FLAT")
    vat_factor = None if vat is None else ENGINE.add(_ONE, ENGINE.divide(vat, _HUNDRED))
    return Component(element, index, kind, price, vat, step_size, vat_factor)


_CATEGORIES = {"FLAT": "fixed", "ENERGY": "energy", "TIME": "time", "PARKING_TIME": "parking"}


def compile_tariff(data) -> CompiledTariff:
    """Validate an OCPI Tariff dict and prepare it for pricing; PricingError names the field."""
    data = _object(data, "tariff")
    currency = data.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        raise PricingError(
            f"currency: must be an ISO 4217 code of 3 letters, not {written(currency)}"
        )
    tariff_id = data.get("id")
    elements_data = data.get("elements")
    if not isinstance(elements_data, list) or not elements_data:
        raise PricingError("elements: must be a non-empty list of TariffElement")
    elements = []
    for e, element_data in enumerate(elements_data):
        field = f"elements[{e}]"
        element_data = _object(element_data, field)
        components_data = element_data.get("price_components")
        if not isinstance(components_data, list) or not components_data:
            raise PricingError(f"{field}.price_components: must be a non-empty list")
        restrictions = _parse_restrictions(
            element_data.get("restrictions"), f"{field}.restrictions"
        )
        components = tuple(
            _parse_component(component, f"{field}.price_components[{c}]", e, c)
            for c, component in enumerate(components_data)
        )
        components = tuple(
            dataclasses.replace(
                component,
                category="reservation" if restrictions.reservation else _CATEGORIES[component.type],
                slot=slot,
            )
            for slot, component in enumerate(components, start=sum(map(_size, elements)))
        )
        if restrictions.reservation:
            for component in components:
                # OCPI 2.2.1 TariffRestrictions.reservation: "A reservation can only have:
                # FLAT and TIME TariffDimensions".
                if component.type not in ("FLAT", "TIME"):
                    raise PricingError(
                        f"{field}.price_components[{component.index}].type: a reservation "
                        f"element can only price FLAT and TIME, not {component.type}"
                    )
        elements.append(Element(e, restrictions, components))

    min_price, max_price = (
        None if data.get(name) is None else parse_price(data[name], name)
        for name in ("min_price", "max_price")
    )
    if min_price and max_price and min_price.excl_vat > max_price.excl_vat:
        raise PricingError("min_price.excl_vat: is above max_price.excl_vat")

    def window(name):
        raw = data.get(name)
        if raw is None:
            return None
        try:
            moment = parse_datetime(raw)
        except ValueError as error:
            raise PricingError(f"{name}: {error}") from None
        return (moment - EPOCH) // ONE_US

    charging = _candidates(elements, lambda r: r is None)
    reservation = _candidates(elements, lambda r: r == "RESERVATION")
    # OCPI 2.2.1 ReservationRestrictionType NOTE: with both, an expired reservation's time
    # is priced by the RESERVATION_EXPIRES element; RESERVATION ones remain the fallback
    # (tariff_17: expiry FLAT from one element, reservation TIME from the other).
    reservation_expired = _merge(
        _candidates(elements, lambda r: r == "RESERVATION_EXPIRES"),
        _candidates(elements, lambda r: r == "RESERVATION"),
    )
    return CompiledTariff(
        id=tariff_id,
        currency=currency,
        elements=tuple(elements),
        min_price=min_price,
        max_price=max_price,
        start_us=window("start_date_time"),
        end_us=window("end_date_time"),
        charging=charging,
        reservation=reservation,
        reservation_expired=reservation_expired,
        tod_boundaries=_tod_boundaries(elements),
        duration_boundaries=_thresholds(elements, "min_duration", "max_duration"),
        kwh_boundaries=_thresholds(elements, "min_kwh", "max_kwh"),
        selection={
            "charging": _selection(charging),
            "reservation": _selection(reservation),
            "reservation_expired": _selection(reservation_expired),
        },
        slots=sum(map(_size, elements)),
    )


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_US = dt.timedelta(microseconds=1)


def _size(element: Element) -> int:
    return len(element.components)


def _candidates(elements, reservation_filter):
    table: dict[str, list] = {kind: [] for kind in DIMENSION_TYPES}
    for element in elements:
        if not reservation_filter(element.restrictions.reservation):
            continue
        seen = set()
        for component in element.components:
            # OCPI 2.2.1 mod_tariffs: one Price Component per dimension is active; within an
            # element the first component of a type is the one used.
            if component.type not in seen:
                seen.add(component.type)
                table[component.type].append((element.restrictions, component))
    return {kind: tuple(entries) for kind, entries in table.items()}


def _selection(table) -> tuple:
    """For FLAT, ENERGY, TIME, PARKING_TIME: (component, None) when the answer does not depend
    on the segment (no candidate, or the first is unrestricted), else (None, select) where
    select(tod, day, cumulative, elapsed, period) returns the component or None.

    OCPI 2.2.1 mod_tariffs: the first element with a component for the dimension whose
    restrictions match is used; no match, no cost for that dimension.
    """
    result = []
    for kind in ("FLAT", "ENERGY", "TIME", "PARKING_TIME"):
        candidates = []
        for restrictions, component in table[kind]:
            candidates.append((restrictions.matches, component))
            if restrictions.matches is None:
                break  # first match wins: nothing after an unrestricted element is reached
        if not candidates:
            result.append((None, None))
        elif candidates[0][0] is None:
            result.append((candidates[0][1], None))
        else:
            result.append((None, _selector(tuple(candidates))))
    return tuple(result)


def _selector(candidates: tuple):
    """The first candidate whose restrictions match; the common shapes (one restricted
    candidate, or a restricted one before an unrestricted one) without a loop: this runs per
    segment and dimension."""
    if len(candidates) == 1:
        ((matches, component),) = candidates

        def select_one(tod, day, cumulative, elapsed, period):
            return component if matches(tod, day, cumulative, elapsed, period) else None

        return select_one
    if len(candidates) == 2 and candidates[1][0] is None:
        (matches, component), (_, fallback) = candidates

        def select_or_fallback(tod, day, cumulative, elapsed, period):
            return component if matches(tod, day, cumulative, elapsed, period) else fallback

        return select_or_fallback

    def select(tod, day, cumulative, elapsed, period):
        for matches, component in candidates:
            if matches is None or matches(tod, day, cumulative, elapsed, period):
                return component
        return None

    return select


def _thresholds(elements, *names) -> tuple:
    values = {getattr(element.restrictions, name) for element in elements for name in names}
    return tuple(sorted(value for value in values if value))


def _merge(first, second):
    return {kind: first[kind] + second[kind] for kind in first}


def _tod_boundaries(elements) -> tuple[int, ...]:
    """Times of day where a restriction may switch; midnight too (dates and weekdays)."""
    boundaries = set()
    for element in elements:
        r = element.restrictions
        if r.uses_local_time:
            boundaries.add(0)
        for value in (r.start_tod, r.end_tod):
            if value is not None:
                boundaries.add(value)
    return tuple(sorted(boundaries))
