"""Charging periods from meter samples, split at every moment that changes the price.

Pure (no database), so it is tested on its own and the CSMS bridge can call it per event.
OCPI 2.2.1 mod_cdrs ChargingPeriod: "A CPO SHALL at least start (and add) a ChargingPeriod
every moment/event that has relevance for the total costs"; mod_sessions: "for all moments
that are relevant for the Tariff changes". A new period starts:
- at the tariff's restriction boundaries: start/end time of day and local midnight (dates,
  weekdays) in the Location's zone, min/max_duration after the start, the moment the
  cumulative energy reaches a min/max_kwh threshold;
- at a sample whose power or current crosses a min/max_power/current threshold;
- where charging turns into parking and back: PARKING_TIME is only time the EV does not
  request power (OCPI 2.2.1 CdrDimensionType NOTE); an EVSE-side pause (load management,
  OCPP SuspendedEVSE) stays TIME;
- at the edges of the EVSE's out-of-order intervals, which count neither as TIME nor as
  PARKING_TIME (Gireve §3.9.2: total_time excludes them; they are free of charge).

Between two samples energy flows evenly (the engine assumes the same, docs/pricing.md). A
register lower than the reading before it in time is a meter reset (`counted_wh`): counting
goes on from the new value, nothing is counted across the reset itself. Volumes
are rounded to 4 decimals from cumulative sums, so the periods add up exactly to the totals
(§4.6 invariants). Times are whole seconds, as they leave on the wire.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from roaming.ocpi_time import format_datetime

FOUR = Decimal("0.0001")
_ZERO = Decimal(0)
_WH_PER_KWH = Decimal(1000)
_SECONDS_PER_HOUR = Decimal(3600)
# OCPI 2.2.1 CdrDimensionType: "SHALL therefor only be used in Sessions".
SESSION_ONLY_DIMENSIONS = frozenset(
    {"CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "POWER", "STATE_OF_CHARGE"}
)


class ChargingState(StrEnum):
    """What the charger reports for the time after a sample (OCPP 1.6 status words)."""

    CHARGING = "CHARGING"  # Charging
    EV_IDLE = "EV_IDLE"  # SuspendedEV / Finishing: the EV requests no power -> parking
    EVSE_PAUSE = "EVSE_PAUSE"  # SuspendedEVSE: our side pauses -> still charging time


@dataclass(frozen=True, slots=True)
class Sample:
    """One meter value: the energy register (Wh) and what the charger measured."""

    at: dt.datetime
    wh: int
    state: str = ChargingState.CHARGING
    power_w: Decimal | None = None
    current_a: Decimal | None = None
    soc: Decimal | None = None

    def to_json(self) -> dict:
        data: dict = {"at": format_datetime(self.at), "wh": self.wh, "state": str(self.state)}
        for name in ("power_w", "current_a", "soc"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_json(cls, data: dict) -> Sample:
        from roaming.ocpi_time import parse_datetime

        return cls(
            at=parse_datetime(data["at"]),
            wh=int(data["wh"]),
            state=ChargingState(data.get("state", ChargingState.CHARGING)),
            power_w=_dec(data.get("power_w")),
            current_a=_dec(data.get("current_a")),
            soc=_dec(data.get("soc")),
        )


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Boundaries:
    """Where a tariff's price may change (from tariffs.pricing.CompiledTariff)."""

    tod_seconds: tuple[int, ...] = ()  # seconds after local midnight
    duration_seconds: tuple[int, ...] = ()  # seconds after the session start
    kwh: tuple[Decimal, ...] = ()
    power_kw: tuple[Decimal, ...] = ()
    current_a: tuple[Decimal, ...] = ()


