"""The charging periods of an ACTIVE session, kept up to date one sample at a time.

`charging_periods.build_periods` derives the periods from every sample: right for the CDR,
but O(samples) per meter value (issue 21). `LivePeriods` is the same fold kept between
events: the periods already closed stay as they are, a sample after the last one only
extends the open tail (cost independent of how many samples came before), and a late or
replaced sample reopens from a snapshot taken before the earliest affected period (the
caller then feeds the samples after that snapshot again, in time order). The result equals
`build_periods` over the same samples (tests/sessions/test_live_periods.py, hypothesis): the
same cuts (tariff times, kWh thresholds, parking and power/current classes), the same energy
interpolation and cumulative rounding, the same meter register rule (`counted_wh`).

Out-of-order time (known only at the stop) is not handled here: a session that has some is
derived whole. The state is plain JSON (Session.live_state). Pure: no database.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from roaming.ocpi_time import format_datetime

from .charging_periods import (
    _SECONDS_PER_HOUR,
    _WH_PER_KWH,
    Boundaries,
    ChargingState,
    Periods,
    Sample,
    _crosses,
    _kw,
    _moment,
    _round,
    _seconds,
    counted_wh,
)

VERSION = 1
# A snapshot at least every so many samples: a late sample never replays more than that
# within one long period (one period can last the whole charge).
SNAPSHOT_EVERY = 60
PERIODIC_SNAPSHOTS = 3


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _point(sample: Sample) -> dict:
    return {
        "at": _seconds(sample.at),
        "wh": sample.wh,
        "state": str(sample.state),
        "power_w": _str(sample.power_w),
        "current_a": _str(sample.current_a),
        "soc": _str(sample.soc),
    }


def _ordered(period: dict) -> dict:
    """A stored period with its keys in build_periods' order (jsonb sorts keys; the hub's
    copy is fingerprinted from the JSON text, sessions.session_push)."""
    ordered = {"start_date_time": period["start_date_time"], "dimensions": period["dimensions"]}
    if "tariff_id" in period:
        ordered["tariff_id"] = period["tariff_id"]
    return ordered


class LivePeriods:
    """The fold of `build_periods` with its state between events (see the module)."""

    def __init__(self, state: dict):
        self.state = state

    # --- creation and storage -----------------------------------------------------------

    @classmethod
    def start(cls, *, start: dt.datetime, meter_start_wh: int) -> LivePeriods:
        first = _seconds(start)
        fold = {
            "first": first,
            # The start's register reads as a point; it is no reading (no POWER, no SOC).
            "last": {"at": first, "wh": meter_start_wh, "state": ChargingState.CHARGING.value,
                     "power_w": None, "current_a": None, "soc": None, "reading": False},
            "prev": None,  # the interval that ends at last: parking, power_w, current_a
            "energy": "0", "charging": 0, "parking": 0,  # cumulative at last (Wh, s, s)
            "carried": 0,  # Wh read in the start's own second: joins the next interval
            "pending": None,  # a kWh cut that fell on the last sample's time
            "closed": 0,  # how many of `periods` are final
            "open": cls._period(first, "0", "0", "0"),
            "since_snapshot": 0,
        }  # fmt: skip
        state = {"v": VERSION, "fold": fold, "periods": [], "resets": [], "snapshots": []}
        live = cls(state)
        live._snapshot()
        return live

    @classmethod
    def from_json(cls, data: dict | None) -> LivePeriods | None:
        """None when `data` holds no state of this version (build it from the samples)."""
        if not data or data.get("v") != VERSION:
            return None
        return cls(data)

    def to_json(self) -> dict:
        return self.state

    @staticmethod
    def _period(start: int, energy: str, charging: str, parking: str) -> dict:
        return {"start": start, "energy_before": energy, "charging_before": charging,
                "parking_before": parking, "levels": {}, "readings": {}}  # fmt: skip

    # --- late samples ---------------------------------------------------------------------

    @property
    def last_at(self) -> int:
        return self.state["fold"]["last"]["at"]

    def rewind(self, before: dt.datetime) -> dt.datetime:
        """Go back to the newest snapshot strictly before `before` (the time of the earliest
        late or replaced sample); returns its time: every stored sample after it must be
        added again, in time order."""
        moment = _seconds(before)
        snapshots = self.state["snapshots"]
        while len(snapshots) > 1 and snapshots[-1]["last"]["at"] >= moment:
            snapshots.pop()
        fold = copy.deepcopy(snapshots[-1])
        fold.pop("periodic", None)
        self.state["fold"] = fold
        del self.state["periods"][fold["closed"] :]
        after = fold["last"]["at"]
        if not fold["last"].get("reading"):  # the start itself: a reading in its second too
            after -= 1
        self.state["resets"] = [r for r in self.state["resets"] if r["_at"] <= after]
        return _moment(after)

    def _snapshot(self, *, periodic: bool = False) -> None:
        """Where a replay may start. Those where a period opens are kept (as many as the
        periods); of the periodic ones only the newest few (late samples are mostly
        recent; an older one replays from the period's own snapshot), so the state stays
        the same size however long the charge."""
        fold = self.state["fold"]
        fold["since_snapshot"] = 0
        snapshots = self.state["snapshots"]
        snapshots.append(copy.deepcopy(fold) | {"periodic": periodic})
        if periodic:
            periodic_ones = [i for i, s in enumerate(snapshots) if s.get("periodic")]
            if len(periodic_ones) > PERIODIC_SNAPSHOTS:
                del snapshots[periodic_ones[0]]

    # --- the fold -----------------------------------------------------------------------

    def add(self, sample: Sample, boundaries: Boundaries, zone: ZoneInfo, tariff_id) -> None:
        """One more sample, later than every sample added so far."""
        fold = self.state["fold"]
        last, at = fold["last"], _seconds(sample.at)
        if at < last["at"]:
            raise ValueError("LivePeriods.add takes samples in time order: rewind first.")
        if last["wh"] > sample.wh:
            self.state["resets"].append(
                {"at": format_datetime(_moment(at)), "from_wh": last["wh"], "to_wh": sample.wh,
                 "_at": at}
            )  # fmt: skip
        point = _point(sample) | {"reading": True}
        if at == last["at"]:
            # Only the start's own second (samples are one per second): the reading takes the
            # start point's place, its energy joins the next interval (as build_periods).
            fold["carried"] += counted_wh(last["wh"], sample.wh)
            fold["last"] = point
            self._read(fold["open"], point)
            return
        wh = Decimal(counted_wh(last["wh"], sample.wh) + fold["carried"])
        interval = {
            "start": last["at"], "end": at, "wh": wh,
            "parking": last["state"] == ChargingState.EV_IDLE,
            "power_w": _dec(last["power_w"]), "current_a": _dec(last["current_a"]),
        }  # fmt: skip
        cuts, pending = self._cuts(fold, interval, boundaries, zone)
        opened = False
        for cut in cuts:
            if cut == fold["open"]["start"]:
                continue
            if not opened:
                self._snapshot()  # before this interval: replaying from here is exact
                opened = True
            if cut > interval["start"]:
                self._level(fold["open"], interval)
            self._close(fold, interval, cut, boundaries, tariff_id)
            if cut == last["at"] and last.get("reading"):
                self._read(fold["open"], last)
        self._level(fold["open"], interval)
        fold["carried"] = 0  # now in this interval (after any snapshot: replays redo it)
        fold["prev"] = {"parking": interval["parking"], "power_w": last["power_w"],
                        "current_a": last["current_a"]}  # fmt: skip
        fold["energy"] = str(Decimal(fold["energy"]) + wh)
        fold["parking" if interval["parking"] else "charging"] += at - last["at"]
        fold["pending"] = pending
        fold["last"] = point
        self._read(fold["open"], point)
        fold["since_snapshot"] += 1
        if fold["since_snapshot"] >= SNAPSHOT_EVERY and not opened:
            self._snapshot(periodic=True)

    def _cuts(self, fold, interval, boundaries: Boundaries, zone) -> tuple[list[int], int | None]:
        """The period starts within [interval start, end) (as build_periods finds them), and
        a kWh cut that falls on the end (applied with the next interval)."""
        start, end, first = interval["start"], interval["end"], fold["first"]
        cuts = set()
        prev = fold["prev"]
        if prev is not None and (
            prev["parking"] != interval["parking"]
            or _crosses(_kw(_dec(prev["power_w"])), _kw(interval["power_w"]), boundaries.power_kw)
            or _crosses(_dec(prev["current_a"]), interval["current_a"], boundaries.current_a)
        ):
            cuts.add(start)
        if fold["pending"] is not None:
            cuts.add(fold["pending"])
        for seconds in boundaries.duration_seconds:
            cuts.add(first + seconds)
        if boundaries.tod_seconds:
            day = _moment(start).astimezone(zone).date() - dt.timedelta(days=1)
            final = _moment(end).astimezone(zone).date()
            while day <= final:
                midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
                for seconds in boundaries.tod_seconds:
                    cuts.add(_seconds(midnight + dt.timedelta(seconds=seconds)))
                day += dt.timedelta(days=1)
        pending = None
        before = Decimal(fold["energy"]) / _WH_PER_KWH
        after = before + interval["wh"] / _WH_PER_KWH
        for threshold in boundaries.kwh:
            if before < threshold <= after:
                fraction = (threshold - before) / (after - before)
                cut = start + int(fraction * (end - start))
                if cut >= end:
                    pending = cut
                else:
                    cuts.add(cut)
        inside = sorted(c for c in cuts if start <= c < end and c > first)
        return inside, pending

    def _energy_at(self, fold, interval, moment: int) -> Decimal:
        total = Decimal(fold["energy"])
        if moment > interval["start"]:
            total += (
                interval["wh"]
                * (moment - interval["start"])
                / (interval["end"] - interval["start"])
            )
        return total

    def _close(self, fold, interval, cut: int, boundaries, tariff_id) -> None:
        """The open period ends at `cut` (within the interval); a new one opens there."""
        energy = self._energy_at(fold, interval, cut)
        charging, parking = fold["charging"], fold["parking"]
        if cut > interval["start"]:
            if interval["parking"]:
                parking += cut - interval["start"]
            else:
                charging += cut - interval["start"]
        period, after = self._render(fold["open"], cut, energy, charging, parking, tariff_id,
                                     boundaries)  # fmt: skip
        periods = self.state["periods"]
        del periods[fold["closed"] :]
        periods.append(period)
        fold["closed"] = len(periods)
        fold["open"] = self._period(cut, *(str(value) for value in after))

    @staticmethod
    def _level(period: dict, interval: dict) -> None:
        levels = period["levels"]
        for name, value in (
            ("power", _kw(interval["power_w"])),
            ("current", interval["current_a"]),
        ):
            if value is None:
                continue
            low, high = _dec(levels.get(f"min_{name}")), _dec(levels.get(f"max_{name}"))
            levels[f"min_{name}"] = str(value if low is None or value < low else low)
            levels[f"max_{name}"] = str(value if high is None or value > high else high)

    @staticmethod
    def _read(period: dict, point: dict) -> None:
        for name in ("power_w", "current_a", "soc"):
            if point[name] is not None:
                period["readings"][name] = point[name]

    @staticmethod
    def _render(open_period, end, energy, charging_s, parking_s, tariff_id, boundaries):
        """One period as build_periods writes it, and the rounded cumulative values at its end."""
        energy_after = _round(energy / _WH_PER_KWH)
        charging_after = _round(Decimal(charging_s) / _SECONDS_PER_HOUR)
        parking_after = _round(Decimal(parking_s) / _SECONDS_PER_HOUR)
        energy_v = energy_after - Decimal(open_period["energy_before"])
        charging_v = charging_after - Decimal(open_period["charging_before"])
        parking_v = parking_after - Decimal(open_period["parking_before"])
        dimensions = []
        if energy_v or not parking_v:
            dimensions.append({"type": "ENERGY", "volume": energy_v})
        if charging_v:
            dimensions.append({"type": "TIME", "volume": charging_v})
        if parking_v:
            dimensions.append({"type": "PARKING_TIME", "volume": parking_v})
        levels = open_period["levels"]
        if boundaries.power_kw and "min_power" in levels:
            dimensions.append({"type": "MIN_POWER", "volume": _round(Decimal(levels["min_power"]))})
            dimensions.append({"type": "MAX_POWER", "volume": _round(Decimal(levels["max_power"]))})
        if boundaries.current_a and "min_current" in levels:
            dimensions.append(
                {"type": "MIN_CURRENT", "volume": _round(Decimal(levels["min_current"]))}
            )
            dimensions.append(
                {"type": "MAX_CURRENT", "volume": _round(Decimal(levels["max_current"]))}
            )
        readings = open_period["readings"]
        for kind, name, scale in (
            ("POWER", "power_w", _WH_PER_KWH),
            ("CURRENT", "current_a", Decimal(1)),
            ("STATE_OF_CHARGE", "soc", Decimal(1)),
        ):
            if name in readings:
                dimensions.append({"type": kind, "volume": _round(Decimal(readings[name]) / scale)})
        period = {"start_date_time": format_datetime(_moment(open_period["start"])),
                  "dimensions": dimensions}  # fmt: skip
        if tariff_id:
            period["tariff_id"] = tariff_id
        return period, (energy_after, charging_after, parking_after)

    # --- the result ---------------------------------------------------------------------

    def periods(self, boundaries: Boundaries, tariff_id) -> Periods:
        """The closed periods and the open one up to the last sample (build_periods with
        end = the last sample); session dimensions included."""
        fold = self.state["fold"]
        last = fold["last"]
        energy = Decimal(fold["energy"]) + fold["carried"]
        open_period = fold["open"]
        if last["at"] == fold["first"] and not fold["closed"]:
            # Nothing after the start's second: build_periods' zero-length period, whose
            # levels are those of the point itself.
            open_period = copy.deepcopy(open_period)
            open_period["levels"] = {}
            self._level(open_period, {"power_w": _dec(last["power_w"]),
                                      "current_a": _dec(last["current_a"])})  # fmt: skip
        period, (energy_after, charging_after, parking_after) = self._render(
            open_period, last["at"], energy, fold["charging"], fold["parking"], tariff_id,
            boundaries,
        )  # fmt: skip
        closed = [_ordered(p) for p in self.state["periods"][: fold["closed"]]]
        result = Periods(periods=[*closed, period])
        result.total_energy = energy_after
        result.total_parking_time = parking_after
        result.total_time = charging_after + parking_after
        result.resets = [{k: v for k, v in r.items() if k != "_at"} for r in self.state["resets"]]
        return result

    @property
    def end(self) -> dt.datetime:
        return _moment(self.state["fold"]["last"]["at"])
