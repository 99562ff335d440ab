"""Pricing engine: the OCPI 2.2.1 spec's own examples, then each rule with hand arithmetic."""

import datetime as dt
import json
from decimal import Context, Decimal, Inexact, localcontext
from pathlib import Path

import pytest

from tariffs.pricing import (
    PricingError,
    compile_tariff,
    price_cdr,
    round_money,
    select_tariff_for_emsp,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "ocpi_examples"
D = Decimal


def spec_json(name: str):
    return json.loads((DATA / f"{name}.json").read_text(), parse_float=Decimal)


def cdr(start: str, periods: list[tuple[int, dict]], minutes: int) -> dict:
    """A CDR starting at `start` (UTC, YYYY-MM-DDTHH:MM); periods at minute offsets."""
    begin = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)

    def at(offset):
        return (begin + dt.timedelta(minutes=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "start_date_time": at(0),
        "end_date_time": at(minutes),
        "charging_periods": [
            {
                "start_date_time": at(offset),
                "dimensions": [{"type": k, "volume": D(str(v))} for k, v in dims.items()],
            }
            for offset, dims in periods
        ],
    }


def hours(minutes) -> Decimal:
    return D(minutes) / 60


def costs(result) -> dict:
    """{field: (excl_vat, incl_vat or None)} as the CDR shows them (4 decimals)."""
    return {
        name: (price["excl_vat"], price.get("incl_vat"))
        for name, price in result.cost_fields().items()
    }


def total(result):
    return costs(result)["total_cost"]


def tariff(*elements, **fields) -> dict:
    return {"id": "T1", "currency": "EUR", "elements": list(elements), **fields}


def element(*components, **restrictions) -> dict:
    data = {"price_components": [dict(c) for c in components]}
    if restrictions:
        data["restrictions"] = restrictions
    return data


def comp(kind: str, price, step_size=1, vat=None) -> dict:
    data = {"type": kind, "price": D(str(price)), "step_size": step_size}
    if vat is not None:
        data["vat"] = D(str(vat))
    return data


# --- The spec's examples (mod_tariffs, mod_cdrs) -------------------------------------------


def test_spec_cdr_example_totals_match_its_own_cost_fields():
    example = spec_json("cdr_example")
    result = price_cdr(example["tariffs"][0], example, "Europe/Brussels")
    # TIME 1.973 h at 2.00/h, step 300 s: 7102.8 s -> 24 steps = 7200 s = 2 h -> 4.00, +10% 4.40
    assert costs(result) == {"total_cost": (D("4.00"), D("4.40")), "total_time_cost": (4, D("4.4"))}
    assert total(result) == (example["total_cost"]["excl_vat"], example["total_cost"]["incl_vat"])


@pytest.mark.parametrize(
    ("name", "periods", "minutes", "expected"),
    [
        # 20 kWh x 0.25 = 5.00, +10% = 5.50
        ("tariff_8_simple_025kwh", [(0, {"ENERGY": 20, "TIME": 2})], 120, ("5.00", "5.50")),
        # start 0.50 (+20% 0.60) + 20 kWh x 0.25 = 5.00 (+10% 5.50) -> 5.50 / 6.10
        ("tariff_9_025kwh_start", [(0, {"ENERGY": 20, "TIME": 2})], 120, ("5.50", "6.10")),
        # 20 kWh: 5.00 / 5.50, above min_price 0.50 / 0.55
        ("tariff_12_025kwh_min_price", [(0, {"ENERGY": 20})], 120, ("5.00", "5.50")),
        # 1 kWh: 0.25 / 0.275 below min_price -> 0.50 / 0.55
        ("tariff_12_025kwh_min_price", [(0, {"ENERGY": 1})], 20, ("0.50", "0.55")),
        # 0.50/0.60 + 5.00/5.50 + parking 40 min billed 45 (step 900) x 2.00 = 1.50/1.80
        (
            "tariff_10_025kwh_parking_start",
            [(0, {"ENERGY": 20, "TIME": 2}), (120, {"PARKING_TIME": hours(40)})],
            160,
            ("7.00", "7.90"),
        ),
        # 2.5 h x 2.00 = 5.00, +10% 5.50
        ("tariff_1_simple_2hour", [(0, {"TIME": "2.5"})], 150, ("5.00", "5.50")),
        # 150 min x 3.00/h = 7.50 (8.25) + parking 42 -> 45 min (step 300) x 5.00 = 3.75 (4.50)
        (
            "tariff_13_simple_3hour_5parking",
            [(0, {"TIME": "2.5"}), (150, {"PARKING_TIME": hours(42)})],
            192,
            ("11.25", "12.75"),
        ),
        # 2.5 h x 1.90 = 4.75; x 1.052 = 4.997 (the spec rounds it to "5.00" in its prose)
        ("tariff_2_alt_text", [(0, {"TIME": "2.5"})], 150, ("4.75", "4.997")),
        # 0.50 (0.60) + 20.45 kWh billed 20.5 (step 100 Wh) x 0.25 = 5.125 (x1.1 = 5.6375);
        # the spec's table shows the lines rounded to cents: 5.13 / 5.64 / 5.63 / 6.24
        ("tariff_3_alt_url", [(0, {"ENERGY": "20.45"})], 120, ("5.625", "6.2375")),
        ("tariff_5_free_of_charge", [(0, {"ENERGY": 12, "TIME": 1})], 60, ("0", "0")),
    ],
)
def test_spec_tariff_examples(name, periods, minutes, expected):
    result = price_cdr(spec_json(name), cdr("2026-01-05T09:30", periods, minutes), "UTC")
    assert total(result) == (D(expected[0]), D(expected[1]))


@pytest.mark.parametrize(
    ("kwh", "expected", "capped"),
    [
        (50, ("10.00", "11.00"), True),  # 0.50 + 12.50 = 13.00 (14.35 incl) > max 10.00 / 11.00
        (30, ("8.00", "8.85"), False),  # 0.50 + 7.50 = 8.00; 0.60 + 8.25 = 8.85
    ],
)
def test_spec_max_price_example(kwh, expected, capped):
    result = price_cdr(
        spec_json("tariff_6_025kwh_start_max_price"),
        cdr("2019-06-01T09:30", [(0, {"ENERGY": kwh})], 180),
        "Europe/Berlin",
    )
    assert total(result) == (D(expected[0]), D(expected[1]))
    assert result.max_price_applied is capped
    # the components keep what they priced; only total_cost is capped
    assert costs(result)["total_energy_cost"][0] == D("0.25") * kwh


def test_tariff_is_not_used_after_its_end_date_time():
    with pytest.raises(PricingError, match="^start_date_time: the session starts after"):
        price_cdr(
            spec_json("tariff_6_025kwh_start_max_price"),
            cdr("2019-07-01T09:30", [(0, {"ENERGY": 5})], 60),
            "UTC",
        )


def test_spec_complex_tariff_monday_example():
    # Monday 09:30, 165 min at max 16 A, then 42 min parking (weekday 09:00-18:00 at 5.00/h)
    session = cdr(
        "2026-01-05T09:30",
        [
            (0, {"TIME": "2.75", "MIN_CURRENT": 6, "MAX_CURRENT": 16}),
            (165, {"PARKING_TIME": "0.7"}),
        ],
        207,
    )
    result = price_cdr(spec_json("tariff_4_complex"), session, "UTC")
    assert costs(result) == {
        "total_cost": (D("9.00"), D("10.30")),
        "total_fixed_cost": (D("2.50"), D("2.875")),  # +15%
        "total_time_cost": (D("2.75"), D("3.30")),  # 165 min x 1.00/h, not step-rounded
        "total_parking_cost": (D("3.75"), D("4.125")),  # 42 -> 45 min x 5.00/h, +10%
    }


def test_spec_complex_tariff_saturday_example_uses_the_weekend_rate():
    # Saturday 13:30, 114 min at 43 A (weekend element: 1.25/h), 71 min parking (Sat 6.00/h).
    # The spec's table prices the 114 min at 1.20/h (2.28, 2.736; totals 12.28 / 13.861),
    # which is no rate of this tariff: the example is not self-consistent. By its elements:
    # 2.50 + 1.9 h x 1.25 = 2.375 + 75 min x 6.00 = 7.50 -> 12.375;
    # incl: 2.875 + 2.85 + 8.25 = 13.975.
    session = cdr(
        "2026-01-10T13:30",
        [
            (0, {"TIME": "1.9", "MIN_CURRENT": 43, "MAX_CURRENT": 43}),
            (114, {"PARKING_TIME": hours(71)}),
        ],
        185,
    )
    result = price_cdr(spec_json("tariff_4_complex"), session, "UTC")
    assert costs(result)["total_time_cost"] == (D("2.375"), D("2.85"))
    assert costs(result)["total_parking_cost"] == (D("7.50"), D("8.25"))
    assert total(result) == (D("12.375"), D("13.975"))


@pytest.mark.parametrize(
    ("start", "periods", "minutes", "expected"),
    [
        # 16:55 charge 10 min, park 2 min: 5 min x 1.20/h = 0.10, 5 min x 2.40/h = 0.20,
        # parking 2 -> 15 min (last time-based step 900) x 1.00/h = 0.25 -> 0.55
        ("16:55", [(0, {"TIME": hours(10)}), (10, {"PARKING_TIME": hours(2)})], 12, "0.55"),
        # 16:35 charge 35 min: 25 min x 1.20 = 0.50; total 35 -> 45 min (step 900 after
        # 17:00), the 20 min after 17:00 x 2.40 = 0.80 -> 1.30
        ("16:35", [(0, {"TIME": hours(35)})], 35, "1.30"),
        # 19:40 charge 12 min x 2.40 = 0.48; park 19:52-20:12, priced until 20:00 only: 8 min
        # -> 15 min x 1.00 = 0.25 -> 0.73
        ("19:40", [(0, {"TIME": hours(12)}), (12, {"PARKING_TIME": hours(20)})], 32, "0.73"),
    ],
)
def test_spec_step_size_examples_when_switching_elements(start, periods, minutes, expected):
    result = price_cdr(
        spec_json("tariff_14_step_size"), cdr(f"2026-01-05T{start}", periods, minutes), "UTC"
    )
    assert total(result) == (D(expected), None)  # no vat in that tariff: incl unknown


@pytest.mark.parametrize(
    ("name", "reserved", "expired", "expected", "reservation"),
    [
        # reservation 15 min x 5.00/h = 1.25 (1.50) + 0.50 (0.60) + 5.00 (5.50)
        ("tariff_15_reservation_5_euro_per_hour", 15, None, ("6.75", "7.60"), ("1.25", "1.50")),
        # reservation fee 2.00 + 13 -> 15 min (step 300) x 5.00 = 1.25: 3.25 (3.90), + 5.50 (6.10)
        (
            "tariff_16_reservation_2_euro_fee_5_euro_per_hour",
            13,
            None,
            ("8.75", "10.00"),
            ("3.25", "3.90"),
        ),
        # 22 -> 30 min (step 600) x 2.00 = 1.00 (1.20); no expiry fee as charging followed
        ("tariff_17_reservation_with_expire_fee", 22, None, ("6.50", "7.30"), ("1.00", "1.20")),
        # expired after 60 min: fee 4.00 (4.80) + 60 min x 2.00 = 2.00 (2.40)
        ("tariff_17_reservation_with_expire_fee", 60, True, ("6.00", "7.20"), ("6.00", "7.20")),
        # 22 -> 30 min x 3.00 = 1.50 (1.80) + 0.50 (0.60) + 5.00 (5.50)
        ("tariff_18_reservation_with_expire_time", 22, None, ("7.00", "7.90"), ("1.50", "1.80")),
        # expired after 90 min: priced by the RESERVATION_EXPIRES element: 1.5 h x 6.00
        ("tariff_18_reservation_with_expire_time", 90, True, ("9.00", "10.80"), ("9.00", "10.80")),
    ],
    ids=["15", "16", "17", "17-expired", "18", "18-expired"],
)
def test_spec_reservation_examples(name, reserved, expired, expected, reservation):
    if expired:  # the CDR holds the reservation only
        session = cdr("2026-01-05T10:00", [(0, {"RESERVATION_TIME": hours(reserved)})], reserved)
    else:
        session = cdr(
            "2026-01-05T10:00",
            [(0, {"RESERVATION_TIME": hours(reserved)}), (reserved, {"ENERGY": 20, "TIME": 2})],
            reserved + 120,
        )
    result = price_cdr(spec_json(name), session, "UTC")
    assert total(result) == (D(expected[0]), D(expected[1]))
    assert costs(result)["total_reservation_cost"] == (D(reservation[0]), D(reservation[1]))


@pytest.mark.parametrize("with_levels", [True, False])
def test_spec_max_power_example(with_levels):
    # 1 kWh at 6 kW (10 min): < 16 kW -> 0.20; 40 kWh at 48 kW (50 min): >= 32 kW -> the
    # fallback 0.50 x 40 = 20.00; 0.5 kWh at 4 kW (7.5 min) -> 0.20 x 0.5 = 0.10. = 20.30 (x1.2)
    # Without MIN/MAX_POWER the average power ENERGY / TIME gives the same levels.
    def dims(kwh, kw, minutes):
        values = {"ENERGY": kwh, "TIME": hours(minutes)}
        if with_levels:
            values.update(MIN_POWER=kw, MAX_POWER=kw)
        return values

    session = {
        **cdr("2026-01-05T10:00", [(0, dims(1, 6, 10)), (10, dims(40, 48, 50))], 60),
    }
    session["end_date_time"] = "2026-01-05T11:07:30Z"
    session["charging_periods"].append(
        {
            "start_date_time": "2026-01-05T11:00:00Z",
            "dimensions": [
                {"type": k, "volume": D(str(v))} for k, v in dims(D("0.5"), 4, D("7.5")).items()
            ],
        }
    )
    result = price_cdr(spec_json("tariffrestriction_example_max_power"), session, "UTC")
    assert total(result) == (D("20.30"), D("24.36"))


def test_spec_max_duration_example():
    # 5 kWh in the first 30 min: free; 1.2 kWh in the next 10 min at 0.25 = 0.30 (+20% 0.36)
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 5}), (30, {"ENERGY": "1.2"})], 40)
    result = price_cdr(spec_json("tariffrestriction_example_max_duration"), session, "UTC")
    assert total(result) == (D("0.30"), D("0.36"))