def boundaries_of(compiled) -> Boundaries:
    """The split moments of a CompiledTariff (None: no tariff, nothing to split for)."""
    if compiled is None:
        return Boundaries()
    power, current = set(), set()
    for element in compiled.elements:
        restrictions = element.restrictions
        if restrictions is None:
            continue
        for name, target in (
            ("min_power", power),
            ("max_power", power),
            ("min_current", current),
            ("max_current", current),
        ):
            value = getattr(restrictions, name, None)
            if value is not None:
                target.add(Decimal(value))
    us = 1_000_000
    return Boundaries(
        tod_seconds=tuple(value // us for value in compiled.tod_boundaries),
        duration_seconds=tuple(value // us for value in compiled.duration_boundaries),
        kwh=tuple(compiled.kwh_boundaries),
        power_kw=tuple(sorted(power)),
        current_a=tuple(sorted(current)),
    )


@dataclass(slots=True)
class Periods:
    """OCPI ChargingPeriods and the totals that are their sums."""

    periods: list[dict] = field(default_factory=list)
    total_energy: Decimal = _ZERO  # kWh
    total_time: Decimal = _ZERO  # h, charging + parking, out-of-order time excluded
    total_parking_time: Decimal = _ZERO  # h
    resets: list[dict] = field(default_factory=list)  # meter_resets(): {at, from_wh, to_wh}


def counted_wh(before: int, after: int) -> int:
    """The energy between two register readings in time order (docs/sessions.md "Meter
    resets"). A lower reading is a meter reset or a replaced meter: the energy after it is
    counted from the new value on, across the reset itself nothing is known and nothing is
    counted, so energy is never negative and what follows the reset is never lost."""
    return after - before if after >= before else 0


def meter_resets(meter_start_wh: int, samples: list[Sample]) -> list[dict]:
    """The readings lower than the one before them in time (the start's register first): a
    late sample with an earlier time takes its place in time, it is not a reset."""
    resets, before = [], meter_start_wh
    for sample in sorted(samples, key=lambda s: s.at):
        if sample.wh < before:
            resets.append({"at": format_datetime(sample.at), "from_wh": before, "to_wh": sample.wh})
        before = sample.wh
    return resets


@dataclass(slots=True)
class _Interval:
    start: int  # seconds since the epoch
    end: int
    wh: Decimal  # energy in this interval
    parking: bool
    power_w: Decimal | None
    current_a: Decimal | None
    soc: Decimal | None


def _seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _moment(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _round(value: Decimal) -> Decimal:
    return value.quantize(FOUR, rounding=ROUND_HALF_UP)


def build_periods(
    *,
    start: dt.datetime,
    end: dt.datetime,
    meter_start_wh: int,
    samples: list[Sample],
    time_zone: str,
    boundaries: Boundaries = Boundaries(),
    out_of_order: list[tuple[dt.datetime, dt.datetime]] = (),
    tariff_id: str | None = None,
    session_dimensions: bool = True,
) -> Periods:
    """The ChargingPeriods of [start, end] (end: the stop, or the last sample while ACTIVE).

    `session_dimensions=False` leaves out the Session-only dimensions (a CDR's periods).
    """
    first, last = _seconds(start), max(_seconds(end), _seconds(start))
    intervals = _intervals(first, last, meter_start_wh, samples)
    inside_session = [s for s in samples if first <= _seconds(s.at) <= last]
    readings = sorted((s for s in samples if first <= _seconds(s.at) <= last), key=lambda s: s.at)
    outages = _merged(
        [(max(_seconds(a), first), min(_seconds(b), last)) for a, b in out_of_order], first, last
    )
    cuts = {first}
    cuts.update(_state_cuts(intervals, boundaries))
    for a, b in outages:
        cuts.update((a, b))
    cuts.update(_tariff_time_cuts(first, last, boundaries, ZoneInfo(time_zone)))
    cuts.update(_kwh_cuts(intervals, boundaries.kwh))
    starts = sorted(cut for cut in cuts if first <= cut < last) or [first]
    ends = [*starts[1:], last]

    result = Periods()
    energy_before = charging_before = parking_before = _ZERO
    for period_start, period_end in zip(starts, ends, strict=True):
        energy_after = _round(_energy_until(intervals, period_end) / _WH_PER_KWH)
        charging_s, parking_s = _counted(intervals, outages, period_end)
        charging_after = _round(charging_s / _SECONDS_PER_HOUR)
        parking_after = _round(parking_s / _SECONDS_PER_HOUR)
        energy = energy_after - energy_before
        charging = charging_after - charging_before
        parking = parking_after - parking_before
        energy_before, charging_before, parking_before = (
            energy_after,
            charging_after,
            parking_after,
        )
        inside = [i for i in intervals if i.start < period_end and i.end > period_start] or [
            i for i in intervals if i.start <= period_start < max(i.end, i.start + 1)
        ]
        dimensions = []
        if energy or not parking:
            dimensions.append({"type": "ENERGY", "volume": energy})
        if charging:
            dimensions.append({"type": "TIME", "volume": charging})
        if parking:
            dimensions.append({"type": "PARKING_TIME", "volume": parking})
        dimensions += _levels(inside, boundaries)
        if session_dimensions:
            dimensions += _readings(readings, period_start, period_end)
        period = {
            "start_date_time": format_datetime(_moment(period_start)),
            "dimensions": dimensions,
        }
        if tariff_id:
            period["tariff_id"] = tariff_id
        result.periods.append(period)
    result.total_energy = energy_before
    result.total_parking_time = parking_before
    result.total_time = charging_before + parking_before
    result.resets = meter_resets(meter_start_wh, inside_session)
    return result


def _intervals(first: int, last: int, meter_start_wh: int, samples: list[Sample]) -> list:
    """[t_k, t_k+1) between the start, each sample inside the session and the end."""
    points = [(first, meter_start_wh, ChargingState.CHARGING, None, None, None)]
    for sample in sorted(samples, key=lambda s: s.at):
        at = _seconds(sample.at)
        if first <= at <= last:
            points.append(
                (at, sample.wh, sample.state, sample.power_w, sample.current_a, sample.soc)
            )
    intervals = []
    register, carried = meter_start_wh, _ZERO
    for index, (at, _wh, state, power, current, soc) in enumerate(points):
        following = points[index + 1] if index + 1 < len(points) else None
        end = following[0] if following else last
        next_wh = following[1] if following else register
        delta = Decimal(counted_wh(register, next_wh)) + carried
        register, carried = next_wh, _ZERO
        parking = state == ChargingState.EV_IDLE
        if end > at or (following is None and not intervals):
            intervals.append(_Interval(at, end, delta, parking, power, current, soc))
        elif intervals:  # two samples in the same second: the energy joins the previous one
            intervals[-1].wh += delta
        else:  # a reading in the start's own second: its energy joins the next interval
            carried = delta
    return intervals


def _class(value: Decimal | None, thresholds: tuple[Decimal, ...]) -> int | None:
    return None if value is None or not thresholds else bisect.bisect_right(thresholds, value)


def _crosses(before, after, thresholds) -> bool:
    """Two readings on different sides of a threshold (an unknown one crosses nothing)."""
    if before is None or after is None:
        return False
    return _class(before, thresholds) != _class(after, thresholds)


def _state_cuts(intervals: list[_Interval], boundaries: Boundaries) -> set[int]:
    """Sample times where parking starts/ends or power/current crosses a threshold."""
    cuts = set()
    for before, after in zip(intervals, intervals[1:], strict=False):
        if (
            before.parking != after.parking
            or _crosses(_kw(before.power_w), _kw(after.power_w), boundaries.power_kw)
            or _crosses(before.current_a, after.current_a, boundaries.current_a)
        ):
            cuts.add(after.start)
    return cuts


def _kw(power_w: Decimal | None) -> Decimal | None:
    return None if power_w is None else power_w / _WH_PER_KWH


def _tariff_time_cuts(first: int, last: int, boundaries: Boundaries, zone: ZoneInfo) -> set[int]:
    cuts = {first + seconds for seconds in boundaries.duration_seconds}
    if boundaries.tod_seconds:
        day = _moment(first).astimezone(zone).date() - dt.timedelta(days=1)
        final = _moment(last).astimezone(zone).date()
        while day <= final:
            midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
            for seconds in boundaries.tod_seconds:
                # Wall-clock time of day in the Location's zone (mod_tariffs restrictions):
                # aware + timedelta adds to the wall clock, then takes that moment's offset.
                cuts.add(_seconds(midnight + dt.timedelta(seconds=seconds)))
            day += dt.timedelta(days=1)
    return {cut for cut in cuts if first < cut < last}


def _energy_until(intervals: list[_Interval], moment: int) -> Decimal:
    """Wh delivered from the start to `moment`, linear inside an interval."""
    total = _ZERO
    for interval in intervals:
        if interval.end <= moment:
            total += interval.wh
        elif interval.start < moment:
            total += interval.wh * (moment - interval.start) / (interval.end - interval.start)
    return total


def _kwh_cuts(intervals: list[_Interval], thresholds: tuple[Decimal, ...]) -> set[int]:
    """The (whole second) moments where the cumulative energy reaches a kWh threshold."""
    cuts = set()
    before = _ZERO
    for interval in intervals:
        after = before + interval.wh / _WH_PER_KWH
        for threshold in thresholds:
            if before < threshold <= after and interval.end > interval.start:
                fraction = (threshold - before) / (after - before)
                cuts.add(interval.start + int(fraction * (interval.end - interval.start)))
        before = after
    return cuts


def _merged(outages: list[tuple[int, int]], first: int, last: int) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for a, b in sorted(o for o in outages if o[1] > o[0] and o[0] < last and o[1] > first):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _counted(intervals, outages, moment: int) -> tuple[Decimal, Decimal]:
    """Charging and parking seconds from the start to `moment`, out-of-order time excluded."""
    charging = parking = 0
    for interval in intervals:
        end = min(interval.end, moment)
        if end <= interval.start:
            continue
        seconds = end - interval.start
        for a, b in outages:
            seconds -= max(0, min(b, end) - max(a, interval.start))
        if interval.parking:
            parking += seconds
        else:
            charging += seconds
    return Decimal(charging), Decimal(parking)


def _readings(readings: list[Sample], start: int, end: int) -> list[dict]:
    """Session-only dimensions for driver feedback: the last POWER (kW), CURRENT (A) and
    STATE_OF_CHARGE (%) read in the period (its end included: the newest reading)."""
    inside = [s for s in readings if start <= _seconds(s.at) <= end]
    dimensions = []
    for kind, name, scale in (
        ("POWER", "power_w", _WH_PER_KWH),
        ("CURRENT", "current_a", Decimal(1)),
        ("STATE_OF_CHARGE", "soc", Decimal(1)),
    ):
        values = [getattr(s, name) for s in inside if getattr(s, name) is not None]
        if values:
            dimensions.append({"type": kind, "volume": _round(values[-1] / scale)})
    return dimensions


def _levels(inside: list[_Interval], boundaries: Boundaries) -> list[dict]:
    """MIN/MAX_POWER and MIN/MAX_CURRENT where a tariff restricts them: the engine matches
    min/max_power/current restrictions against them (mod_tariffs TariffRestrictions)."""
    dimensions = []
    powers = [_kw(i.power_w) for i in inside if i.power_w is not None]
    currents = [i.current_a for i in inside if i.current_a is not None]
    if boundaries.power_kw and powers:
        dimensions.append({"type": "MIN_POWER", "volume": _round(min(powers))})
        dimensions.append({"type": "MAX_POWER", "volume": _round(max(powers))})
    if boundaries.current_a and currents:
        dimensions.append({"type": "MIN_CURRENT", "volume": _round(min(currents))})
        dimensions.append({"type": "MAX_CURRENT", "volume": _round(max(currents))})
    return dimensions


def without_session_dimensions(periods: list[dict]) -> list[dict]:
    """A Session's periods as a CDR may carry them (OCPI 2.2.1 CdrDimensionType)."""
    return [
        {
            **period,
            "dimensions": [
                d for d in period["dimensions"] if d["type"] not in SESSION_ONLY_DIMENSIONS
            ],
        }
        for period in periods
    ]
