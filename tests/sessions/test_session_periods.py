"""Charging periods from meter samples (sessions.charging_periods), no database."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.charging_periods import Boundaries, Sample, boundaries_of, build_periods
from tariffs.pricing import compile_tariff

START = dt.datetime(2026, 6, 10, 8, 0, tzinfo=dt.UTC)  # a Wednesday, Paris 10:00 (UTC+2)


def at(minutes) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def volumes(periods, kind):
    return [
        next((d["volume"] for d in p["dimensions"] if d["type"] == kind), Decimal(0))
        for p in periods.periods
    ]


def starts(periods):
    return [p["start_date_time"] for p in periods.periods]


NO_TARIFF = Boundaries()


def build(samples, *, end, boundaries=NO_TARIFF, **kwargs):
    return build_periods(
        start=START,
        end=at(end),
        meter_start_wh=0,
        samples=samples,
        time_zone="Europe/Paris",
        boundaries=boundaries,
        **kwargs,
    )


def test_evse_side_pause_is_charging_time_ev_idle_is_parking():
    samples = [
        Sample(at(10), 1000, "EVSE_PAUSE"),  # load management from 10 to 20 min
        Sample(at(20), 1000, "CHARGING"),
        Sample(at(30), 2000, "EV_IDLE"),  # the battery is full from 30 min
    ]
    periods = build(samples, end=60)
    assert starts(periods) == ["2026-06-10T08:00:00Z", "2026-06-10T08:30:00Z"]
    assert volumes(periods, "TIME") == [Decimal("0.5"), 0]
    assert volumes(periods, "PARKING_TIME") == [0, Decimal("0.5")]
    assert periods.total_parking_time == Decimal("0.5")
    assert periods.total_time == Decimal("1")


def test_out_of_order_time_counts_neither_as_time_nor_parking():
    outage = [(at(20), at(35))]  # Gireve §3.9.2
    periods = build([Sample(at(60), 6000)], end=60, out_of_order=outage)
    assert starts(periods)[1:] == ["2026-06-10T08:20:00Z", "2026-06-10T08:35:00Z"]
    assert volumes(periods, "TIME") == [Decimal("0.3333"), 0, Decimal("0.4167")]
    assert periods.total_time == Decimal("0.75")


def test_kwh_threshold_and_power_threshold_start_new_periods():
    tariff = compile_tariff(
        {
            "id": "T",
            "currency": "EUR",
            "elements": [
                {
                    "price_components": [
                        {"type": "ENERGY", "price": Decimal("0.50"), "step_size": 1}
                    ],
                    "restrictions": {"max_kwh": 5, "min_power": 11},
                },
                {
                    "price_components": [
                        {"type": "ENERGY", "price": Decimal("0.30"), "step_size": 1}
                    ]
                },
            ],
        }
    )
    boundaries = boundaries_of(tariff)
    samples = [
        Sample(at(10), 2000, power_w=Decimal(12000)),
        Sample(at(20), 4000, power_w=Decimal(12000)),
        Sample(at(30), 6000, power_w=Decimal(7000)),  # power falls below 11 kW at 30 min
        Sample(at(40), 7000, power_w=Decimal(7000)),
    ]
    periods = build(samples, end=40, boundaries=boundaries)
    # 5 kWh is reached half-way between 20 and 30 min (4 -> 6 kWh)
    assert starts(periods) == [
        "2026-06-10T08:00:00Z",
        "2026-06-10T08:25:00Z",
        "2026-06-10T08:30:00Z",
    ]
    assert volumes(periods, "ENERGY") == [Decimal("5"), Decimal("1"), Decimal("1")]
    assert volumes(periods, "MAX_POWER") == [Decimal("12"), Decimal("12"), Decimal("7")]


def test_cdr_periods_leave_out_session_only_dimensions():
    sample = Sample(at(10), 1000, power_w=Decimal(6000), current_a=Decimal(26), soc=Decimal(40))
    session = build([sample], end=10)
    cdr = build([sample], end=10, session_dimensions=False)
    kinds = {d["type"] for d in session.periods[0]["dimensions"]}
    assert {"POWER", "CURRENT", "STATE_OF_CHARGE"} <= kinds
    assert {d["type"] for d in cdr.periods[0]["dimensions"]} == {"ENERGY", "TIME"}


def test_spring_dst_change_keeps_the_local_night_boundary():
    # 29 March 2026: Paris jumps from 02:00 to 03:00; 06:00 local is then 04:00 UTC.
    start = dt.datetime(2026, 3, 29, 0, 0, tzinfo=dt.UTC)  # 01:00 local (UTC+1)
    periods = build_periods(
        start=start,
        end=start + dt.timedelta(hours=6),
        meter_start_wh=0,
        samples=[Sample(start + dt.timedelta(hours=6), 6000)],
        time_zone="Europe/Paris",
        boundaries=Boundaries(tod_seconds=(6 * 3600,)),
    )
    assert starts(periods) == ["2026-03-29T00:00:00Z", "2026-03-29T04:00:00Z"]


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(1, 900),
            st.integers(0, 5000),
            st.sampled_from(["CHARGING", "EV_IDLE", "EVSE_PAUSE"]),
        ),
        min_size=1,
        max_size=12,
    ),
    tods=st.lists(st.integers(0, 86399), max_size=3),
    outage=st.tuples(st.integers(0, 3000), st.integers(0, 3000)),
)
def test_totals_are_the_sums_of_the_periods_whatever_the_samples(steps, tods, outage):
    samples, seconds, wh = [], 0, 0
    for gap, energy, state in steps:
        seconds, wh = seconds + gap, wh + energy
        samples.append(Sample(START + dt.timedelta(seconds=seconds), wh, state))
    down = (START + dt.timedelta(seconds=min(outage)), START + dt.timedelta(seconds=max(outage)))
    periods = build_periods(
        start=START,
        end=START + dt.timedelta(seconds=seconds),
        meter_start_wh=0,
        samples=samples,
        time_zone="Europe/Paris",
        boundaries=Boundaries(tod_seconds=tuple(tods), kwh=(Decimal("3"),)),
        out_of_order=[down],
    )
    assert periods.total_energy == sum(volumes(periods, "ENERGY")) == Decimal(wh) / 1000
    assert periods.total_parking_time == sum(volumes(periods, "PARKING_TIME"))
    assert periods.total_time == sum(volumes(periods, "TIME")) + periods.total_parking_time
    counted = seconds - max(0, min(max(outage), seconds) - min(outage))
    assert abs(periods.total_time * 3600 - counted) <= 1  # 4 decimals of an hour
    assert starts(periods) == sorted(starts(periods))
    assert starts(periods)[0] == "2026-06-10T08:00:00Z"


def test_energy_read_in_the_start_second_is_kept():
    # A reading (or the stop) in the start's own whole second: its energy is not dropped,
    # whether the session goes on or ends within that second.
    same_second = START + dt.timedelta(milliseconds=400)
    going_on = build([Sample(same_second, 500, "CHARGING"), Sample(at(30), 7400, "CHARGING")],
                     end=30)  # fmt: skip
    instant = build_periods(
        start=START,
        end=same_second,
        meter_start_wh=0,
        samples=[Sample(same_second, 7400, "CHARGING")],
        time_zone="Europe/Paris",
    )
    assert sum(volumes(going_on, "ENERGY")) == Decimal("7.4")
    assert volumes(instant, "ENERGY") == [Decimal("7.4")]
    assert instant.total_energy == Decimal("7.4")