def test_duration_threshold_inside_a_period_splits_it_linearly():
    # one 40 min period of 6.2 kWh: 30/40 = 4.65 kWh free, 10/40 = 1.55 kWh x 0.25 = 0.3875
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": "6.2"})], 40)
    result = price_cdr(spec_json("tariffrestriction_example_max_duration"), session, "UTC")
    assert total(result) == (D("0.3875"), D("0.465"))
    assert [line["element"] for line in result.breakdown()] == [0, 1]


def test_cdr_step_size_examples_apply_to_session_totals():
    # mod_cdrs step_size: energy 0.20 before 17:00, 0.27 after, step 500 Wh: 4.3 + 1.1 = 5.4
    # -> 5.5 kWh: 4.3 x 0.20 = 0.86 + 1.2 x 0.27 = 0.324 -> 1.184 (not 1.5 kWh after 17:00)
    energy = tariff(
        element(comp("ENERGY", "0.20", 500), end_time="17:00"),
        element(comp("ENERGY", "0.27", 500)),
    )
    session = cdr("2026-01-05T16:00", [(0, {"ENERGY": "4.3"}), (60, {"ENERGY": "1.1"})], 120)
    assert total(price_cdr(energy, session, "UTC"))[0] == D("1.184")
    # time 5/h before 17:00, 7/h after, step 600: 6 + 22 = 28 -> 30 min: 0.50 + 24 min x 7 = 2.80
    time = tariff(element(comp("TIME", 5, 600), end_time="17:00"), element(comp("TIME", 7, 600)))
    session = cdr("2026-01-05T16:54", [(0, {"TIME": hours(6)}), (6, {"TIME": hours(22)})], 28)
    assert total(price_cdr(time, session, "UTC"))[0] == D("3.30")
    # charging 1/h and parking 2/h, step 600: 21 min charging stays 21 (0.35), 16 min parking
    # -> 20 min (0.666...) -> 1.016666... -> 1.0167
    both = tariff(element(comp("TIME", 1, 600), comp("PARKING_TIME", 2, 600)))
    session = cdr(
        "2026-01-05T10:00", [(0, {"TIME": hours(21)}), (21, {"PARKING_TIME": hours(16)})], 37
    )
    assert total(price_cdr(both, session, "UTC"))[0] == D("1.0167")


