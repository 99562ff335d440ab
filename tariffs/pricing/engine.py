"""Price a session with a compiled tariff by the OCPI 2.2.1 rules (mod_tariffs, mod_cdrs).

The session is cut into segments: each ChargingPeriod is split where a restriction may switch
inside it (a start_time/end_time or midnight in local time, a DST change, a min/max_duration
threshold, a cumulative min/max_kwh threshold). A split shares the period's volumes out
linearly (energy and time flow evenly through a period), so cutting a period where nothing
switches never changes the price. Within a segment every restriction is constant, so each
dimension is priced by the first element whose restrictions match at the segment's start.
"""

import bisect
import datetime as dt
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .result import Line, PricingResult
from .session import Period, Session
from .tariff import (
    CHECK_BETWEEN,
    CHECK_END_DAY,
    CHECK_FROM,
    CHECK_MAX_CURRENT,
    CHECK_MAX_DURATION,
    CHECK_MAX_KWH,
    CHECK_MIN_CURRENT,
    CHECK_MIN_DURATION,
    CHECK_MIN_KWH,
    CHECK_MIN_POWER,
    CHECK_START_DAY,
    CHECK_WEEKDAY,
    CHECK_WRAP,
    DAY_US,
    EPOCH,
    HOUR_US,
    NO_RESTRICTIONS,
    ONE_US,
    CompiledTariff,
    Component,
    Price,
    PricingError,
    Restrictions,
)

_ZERO = Decimal(0)
_STEP_GUARD = Decimal("1e-12")  # totals are rounded to this before step_size rounding
_WH, _SECONDS = Decimal(1000), Decimal(3600)  # step_size units per kWh, per hour


def get_zone(time_zone) -> ZoneInfo:
    """The Location's IANA time zone (restrictions are in its local time)."""
    if isinstance(time_zone, ZoneInfo):
        return time_zone
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise PricingError(f"time_zone: {time_zone!r} is not an IANA time zone") from None


def price_session(
    tariff: CompiledTariff,
    session: Session,
    time_zone,
    *,
    reservation_expired: bool | None = None,
) -> PricingResult:
    """Price `session` (in `time_zone`, the Location's) with `tariff`.

    `reservation_expired` defaults to: the session has reservation periods and nothing else
    (OCPI 2.2.1 mod_cdrs: a CDR "for a reservation that never resulted in a charging session").
    """
    zone = get_zone(time_zone)
    # OCPI 2.2.1 Tariff.start_date_time/end_date_time: the tariff is active in that window; a
    # session is priced with the tariff valid when it starts (mod_tariffs NOTE).
    if tariff.start_us is not None and session.start < tariff.start_us:
        raise PricingError("start_date_time: the session starts before the tariff is active")
    if tariff.end_us is not None and session.start >= tariff.end_us:
        raise PricingError("start_date_time: the session starts after the tariff's end_date_time")
    periods = session.periods
    if reservation_expired is None:
        reservation_expired = all(p.reservation is not None for p in periods)
    pieces = _offset_pieces(session.start, session.end, zone)
    part_starts = _part_starts(session)
    cuts = _time_cuts(tariff, session, pieces, part_starts)
    if cuts:
        segments = _split_periods(periods, cuts)
    else:  # nothing switches inside any period: one segment per period
        segments = [
            (p, p.start, p.end, p.energy, p.time, p.parking, p.reservation or _ZERO)
            for p in periods
        ]
    segments = _kwh_cuts(tariff, segments)

    lines: list[Line] = []
    append = lines.append
    flat_pending = {"charging": True, "reservation": True}
    single_offset = pieces[0][2] if len(pieces) == 1 else None
    reservation_table = tariff.reservation_expired if reservation_expired else tariff.reservation
    charging_table = tariff.charging
    one = Decimal(1)
    for period, start, end, energy, time, parking, reserved, cumulative in segments:
        is_reservation = period.reservation is not None
        part = "reservation" if is_reservation else "charging"
        table = reservation_table if is_reservation else charging_table
        offset = single_offset if single_offset is not None else _offset_at(pieces, start)
        local = start + offset
        day = local // DAY_US
        context = (local - day * DAY_US, day, (day + 3) % 7, cumulative, start - part_starts[part])
        index = period.index
        if flat_pending[part]:
            # "FLAT once per session": the first element with a FLAT component that matches
            # where the session (or its reservation) starts, else at the first segment where
            # one matches; a reservation's FLAT is billed apart (tariff_16: 2.00 + 0.50).
            component = _first(table["FLAT"], period, context)
            if component is not None:
                flat_pending[part] = False
                category = "reservation" if is_reservation else "fixed"
                append(Line(index, start, end, component, one, component.price, category))
        if is_reservation:
            if reserved:
                component = _first(table["TIME"], period, context)
                if component is not None:
                    append(
                        Line(
                            index,
                            start,
                            end,
                            component,
                            reserved,
                            reserved * component.price,
                            "reservation",
                        )
                    )
            continue
        if energy:
            component = _first(table["ENERGY"], period, context)
            if component is not None:
                append(
                    Line(index, start, end, component, energy, energy * component.price, "energy")
                )
        if time:
            component = _first(table["TIME"], period, context)
            if component is not None:
                append(Line(index, start, end, component, time, time * component.price, "time"))
        if parking:
            component = _first(table["PARKING_TIME"], period, context)
            if component is not None:
                append(
                    Line(
                        index, start, end, component, parking, parking * component.price, "parking"
                    )
                )
    lines.extend(_step_rounding(lines))
    return _totals(tariff, lines)


