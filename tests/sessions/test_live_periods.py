"""The live periods of an ACTIVE session (sessions.live_periods), kept one sample at a time,
equal what build_periods gives from all the samples, whatever order they arrive in (late,
replaced, with meter resets), after every event. No database (issue 21 item 2)."""

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from roaming.ocpi_json import ExactJSONDecoder, ExactJSONEncoder
from sessions import live_periods
from sessions.charging_periods import Boundaries, Sample, build_periods
from sessions.live_periods import LivePeriods

START = dt.datetime(2026, 3, 28, 20, 30, tzinfo=dt.UTC)  # Paris: DST starts in the night
ZONE = "Europe/Paris"
TARIFF_ID = "T1"
BOUNDARIES = [
    Boundaries(),
    Boundaries(tod_seconds=(6 * 3600, 22 * 3600)),
    Boundaries(
        tod_seconds=(0, 7 * 3600 + 30 * 60),
        duration_seconds=(1800, 7200),
        kwh=(Decimal("0.5"), Decimal("3")),
        power_kw=(Decimal("3.7"), Decimal("11")),
        current_a=(Decimal("16"),),
    ),
]


def _stored(live: LivePeriods) -> LivePeriods:
    """Through the JSON column and back, as between two events."""
    text = json.dumps(live.to_json(), cls=ExactJSONEncoder)
    return LivePeriods.from_json(json.loads(text, cls=ExactJSONDecoder))


def _events(live, events, store, boundaries, meter_start):
    """Apply each event as record_meter_values does: samples after the last one are added,
    an earlier or replaced one rewinds and the stored samples after the snapshot are added
    again; after each event the result equals build_periods over everything stored."""
    zone = ZoneInfo(ZONE)
    for event in events:
        for sample in event:
            store[sample.at] = sample
        event = sorted({s.at: s for s in event}.values(), key=lambda s: s.at)
        if int(event[0].at.timestamp()) <= live.last_at:
            after = live.rewind(event[0].at)
            event = [store[at] for at in sorted(store) if at > after]
        for sample in event:
            live.add(sample, boundaries, zone, TARIFF_ID)
        live = _stored(live)
        got = live.periods(boundaries, TARIFF_ID)
        samples = [store[at] for at in sorted(store)]
        expected = build_periods(
            start=START,
            end=max(START, samples[-1].at),
            meter_start_wh=meter_start,
            samples=samples,
            time_zone=ZONE,
            boundaries=boundaries,
            tariff_id=TARIFF_ID,
        )
        assert got.periods == expected.periods
        assert (got.total_energy, got.total_time, got.total_parking_time) == (
            expected.total_energy,
            expected.total_time,
            expected.total_parking_time,
        )
        assert got.resets == expected.resets
    return live


@settings(max_examples=150, deadline=None)
@given(
    readings=st.lists(
        st.tuples(
            st.integers(0, 2400),  # seconds after the previous reading
            st.integers(-3000, 4000),  # register change (below 0: a reset, or a glitch)
            st.sampled_from(["CHARGING", "EV_IDLE", "EVSE_PAUSE"]),
            st.one_of(st.none(), st.integers(0, 22000)),  # power W
            st.one_of(st.none(), st.integers(0, 32)),  # current A
        ),
        min_size=1,
        max_size=25,
    ),
    order=st.randoms(use_true_random=False),
    batches=st.integers(1, 4),
    replaced=st.booleans(),
    boundaries=st.sampled_from(BOUNDARIES),
    snapshot_every=st.sampled_from([2, 3, live_periods.SNAPSHOT_EVERY]),
)
def test_live_periods_equal_a_full_recomputation_whatever_the_arrival_order(
    readings, order, batches, replaced, boundaries, snapshot_every
):
    meter_start, seconds, wh = 10_000, 0, 10_000
    samples = []
    for gap, change, state, power, current in readings:
        seconds, wh = seconds + gap, max(0, wh + change)
        moment = START + dt.timedelta(seconds=seconds)
        if samples and moment == samples[-1].at:
            continue  # one reading per second
        power_w = None if power is None else Decimal(power)
        current_a = None if current is None else Decimal(current)
        samples.append(Sample(moment, wh, state, power_w, current_a, Decimal(50)))
    # Mostly in order, some late: shuffle a copy, cut it into events.
    arrival = list(samples)
    if len(arrival) > 2:
        head, tail = arrival[:-3], arrival[-3:]
        order.shuffle(tail)
        arrival = head + tail if order.random() < 0.5 else order.sample(arrival, len(arrival))
    size = max(1, len(arrival) // batches)
    events = [arrival[i : i + size] for i in range(0, len(arrival), size)]
    if replaced:  # the CSMS corrects one reading later (same second, another register)
        first = samples[len(samples) // 2]
        events.append([Sample(first.at, first.wh + 7, first.state, first.power_w)])

    usual = live_periods.SNAPSHOT_EVERY
    live_periods.SNAPSHOT_EVERY = snapshot_every  # periodic snapshots, some dropped
    try:
        live = LivePeriods.start(start=START, meter_start_wh=meter_start)
        _events(live, events, {}, boundaries, meter_start)
    finally:
        live_periods.SNAPSHOT_EVERY = usual


def test_in_order_samples_never_rewind_and_a_late_one_replays_only_its_period():
    boundaries = Boundaries(tod_seconds=(22 * 3600,))
    zone = ZoneInfo(ZONE)
    live = LivePeriods.start(start=START, meter_start_wh=0)
    for minute in range(1, 121):  # 21:31 to 23:30 in Paris: one cut at 22:00
        sample = Sample(START + dt.timedelta(minutes=minute), 120 * minute, "CHARGING")
        live.add(sample, boundaries, zone, TARIFF_ID)
    periods = live.periods(boundaries, TARIFF_ID)
    assert [p["start_date_time"] for p in periods.periods] == [
        "2026-03-28T20:30:00Z",
        "2026-03-28T21:00:00Z",
    ]
    # A late value at 22:10 Paris reopens from a snapshot after 22:00, not from the start.
    after = live.rewind(START + dt.timedelta(minutes=40, seconds=30))
    assert START + dt.timedelta(minutes=30) <= after < START + dt.timedelta(minutes=40, seconds=30)