# --- Durations: whole seconds, not 4-decimal hours (issue 18, item 1) ------------------------


@pytest.mark.parametrize("kind", ["TIME", "PARKING_TIME"])
@pytest.mark.parametrize("minutes", [10, 40, 70])
@pytest.mark.parametrize("step", [60, 300, 900])
def test_four_decimal_hours_just_above_a_step_boundary_bill_the_exact_steps(kind, minutes, step):
    # 10, 40, 70 min are 0.1667, 0.6667, 1.1667 h in a CDR: 0.12 s above the exact duration.
    # Read as whole seconds they bill ceil(minutes x 60 / step) steps, not one more.
    volume = (D(minutes) / 60).quantize(D("0.0001"))
    session = cdr("2026-01-05T10:00", [(0, {kind: volume})], minutes)
    result = price_cdr(tariff(element(comp(kind, "1.80", step))), session, "UTC")
    steps = -(-minutes * 60 // step)  # ceil
    expected = (D(steps * step) * D("1.80") / 3600).quantize(D("0.0001"))
    assert total(result)[0] == expected
    assert sum(line["seconds"] for line in result.breakdown()) == steps * step


def test_ten_minutes_of_parking_at_1_80_per_hour_step_300_cost_0_30():
    # The audit's case: 0.1667 h was 600.12 s, 3 steps of 300 s = 0.45; 600 s is 2 steps.
    session = cdr(
        "2026-01-05T10:00",
        [(0, {"ENERGY": 5, "TIME": 1}), (60, {"PARKING_TIME": D("0.1667")})],
        70,
    )
    both = tariff(element(comp("ENERGY", "0.30"), comp("PARKING_TIME", "1.80", 300)))
    assert costs(price_cdr(both, session, "UTC"))["total_parking_cost"] == (D("0.3000"), None)


@pytest.mark.parametrize(
    ("hours", "seconds"),
    [("0.0001", 0), ("0.00014", 1), ("0.0003", 1), ("0.1667", 600), ("1.973", 7103)],
)
def test_an_hours_volume_is_read_as_the_nearest_whole_second(hours, seconds):
    session = cdr("2026-01-05T10:00", [(0, {"TIME": hours})], 120)
    result = price_cdr(tariff(element(comp("TIME", 3600))), session, "UTC")
    assert total(result)[0] == seconds  # 3600 per hour: one per second


# --- Rules, in the Location's local time ------------------------------------------------------

NIGHT_AND_DAY = tariff(
    element(comp("ENERGY", "0.20"), start_time="22:00", end_time="06:00"),
    element(comp("ENERGY", "0.30")),
)


@pytest.mark.parametrize(
    ("start", "minutes", "kwh", "expected"),
    [
        # 21:15-22:15 Paris (20:15Z): 45 of 60 min by day: 7.5 x 0.30 + 2.5 x 0.20 = 2.75
        ("2026-01-05T20:15", 60, 10, "2.75"),
        # 05:00-06:30 Paris (04:00Z): 60 of 90 min by night: 6 x 0.20 + 3 x 0.30 = 2.10
        ("2026-01-06T04:00", 90, 9, "2.10"),
        # 23:00-01:00 Paris: all inside the window that wraps over midnight: 4 x 0.20 = 0.80
        ("2026-01-05T22:00", 120, 4, "0.80"),
    ],
)
def test_time_window_in_local_time_wraps_over_midnight(start, minutes, kwh, expected):
    session = cdr(start, [(0, {"ENERGY": kwh})], minutes)
    assert total(price_cdr(NIGHT_AND_DAY, session, "Europe/Paris"))[0] == D(expected)


def test_local_time_that_happens_twice_at_the_autumn_dst_change_is_priced_twice():
    # 2026-10-25 Paris: 03:00 CEST -> 02:00 CET at 01:00Z, so 02:00-03:00 local lasts 2 hours
    # (00:00Z-02:00Z). A 3 h session 23:30Z-02:30Z: 2 h in the window x 1.00 = 2.00
    night = tariff(element(comp("TIME", 1), start_time="02:00", end_time="03:00"))
    session = cdr("2026-10-24T23:30", [(0, {"TIME": 3})], 180)
    assert total(price_cdr(night, session, "Europe/Paris"))[0] == D("2.00")


def test_day_of_week_and_dates_are_local():
    # Sunday 22:30Z-23:30Z = Sunday 23:30 - Monday 00:30 in Paris: 30 min of Monday x 1.00
    monday = tariff(element(comp("TIME", 1), day_of_week=["MONDAY"]))
    session = cdr("2026-01-04T22:30", [(0, {"TIME": 1})], 60)
    assert total(price_cdr(monday, session, "Europe/Paris"))[0] == D("0.50")
    # end_date exclusive: 10 Jan only. 23:00 (Paris) 10 Jan - 00:30 11 Jan, 3 kWh evenly:
    # 60/90 -> 2 kWh x 0.10 + 1 kWh x 0.30 = 0.50
    promo = tariff(
        element(comp("ENERGY", "0.10"), start_date="2026-01-10", end_date="2026-01-11"),
        element(comp("ENERGY", "0.30")),
    )
    session = cdr("2026-01-10T22:00", [(0, {"ENERGY": 3})], 90)
    assert total(price_cdr(promo, session, "Europe/Paris"))[0] == D("0.50")


def test_kwh_tiers_split_a_period_where_the_threshold_is_reached():
    # first 10 kWh at 0.50 (max_kwh exclusive), then 0.30: 6 x 0.50; then 4 x 0.50 + 5 x 0.30
    tiers = tariff(element(comp("ENERGY", "0.50"), max_kwh=10), element(comp("ENERGY", "0.30")))
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 6}), (30, {"ENERGY": 9})], 60)
    result = price_cdr(tiers, session, "UTC")
    assert total(result)[0] == D("6.50")  # 3.00 + 2.00 + 1.50
    assert [(line["period"], line["element"], line["volume"]) for line in result.breakdown()] == [
        (0, 0, 6),
        (1, 0, 4),
        (1, 1, 5),
    ]