def _first(candidates, period: Period, context) -> Component | None:
    """OCPI 2.2.1 mod_tariffs: the first element with a component for the dimension whose
    restrictions match is used; no match, no cost for that dimension."""
    for restrictions, component in candidates:
        if restrictions is NO_RESTRICTIONS or _matches(restrictions, period, context):
            return component
    return None


def _matches(r: Restrictions, period: Period, context) -> bool:
    """TariffRestrictions at one instant; all set restrictions must hold (logical AND)."""
    tod, day, weekday, cumulative, elapsed = context
    for code, a, b in r.checks:
        if code <= CHECK_WRAP:  # time of day, local
            if code == CHECK_BETWEEN:
                inside = a <= tod < b
            elif code == CHECK_WRAP:
                inside = tod >= a or tod < b
            elif code == CHECK_FROM:
                inside = tod >= a
            else:
                inside = tod < a
            if not inside:
                return False
        elif code == CHECK_START_DAY:  # start_date inclusive, local
            if day < a:
                return False
        elif code == CHECK_END_DAY:  # end_date exclusive
            if day >= a:
                return False
        elif code == CHECK_WEEKDAY:
            if weekday not in a:
                return False
        elif code == CHECK_MIN_KWH:  # inclusive
            if cumulative < a:
                return False
        elif code == CHECK_MAX_KWH:  # exclusive
            if cumulative >= a:
                return False
        elif code == CHECK_MIN_DURATION:  # inclusive
            if elapsed < a:
                return False
        elif code == CHECK_MAX_DURATION:  # exclusive
            if elapsed >= a:
                return False
        elif not _level_matches(code, a, period):
            return False
    return True


def _level_matches(code: int, limit: Decimal, period: Period) -> bool:
    """Current and power: the element is active only while the whole period stays in range, so
    min_* is checked against the period's MIN_* and max_* against its MAX_* dimension. A
    period that does not report the level cannot prove the restriction: it does not match.
    Power falls back to the period's average power (ENERGY / TIME) when MIN/MAX_POWER are
    missing."""
    if code == CHECK_MIN_CURRENT:
        value = period.min_current
    elif code == CHECK_MAX_CURRENT:
        value = period.max_current
    elif code == CHECK_MIN_POWER:
        value = period.min_power if period.min_power is not None else period.average_power
    else:
        value = period.max_power if period.max_power is not None else period.average_power
    if value is None:
        return False
    return value >= limit if code in (CHECK_MIN_CURRENT, CHECK_MIN_POWER) else value < limit


def _offset(moment: int, zone: ZoneInfo) -> int:
    return (EPOCH + dt.timedelta(microseconds=moment)).astimezone(zone).utcoffset() // ONE_US


