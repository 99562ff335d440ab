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
from decimal import ROUND_CEILING, Decimal, localcontext
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .numbers import ENGINE, WIDE, written
from .result import _HALF_UP, _NOISE, _OUTPUT_QUANTUM, _WIDE, PricingResult
from .session import Session
from .tariff import (
    DAY_US,
    HOUR_US,
    ONE_US,
    US,
    CompiledTariff,
    PricingError,
)

_ZERO = Decimal(0)
_ZERO_AMOUNT = Decimal("0.0000")  # an amount as output: 4 decimals (result.OUTPUT_DECIMALS)
_ONE = Decimal(1)
# fields of a line tuple (period, start, end, component, volume, excl_vat, category, step)
_fromtimestamp = dt.datetime.fromtimestamp
_STEP_GUARD = Decimal("1e-12")  # totals are rounded to this before step_size rounding
_WH, _ONE_SECOND = Decimal(1000), Decimal(1)  # step_size units per kWh, per second
# Durations are whole seconds (session.py); a price is per hour: cost = seconds x price / 3600.
_HOUR = Decimal(3600)


def get_zone(time_zone) -> ZoneInfo:
    """The Location's IANA time zone (restrictions are in its local time)."""
    if isinstance(time_zone, ZoneInfo):
        return time_zone
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise PricingError(f"time_zone: {written(time_zone)} is not an IANA time zone") from None


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
    # numbers.ENGINE: the same arithmetic whatever the caller's Decimal context.
    with localcontext(ENGINE):
        return _price(tariff, session, time_zone, reservation_expired)


def _price(tariff, session, time_zone, reservation_expired) -> PricingResult:
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
    segments = _segments(periods, cuts, tariff.kwh_boundaries)
    if session.named_tariffs:
        segments = _priced_segments(tariff, periods, segments)

    # Lines are built as plain tuples (period, start, end, component, volume, excl_vat,
    # category, step_rounding); PricingResult.lines makes Line objects of them on demand.
    lines: list[tuple] = []
    append = lines.append
    # Each component's amount, summed in line order in its slot (VAT is per component), the
    # slots in order of first use; the volume priced per category (for step_size); and the
    # last line of each dimension that step_size rounds (TIME and PARKING_TIME together): OCPI
    # 2.2.1 mod_cdrs "Note that the charging duration is not rounded up, as it is followed by
    # another time based period".
    amounts: list = [None] * tariff.slots
    used: list = []  # the components, in order of first use
    use = used.append
    energy_total = time_total = parking_total = reserved_total = _ZERO
    last: dict[str, tuple] = {}
    flat_pending = reservation_flat_pending = True
    single_offset = pieces[0][2] if len(pieces) == 1 else None
    selection = tariff.selection
    charging_table = selection["charging"]
    (flat_fixed, flat_select), (energy_fixed, energy_select) = charging_table[:2]
    (time_fixed, time_select), (parking_fixed, parking_select) = charging_table[2:]
    reservation_table = selection["reservation_expired" if reservation_expired else "reservation"]
    (reservation_flat, reservation_flat_select), _, (reserved_fixed, reserved_select), _ = (
        reservation_table
    )
    reservation_start, charging_start = part_starts["reservation"], part_starts["charging"]
    one, hour = _ONE, _HOUR
    for period, start, end, energy, time, parking, reserved, cumulative in segments:
        # Restrictions are evaluated at the segment's start in local time (docs/pricing.md).
        local = start + (single_offset if single_offset is not None else _offset_at(pieces, start))
        day = local // DAY_US
        tod = local - day * DAY_US
        index = period.index
        if period.reservation is not None:
            elapsed = start - reservation_start
            if reservation_flat_pending:
                # A reservation's FLAT is billed apart from the charging one (tariff_16).
                component = reservation_flat
                if reservation_flat_select is not None:
                    component = reservation_flat_select(tod, day, cumulative, elapsed, period)
                if component is not None:
                    reservation_flat_pending = False
                    cost = component.price
                    append((index, start, end, component, one, cost, "reservation", False))
                    slot = component.slot
                    if amounts[slot] is None:
                        amounts[slot] = cost
                        use(component)
                    else:
                        amounts[slot] += cost
            if reserved:
                component = reserved_fixed
                if reserved_select is not None:
                    component = reserved_select(tod, day, cumulative, elapsed, period)
                if component is not None:
                    cost = reserved * component.price / hour
                    line = (index, start, end, component, reserved, cost, "reservation", False)
                    append(line)
                    last["reservation"] = line
                    reserved_total += reserved
                    slot = component.slot
                    if amounts[slot] is None:
                        amounts[slot] = cost
                        use(component)
                    else:
                        amounts[slot] += cost
            continue
        elapsed = start - charging_start
        if flat_pending:
            # "FLAT once per session": the first element with a FLAT component that matches
            # where the session starts, else at the first segment where one matches.
            component = flat_fixed
            if flat_select is not None:
                component = flat_select(tod, day, cumulative, elapsed, period)
            if component is not None:
                flat_pending = False
                cost = component.price
                append((index, start, end, component, one, cost, "fixed", False))
                slot = component.slot
                if amounts[slot] is None:
                    amounts[slot] = cost
                    use(component)
                else:
                    amounts[slot] += cost
        if energy:
            component = energy_fixed
            if energy_select is not None:
                component = energy_select(tod, day, cumulative, elapsed, period)
            if component is not None:
                cost = energy * component.price
                line = (index, start, end, component, energy, cost, "energy", False)
                append(line)
                last["energy"] = line
                energy_total += energy
                slot = component.slot
                if amounts[slot] is None:
                    amounts[slot] = cost
                    use(component)
                else:
                    amounts[slot] += cost
        if time:
            component = time_fixed
            if time_select is not None:
                component = time_select(tod, day, cumulative, elapsed, period)
            if component is not None:
                cost = time * component.price / hour
                line = (index, start, end, component, time, cost, "time", False)
                append(line)
                last["time"] = line
                time_total += time
                slot = component.slot
                if amounts[slot] is None:
                    amounts[slot] = cost
                    use(component)
                else:
                    amounts[slot] += cost
        if parking:
            component = parking_fixed
            if parking_select is not None:
                component = parking_select(tod, day, cumulative, elapsed, period)
            if component is not None:
                cost = parking * component.price / hour
                line = (index, start, end, component, parking, cost, "parking", False)
                append(line)
                last["time"] = line
                parking_total += parking
                slot = component.slot
                if amounts[slot] is None:
                    amounts[slot] = cost
                    use(component)
                else:
                    amounts[slot] += cost
    totals = {
        "energy": energy_total,
        "time": time_total,
        "parking": parking_total,
        "reservation": reserved_total,
    }
    for line in _step_rounding(last, totals):
        append(line)
        amounts[line[3].slot] += line[5]  # the last line's component: its slot is in use
    return _finish(tariff, lines, amounts, used)