def test_min_duration_prices_time_after_two_hours_only():
    # TIME 3.00/h from 2 h on (min_duration inclusive); periods 0-90 and 90-150 min:
    # the second is split at 120 min: 30 min x 3.00 = 1.50
    after_two_hours = tariff(element(comp("TIME", 3, 60), min_duration=7200))
    session = cdr("2026-01-05T10:00", [(0, {"TIME": "1.5"}), (90, {"TIME": 1})], 150)
    assert total(price_cdr(after_two_hours, session, "UTC"))[0] == D("1.50")


def test_current_restrictions_need_the_period_to_report_its_current():
    # 2.00/h while the minimum current stays >= 32 A, else 1.00/h; a period without current
    # dimensions cannot prove it: 1 h at 40 A -> 2.00, 1 h at 20 A -> 1.00, 1 h unknown -> 1.00
    fast = tariff(element(comp("TIME", 2), min_current=32), element(comp("TIME", 1)))
    session = cdr(
        "2026-01-05T10:00",
        [
            (0, {"TIME": 1, "MIN_CURRENT": 40}),
            (60, {"TIME": 1, "MIN_CURRENT": 20}),
            (120, {"TIME": 1}),
        ],
        180,
    )
    assert total(price_cdr(fast, session, "UTC"))[0] == D("4.00")