def _offset_pieces(start: int, end: int, zone: ZoneInfo) -> list[tuple[int, int, int]]:
    """[start, end) as pieces of constant UTC offset (start, end, offset µs): DST changes."""
    step = 12 * HOUR_US  # DST changes are months apart: at most one between two checks
    checks = list(range(start, end, step)) + [end]
    offsets = [_offset(moment, zone) for moment in checks]
    pieces = []
    piece_start = start
    for i in range(len(checks) - 1):
        if offsets[i] != offsets[i + 1]:
            low, high = checks[i], checks[i + 1]
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(middle, zone) == offsets[i]:
                    low = middle
                else:
                    high = middle
            pieces.append((piece_start, high, offsets[i]))
            piece_start = high
    pieces.append((piece_start, max(end, piece_start + 1), offsets[-1]))
    return pieces


def _offset_at(pieces, moment: int) -> int:
    for _start, end, offset in pieces:
        if moment < end:
            return offset
    return pieces[-1][2]


def _part_starts(session: Session) -> dict[str, int]:
    """Durations count from the start of the reservation and of the charging session."""
    first_charging = next((p.start for p in session.periods if p.reservation is None), None)
    if session.periods[0].reservation is None:
        first_charging = session.start
    return {"reservation": session.start, "charging": first_charging or session.start}