def _priced_segments(tariff: CompiledTariff, periods, segments: list[tuple]) -> list[tuple]:
    """OCPI 2.2.1 mod_cdrs ChargingPeriod.tariff_id: "If not provided, no Tariff is relevant
    during this period." Once some period names its tariff, the periods naming none are free:
    their segments are not billed (their energy still counts for min/max_kwh, their time for
    min/max_duration: they are part of the session). A period naming another tariff is refused
    (one tariff per session, as price_cdr)."""
    wanted = tariff.id if isinstance(tariff.id, str) and tariff.id else None
    for period in periods:
        named = period.tariff_id
        if named is None:
            continue
        if wanted is None:
            wanted = named  # a tariff without id: the first name stands for it
        elif named.upper() != wanted.upper():  # CiString
            raise PricingError(
                f"charging_periods[{period.index}].tariff_id: names tariff {named}, "
                f"not {wanted} (one tariff per session)"
            )
    return [segment for segment in segments if segment[0].tariff_id is not None]


def _offset(moment: int, zone: ZoneInfo) -> int:
    """UTC offset (µs) at `moment`. tzdata changes offsets at whole seconds, so the offset at
    the whole second (an int: no float) is the offset at the µs."""
    return _fromtimestamp(moment // US, zone).utcoffset() // ONE_US


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
    periods = session.periods
    if periods[0].reservation is None:
        first_charging = session.start
    else:
        first_charging = next((p.start for p in periods if p.reservation is None), None)
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


def _segments(periods, cuts: list[int], thresholds) -> list[tuple]:
    """Segments (period, start, end, energy, time, parking, reserved, cumulative) of the
    periods cut at `cuts` (and at kWh `thresholds`); `cumulative` is the energy charged in the
    session before the segment.

    Volumes are shared out in proportion to the time (linear interpolation); the last
    segment of a period takes the remainder, so a period's segments add up exactly. A period
    with no cut inside is one segment, with no arithmetic.
    """
    result = []
    append = result.append
    cumulative = _ZERO
    bisect_right, bisect_left = bisect.bisect_right, bisect.bisect_left
    for period in periods:
        start, end = period.start, period.end
        energy, time, parking = period.energy, period.time, period.parking
        reserved = period.reservation or _ZERO
        first = bisect_right(cuts, start) if cuts else 0
        last = bisect_left(cuts, end) if cuts else 0
        if first < last:
            length = Decimal(end - start)
            previous = start
            volumes = energy, time, parking, reserved
            for moment in cuts[first:last]:
                fraction = (moment - previous) / length
                # A zero volume stays zero; energy is always multiplied, as the exponent of
                # a zero share carries into `cumulative` and from there into kWh splits.
                share = volumes[0] * fraction
                time_share = volumes[1] * fraction if volumes[1] else _ZERO
                parking_share = volumes[2] * fraction if volumes[2] else _ZERO
                reserved_share = volumes[3] * fraction if volumes[3] else _ZERO
                append(
                    (
                        period,
                        previous,
                        moment,
                        share,
                        time_share,
                        parking_share,
                        reserved_share,
                        cumulative,
                    )
                )
                cumulative += share
                energy -= share
                time -= time_share
                parking -= parking_share
                reserved -= reserved_share
                previous = moment
            start = previous
        append((period, start, end, energy, time, parking, reserved, cumulative))
        cumulative += energy
    if thresholds:
        return _kwh_cuts(thresholds, result)
    return result


def _kwh_cuts(thresholds, segments) -> list[tuple]:
    """Cut segments where a cumulative kWh threshold is crossed (recounting `cumulative`)."""
    cumulative = _ZERO
    result = []
    append = result.append
    for period, start, end, energy, time, parking, reserved, _ in segments:
        if energy:
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


def _finish(tariff: CompiledTariff, lines: list[tuple], amounts: list, used: list) -> PricingResult:
    """The cost fields: per category and price component, the amount summed in line order and
    rounded, VAT on the rounded amount (issue 18, item 2: what an accountant expects from an
    invoice: net per line, VAT per line on the net, totals as sums; docs/pricing.md "VAT")."""
    # round_money inlined (the same two quantizes): this runs for every component of every CDR
    wide, half_up, noise, quantum = _WIDE.quantize, _HALF_UP.quantize, _NOISE, _OUTPUT_QUANTUM
    excl: dict[str, Decimal] = {}
    incl: dict[str, Decimal | None] = {}
    vat_lines: list[tuple] = []
    for component in _by_category(used):
        category = component.category
        rounded = half_up(wide(amounts[component.slot], noise), quantum)
        factor = component.vat_factor
        if factor is not None:
            line_incl = half_up(wide(rounded * factor, noise), quantum)
        else:
            # incl_vat is known only when every component that billed something has a `vat`
            # (OCPI 2.2.1 PriceComponent.vat "If omitted, no VAT is applicable"; we do not
            # turn that into incl = excl, the eMSP decides). A free one needs none (Free of
            # Charge).
            line_incl = None if rounded else _ZERO_AMOUNT
        vat_lines.append((category, component, rounded, line_incl))
        if category in excl:
            excl[category] += rounded
            known = incl[category]
            incl[category] = None if known is None or line_incl is None else known + line_incl
        else:
            excl[category] = rounded
            incl[category] = line_incl
    return _totals(tariff, lines, excl, incl, tuple(vat_lines))


def _by_category(used: list) -> list:
    """The components grouped by category, categories in order of first use (a category's
    total adds its components in that order)."""
    order: dict[str, list] = {}
    for component in used:
        order.setdefault(component.category, []).append(component)
    if len(order) == len(used):
        return used  # one component per category: already in order
    return [component for components in order.values() for component in components]


def _step_rounding(last: dict, totals: dict) -> list[tuple]:
    """OCPI 2.2.1 mod_cdrs step_size: once per session for ENERGY and once for TIME and
    PARKING_TIME combined, on the session total, with the step_size of the last component
    that priced it; the extra is billed at that component's price in that last period.
    A reservation's TIME is rounded apart (tariff_16: 13 minutes billed as 15)."""
    extra = []
    for period, start, end, component, _, _, category, _ in last.values():
        total = totals[category]
        energy = component.type == "ENERGY"
        unit = _WH if energy else _ONE_SECOND
        step = component.step_size
        # The guard keeps interpolation noise (1e-28) from ever billing one more step.
        # WIDE: quantizing needs as many digits as the total has (numbers.py, the bounds).
        steps = (WIDE.quantize(total, _STEP_GUARD) * unit / step).to_integral_value(ROUND_CEILING)
        missing = steps * step / unit - total
        if missing > 0:
            cost = missing * component.price if energy else missing * component.price / _HOUR
            extra.append((period, start, end, component, missing, cost, category, True))
    return extra


def _totals(
    tariff: CompiledTariff, lines: list[tuple], excl: dict, incl: dict, vat_lines: tuple
) -> PricingResult:
    # 0.0000 to start: every amount has 4 decimals, so the totals print as they are
    total_excl = sum(excl.values(), _ZERO_AMOUNT)
    # `is None`, not `None in`: comparing a Decimal with None goes through the numbers ABCs
    known = [value for value in incl.values() if value is not None]
    total_incl = sum(known, _ZERO_AMOUNT) if len(known) == len(incl) else None
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
        tariff.currency,
        total_excl,
        total_incl,
        excl,
        incl,
        tuple(lines),
        vat_lines,
        min_applied,
        max_applied,
    )