def test_flat_is_billed_once_by_the_element_matching_at_the_start():
    # night start fee 1.00 from 18:00, else 0.50; the session starts 17:30: 0.50, once
    fees = tariff(
        element(comp("FLAT", 1), start_time="18:00", end_time="06:00"),
        element(comp("FLAT", "0.50")),
    )
    session = cdr("2026-01-05T17:30", [(0, {"TIME": "0.5"}), (30, {"TIME": "0.5"})], 60)
    result = price_cdr(fees, session, "UTC")
    # (no vat on these FLATs: incl_vat unknown)
    assert costs(result) == {"total_cost": (D("0.50"), None), "total_fixed_cost": (D("0.5"), None)}


def test_incl_vat_only_when_every_priced_component_has_vat():
    mixed = tariff(element(comp("TIME", 2, vat=20), comp("ENERGY", "0.25")))
    session = cdr("2026-01-05T10:00", [(0, {"TIME": 1, "ENERGY": 10})], 60)
    result = costs(price_cdr(mixed, session, "UTC"))
    assert result["total_time_cost"] == (D("2.00"), D("2.40"))
    assert result["total_energy_cost"] == (D("2.50"), None)
    assert result["total_cost"] == (D("4.50"), None)


def test_min_price_without_incl_vat_leaves_incl_vat_unknown():
    # 1 kWh x 0.25 = 0.25 (0.30 incl) < min 1.00 excl: incl of the minimum is not given
    minimum = tariff(element(comp("ENERGY", "0.25", vat=20)), min_price={"excl_vat": 1})
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 1})], 60)
    result = price_cdr(minimum, session, "UTC")
    assert total(result) == (D("1.00"), None)
    assert result.min_price_applied