def _time_cuts(tariff: CompiledTariff, session: Session, pieces, part_starts) -> list[int]:
    cuts = set()
    for start, end, offset in pieces:
        if start > session.start:
            cuts.add(start)  # the clock jumps: local times before and after differ
        if tariff.tod_boundaries:
            for day in range((start + offset) // DAY_US, (end - 1 + offset) // DAY_US + 1):
                base = day * DAY_US - offset
                for tod in tariff.tod_boundaries:
                    moment = base + tod
                    if start < moment < end:
                        cuts.add(moment)
    for part_start in set(part_starts.values()):
        for duration in tariff.duration_boundaries:
            moment = part_start + duration
            if session.start < moment < session.end:
                cuts.add(moment)
    return sorted(cuts)


def _split_periods(periods, cuts: list[int]):
    """Segments (period, start, end, energy, time, parking, reserved) cut at `cuts`.

    Volumes are shared out in proportion to the time (linear interpolation); the last
    segment of a period takes the remainder, so a period's segments add up exactly.
    """
    for period in periods:
        volumes = (period.energy, period.time, period.parking, period.reservation or _ZERO)
        first = bisect.bisect_right(cuts, period.start)
        last = bisect.bisect_left(cuts, period.end)
        if first >= last:
            yield (period, period.start, period.end, *volumes)
            continue
        length = Decimal(period.end - period.start)
        remaining = list(volumes)
        previous = period.start
        for moment in cuts[first:last]:
            fraction = (moment - previous) / length
            shares = [v * fraction for v in volumes]
            remaining = [r - s for r, s in zip(remaining, shares, strict=True)]
            yield (period, previous, moment, *shares)
            previous = moment
        yield (period, previous, period.end, *remaining)


def _kwh_cuts(tariff: CompiledTariff, segments) -> list[tuple]:
    """Add the cumulative energy at each segment's start; cut where a kWh threshold is crossed."""
    thresholds = tariff.kwh_boundaries
    cumulative = _ZERO
    result = []
    append = result.append
    for period, start, end, energy, time, parking, reserved in segments:
        if thresholds and energy:
            after = cumulative + energy
            for threshold in thresholds:
                if cumulative < threshold < after:
                    # linear within the segment: the threshold is reached at this fraction
                    fraction = (threshold - cumulative) / energy
                    moment = start + int((end - start) * fraction)
                    part_energy = threshold - cumulative
                    append(
                        (
                            period,
                            start,
                            moment,
                            part_energy,
                            time * fraction,
                            parking * fraction,
                            reserved * fraction,
                            cumulative,
                        )
                    )
                    energy -= part_energy
                    time -= time * fraction
                    parking -= parking * fraction
                    reserved -= reserved * fraction
                    start, cumulative = moment, threshold
        append((period, start, end, energy, time, parking, reserved, cumulative))
        cumulative += energy
    return result


def _step_rounding(lines: list[Line]) -> list[Line]:
    """OCPI 2.2.1 mod_cdrs step_size: once per session for ENERGY and once for TIME and
    PARKING_TIME combined, on the session total, with the step_size of the last component
    that priced it; the extra is billed at that component's price in that last period.
    A reservation's TIME is rounded apart (tariff_16: 13 minutes billed as 15)."""
    totals = {"energy": _ZERO, "time": _ZERO, "parking": _ZERO, "reservation": _ZERO}
    last = {}
    for line in lines:
        category = line.category
        if category == "fixed" or line.component.type == "FLAT" or not line.volume:
            continue
        totals[category] += line.volume
        # TIME followed by PARKING_TIME: only the dimension of the last time-based period is
        # rounded ("Note that the charging duration is not rounded up, as it is followed by
        # another time based period"), on the total of that dimension.
        last["time" if category == "parking" else category] = line
    extra = []
    for line in last.values():
        component = line.component
        total = totals[line.category]
        unit = _WH if component.type == "ENERGY" else _SECONDS
        step = component.step_size
        # The guard keeps interpolation noise (1e-28) from ever billing one more step.
        steps = (total.quantize(_STEP_GUARD) * unit / step).to_integral_value(ROUND_CEILING)
        missing = steps * step / unit - total
        if missing > 0:
            extra.append(
                Line(
                    line.period,
                    line.start,
                    line.end,
                    component,
                    missing,
                    missing * component.price,
                    line.category,
                    step_rounding=True,
                )
            )
    return extra


def _totals(tariff: CompiledTariff, lines: list[Line]) -> PricingResult:
    excl: dict[str, Decimal] = {}
    incl: dict[str, Decimal | None] = {}
    for line in lines:
        category, cost = line.category, line.excl_vat
        factor = line.component.vat_factor
        # VAT: incl_vat is known only when every component that cost something has a `vat`
        # (OCPI 2.2.1 PriceComponent.vat "If omitted, no VAT is applicable"; we do not turn
        # that into incl = excl, the eMSP decides). A free line needs none (Free of Charge).
        line_incl = cost * factor if factor is not None else (None if cost else _ZERO)
        if category in excl:
            excl[category] += cost
            known = incl[category]
            incl[category] = None if known is None or line_incl is None else known + line_incl
        else:
            excl[category], incl[category] = cost, line_incl

    def price(category) -> Price | None:
        return Price(excl[category], incl[category]) if category in excl else None

    total_excl = sum(excl.values(), _ZERO)
    total_incl = None if None in incl.values() else sum(incl.values(), _ZERO)
    min_applied = max_applied = False
    # OCPI 2.2.1 Tariff.min_price/max_price NOTE: the bounds hold for excl_vat and for incl_vat
    # separately. A bound without incl_vat that changes excl_vat leaves incl_vat unknown.
    bound = tariff.min_price
    if bound is not None:
        if total_excl < bound.excl_vat:
            total_excl, min_applied = bound.excl_vat, True
            if bound.incl_vat is None:
                total_incl = None
        if total_incl is not None and bound.incl_vat is not None and total_incl < bound.incl_vat:
            total_incl, min_applied = bound.incl_vat, True
    bound = tariff.max_price
    if bound is not None:
        if total_excl > bound.excl_vat:
            total_excl, max_applied = bound.excl_vat, True
            if bound.incl_vat is None:
                total_incl = None
        if total_incl is not None and bound.incl_vat is not None and total_incl > bound.incl_vat:
            total_incl, max_applied = bound.incl_vat, True
    return PricingResult(
        currency=tariff.currency,
        total_cost=Price(total_excl, total_incl),
        total_fixed_cost=price("fixed"),
        total_energy_cost=price("energy"),
        total_time_cost=price("time"),
        total_parking_cost=price("parking"),
        total_reservation_cost=price("reservation"),
        lines=tuple(lines),
        min_price_applied=min_applied,
        max_price_applied=max_applied,
    )