def test_outputs_round_half_up_to_four_decimals():
    # 1 Wh x 0.25/kWh = 0.00025 -> 0.0003 (half up; banker's rounding would give 0.0002)
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": "0.001"})], 1)
    result = price_cdr(tariff(element(comp("ENERGY", "0.25"))), session, "UTC")
    assert total(result)[0] == D("0.0003")
    assert result.lines[0].excl_vat == D("0.00025")  # full precision kept in the lines


# --- VAT on the rounded amount, per price component (issue 18, item 2) ---------------------


def test_vat_is_computed_on_the_rounded_excl_amount():
    # 10 kWh x 3.331245 = 33.31245 -> 33.3125 excl; 20 % VAT on 33.3125 = 39.9750 incl
    # (on the unrounded amount it was 39.97494 -> 39.9749)
    energy = tariff(element(comp("ENERGY", "3.331245", vat=20)))
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 10})], 60)
    result = price_cdr(energy, session, "UTC")
    assert total(result) == (D("33.3125"), D("39.9750"))
    assert costs(result)["total_energy_cost"] == (D("33.3125"), D("39.9750"))


def test_vat_per_price_component_then_summed():
    # day energy 10 kWh x 0.30 = 3.0000, VAT 20 % -> 3.6000;
    # night energy 5 kWh x 0.22333 = 1.11665 -> 1.1167, VAT 5.5 % = 0.06141... -> 1.1781;
    # parking 30 min x 1.80 = 0.90, VAT 10 % -> 0.99. Each rounded, then summed.
    priced = tariff(
        element(comp("ENERGY", "0.22333", vat="5.5"), start_time="22:00", end_time="06:00"),
        element(comp("ENERGY", "0.30", vat=20), comp("PARKING_TIME", "1.80", vat=10)),
    )
    session = cdr(
        "2026-01-05T21:00",
        [(0, {"ENERGY": 10}), (60, {"ENERGY": 5}), (120, {"PARKING_TIME": "0.5"})],
        150,
    )
    result = price_cdr(priced, session, "UTC")
    assert [
        (line["element"], line["excl_vat"], line["vat_amount"], line["incl_vat"])
        for line in result.vat_breakdown()
    ] == [
        (1, D("3.0000"), D("0.6000"), D("3.6000")),
        (0, D("1.1167"), D("0.0614"), D("1.1781")),
        (1, D("0.9000"), D("0.0900"), D("0.9900")),
    ]
    assert costs(result)["total_energy_cost"] == (D("4.1167"), D("4.7781"))
    assert total(result) == (D("5.0167"), D("5.7681"))


def test_float_json_numbers_are_read_exactly():
    # 3 x 0.1 as floats is 0.30000000000000004; read via str: 0.3 exactly
    floats = {
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.1, "step_size": 1}]}],
    }
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 3})], 60)
    session["charging_periods"][0]["dimensions"][0]["volume"] = 3.0
    assert price_cdr(floats, session, "UTC").total_cost.excl_vat == D("0.3")


# --- ChargingPeriod.tariff_id (issue 9) -------------------------------------------------------


def named(session: dict, *tariff_ids) -> dict:
    """The session with each period's tariff_id set (None: the field left out)."""
    for period, tariff_id in zip(session["charging_periods"], tariff_ids, strict=True):
        if tariff_id is not None:
            period["tariff_id"] = tariff_id
    return session


FEE_AND_TIERS = tariff(
    element(comp("FLAT", 1)),
    element(comp("ENERGY", "0.50"), max_kwh=10),
    element(comp("ENERGY", "0.25")),
)


def test_cdr_whose_periods_name_no_tariff_is_priced_whole():
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 10}), (30, {"ENERGY": 10})], 60)
    # 1.00 + 10 x 0.50 + 10 x 0.25
    assert total(price_cdr(FEE_AND_TIERS, session, "UTC"))[0] == D("8.50")


def test_periods_without_tariff_id_are_free_when_others_name_the_tariff():
    # OCPI 2.2.1 mod_cdrs ChargingPeriod.tariff_id: "If not provided, no Tariff is relevant
    # during this period." Period 0 is free; its 10 kWh still count for max_kwh, so period 1's
    # 10 kWh are at 0.25; the start fee goes with the first priced period (t1 = T1, CiString).
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 10}), (30, {"ENERGY": 10})], 60)
    result = price_cdr(FEE_AND_TIERS, named(session, None, "t1"), "UTC")
    assert total(result)[0] == D("3.50")  # 1.00 + 10 x 0.25
    assert {line["period"] for line in result.breakdown()} == {1}


def test_period_naming_another_tariff_is_refused():
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 10}), (30, {"ENERGY": 10})], 60)
    with pytest.raises(PricingError, match=r"^charging_periods\[1\]\.tariff_id: names tariff T2"):
        price_cdr(FEE_AND_TIERS, named(session, "T1", "T2"), "UTC")


# --- Bounds and the Decimal context (issue 9) ----------------------------------------------------


def test_largest_in_bound_numbers_price_without_decimal_errors_in_any_caller_context():
    # 10,000 periods of just under 1e12 kWh at just under 1e12/kWh, VAT just under 1e12 %:
    # every amount at the edge of the bounds (numbers.py). Before: InvalidOperation from the
    # step_size quantize once the session's energy passed 1e16 kWh.
    top = D("999999999999.9999")
    periods = [(minute, {"ENERGY": top}) for minute in range(10_000)]
    session = cdr("2026-01-05T00:00", periods, 10_000)
    big = tariff(element(comp("ENERGY", top, step_size=1, vat=top)))
    with localcontext() as exact:
        exact.prec = 100
        excl = 10_000 * top * top  # 1 Wh steps: the total is already whole Wh
        incl = excl * (1 + top / 100)
    # A caller's own context (few digits, Inexact trapped) changes nothing inside the engine.
    with localcontext(Context(prec=6, traps=[Inexact])):
        result = price_cdr(big, session, "UTC")
        fields = result.cost_fields()
    # 28 significant digits per operation (numbers.ENGINE), 10,000 additions: within 1e-22.
    assert abs(result.total_cost.excl_vat - excl) <= excl * D("1e-22")
    assert abs(result.total_cost.incl_vat - incl) <= incl * D("1e-22")
    assert fields["total_cost"]["excl_vat"] == round_money(result.total_cost.excl_vat)


# --- Validation: errors name the field --------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t["elements"][1]["price_components"][0].update(step_size=0),
            "elements[1].price_components[0].step_size: must be a positive integer, not 0",
        ),
        (
            lambda t: t["elements"][0]["restrictions"].update(start_time="24:00"),
            "elements[0].restrictions.start_time: must be a time of day as HH:MM (24h), not '24:"
            "00'",
        ),
        (
            lambda t: t["elements"][0]["restrictions"].update(day_of_week=["MON"]),
            "elements[0].restrictions.day_of_week[0]: 'MON' is not a DayOfWeek",
        ),
        (
            lambda t: t["elements"][0]["price_components"][0].update(price="0.20"),
            "elements[0].price_components[0].price: must be a number, not a string",
        ),
        (
            lambda t: t["elements"][0]["price_components"][0].update(type="KWH"),
            "elements[0].price_components[0].type: 'KWH' is not a TariffDimensionType",
        ),
        (
            lambda t: t["elements"][0]["restrictions"].update(reservation="RESERVATION"),
            "elements[0].price_components[0].type: a reservation element can only price FLAT",
        ),
        (lambda t: t.pop("currency"), "currency: must be an ISO 4217 code"),
        (lambda t: t.update(elements=[]), "elements: must be a non-empty list"),
        (
            lambda t: t.update(min_price={"incl_vat": 1}),
            "min_price.excl_vat: is required",
        ),
    ],
)
def test_invalid_tariffs_name_the_field(change, message):
    data = json.loads(json.dumps(NIGHT_AND_DAY, default=str), parse_float=Decimal)
    for component in (c for e in data["elements"] for c in e["price_components"]):
        component["price"] = D(component["price"])
    change(data)
    with pytest.raises(PricingError) as error:
        compile_tariff(data)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c["charging_periods"][1].update(start_date_time="2026-01-05T09:00:00Z"),
            "charging_periods[1].start_date_time: is outside the session",
        ),
        (
            lambda c: c["charging_periods"][0]["dimensions"][0].update(volume=D(-1)),
            "charging_periods[0].dimensions[0].volume: a ENERGY volume must not be negative",
        ),
        (
            lambda c: c["charging_periods"][0]["dimensions"].append(
                {"type": "ENERGY", "volume": 1}
            ),
            "charging_periods[0].dimensions[1].type: ENERGY appears twice",
        ),
        (
            lambda c: c["charging_periods"][1]["dimensions"][0].pop("volume"),
            "charging_periods[1].dimensions[0].volume: is required",
        ),
        (
            lambda c: c.update(end_date_time="2026-01-05 11:00"),
            "end_date_time: '2026-01-05 11:00' is not an OCPI DateTime",
        ),
        (lambda c: c.update(charging_periods=[]), "charging_periods: must be a non-empty list"),
        # issue 9: these ended in TypeError / decimal.InvalidOperation tracebacks
        (
            lambda c: c["charging_periods"][0]["dimensions"][0].update(type=["ENERGY"]),
            "charging_periods[0].dimensions[0].type: a list is not a CdrDimensionType",
        ),
        (
            lambda c: c["charging_periods"][0]["dimensions"][0].update(volume=D("NaN")),
            "charging_periods[0].dimensions[0].volume: must be a finite number",
        ),
        (
            lambda c: c["charging_periods"][1].update(tariff_id=7),
            "charging_periods[1].tariff_id: must be a string, not 7",
        ),
    ],
)
def test_invalid_sessions_name_the_field(change, message):
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 2}), (30, {"ENERGY": 2})], 60)
    change(session)
    with pytest.raises(PricingError) as error:
        price_cdr(NIGHT_AND_DAY, session, "UTC")
    assert str(error.value).startswith(message)


def test_unknown_time_zone_is_refused():
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 2})], 60)
    with pytest.raises(PricingError, match="^time_zone: 'Europe/Pariss' is not an IANA"):
        price_cdr(NIGHT_AND_DAY, session, "Europe/Pariss")


# --- Per-eMSP descriptions (Gireve §3.10.4) ---------------------------------------------------

DESCRIPTIONS = [
    {
        **tariff(element(comp("TIME", "0.50"))),
        "id": "tariff_A",
        "target_operator_country_code": "DE",
        "target_operator_party_id": "MP1",
    },
    {
        **tariff(element(comp("ENERGY", "0.10"))),
        "id": "tariff_A",
        "target_operator_country_code": "NL",
        "target_operator_party_id": "MP2",
    },
    {**tariff(element(comp("TIME", "0.80"))), "id": "tariff_A"},
    {**tariff(element(comp("TIME", 9))), "id": "tariff_B"},
]


@pytest.mark.parametrize(
    ("emsp", "expected"),
    [("NL*MP2", 1), ("de*mp1", 0), ("FR*XYZ", 2), (None, 2)],
)
def test_emsp_gets_its_own_description_else_the_default(emsp, expected):
    assert select_tariff_for_emsp(DESCRIPTIONS, "TARIFF_A", emsp) is DESCRIPTIONS[expected]


def test_emsp_selection_refuses_half_targets_and_missing_defaults():
    half = [{**DESCRIPTIONS[2], "target_operator_party_id": "MP3"}]
    with pytest.raises(PricingError, match=r"^\[0\]\.target_operator_country_code: must be set"):
        select_tariff_for_emsp(half, "tariff_A", "FR*XYZ")
    with pytest.raises(PricingError, match="no description for eMSP FR.XYZ and no default"):
        select_tariff_for_emsp(DESCRIPTIONS[:2], "tariff_A", "FR*XYZ")
    # issue 9: a number there ended in AttributeError
    numeric = [{**DESCRIPTIONS[2], "target_operator_party_id": 5}]
    with pytest.raises(PricingError, match=r"^\[0\]\.target_operator_party_id: must be a string"):
        select_tariff_for_emsp(numeric, "tariff_A", "FR*XYZ")


# --- Compiled once per tariff version (issue 21, item 5) --------------------------------------


def test_a_tariff_is_compiled_once_per_content_and_a_new_version_is_compiled_again():
    from tariffs.pricing import cache, compile_tariff_once

    cache.clear()
    first = tariff(element(comp("ENERGY", "0.25")), last_updated="2026-01-01T00:00:00Z")
    compiled = compile_tariff_once(first)
    assert compile_tariff_once(json.loads(json.dumps(first, default=str))) is compiled
    changed = {**first, "elements": [element(comp("ENERGY", "0.30"))]}
    assert compile_tariff_once(changed) is not compiled
    session = cdr("2026-01-05T10:00", [(0, {"ENERGY": 10})], 60)
    assert total(price_cdr(first, session, "UTC"))[0] == D("2.50")
    assert total(price_cdr(changed, session, "UTC"))[0] == D("3.00")
    refused = {**first, "currency": "EURO"}
    for _ in range(2):  # a refused tariff is not kept: refused again, with the field named
        with pytest.raises(PricingError, match="currency"):
            compile_tariff_once(refused)
