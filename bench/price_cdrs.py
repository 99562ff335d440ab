"""Benchmark: CDRs priced per second on one core by tariffs.pricing, against a baseline.

    .venv/bin/python bench/price_cdrs.py [--cdrs 20000] [--profile]

A realistic tariff (day/night energy, time after 2 h, parking by day, a FLAT start fee,
min_price, VAT per component) compiled once; CDRs of 10 charging periods each, already read
as JSON (Decimal numbers). Baseline, measured in the same run: json.loads of the same CDRs
(the least any pricing service does per CDR); every row prints its time as a multiple of
that baseline (issue 21 aims at pricing <= 3x json.loads). No Django needed.
"""

import argparse
import datetime as dt
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tariffs.pricing import (  # noqa: E402
    cache,
    compile_tariff,
    compile_tariff_once,
    get_zone,
    price_cdr,
)

TARIFF = {
    "country_code": "FR",
    "party_id": "AB1",
    "id": "BENCH-1",
    "currency": "EUR",
    "min_price": {"excl_vat": 1.00, "incl_vat": 1.20},
    "elements": [
        {"price_components": [{"type": "FLAT", "price": 0.50, "vat": 20.0, "step_size": 1}]},
        {
            "price_components": [{"type": "ENERGY", "price": 0.25, "vat": 20.0, "step_size": 1}],
            "restrictions": {"start_time": "22:00", "end_time": "06:00"},
        },
        {"price_components": [{"type": "ENERGY", "price": 0.40, "vat": 20.0, "step_size": 1}]},
        {
            "price_components": [{"type": "TIME", "price": 3.00, "vat": 20.0, "step_size": 60}],
            "restrictions": {"min_duration": 7200},
        },
        {
            "price_components": [
                {"type": "PARKING_TIME", "price": 6.00, "vat": 10.0, "step_size": 300}
            ],
            "restrictions": {
                "start_time": "08:00",
                "end_time": "20:00",
                "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
            },
        },
    ],
    "last_updated": "2026-01-01T00:00:00Z",
}


def make_cdr(rng: random.Random) -> dict:
    """10 periods: 8 charging periods of 10-40 min at 3-22 kW, then 2 parking periods."""
    moment = dt.datetime(2026, 3, 2, tzinfo=dt.UTC) + dt.timedelta(
        minutes=rng.randrange(0, 7 * 1440)
    )
    start = moment
    periods = []
    for i in range(10):
        minutes = rng.randrange(10, 41)
        hours = Decimal(minutes) / 60
        if i < 8:
            power = Decimal(rng.randrange(30, 221)) / 10
            dimensions = [
                {"type": "ENERGY", "volume": (power * hours).quantize(Decimal("0.001"))},
                {"type": "TIME", "volume": hours.quantize(Decimal("0.000001"))},
                {"type": "MAX_POWER", "volume": power},
            ]
        else:
            dimensions = [{"type": "PARKING_TIME", "volume": hours.quantize(Decimal("0.000001"))}]
        periods.append({"start_date_time": _ocpi(moment), "dimensions": dimensions})
        moment += dt.timedelta(minutes=minutes)
    return {
        "id": f"CDR-{rng.randrange(10**9)}",
        "currency": "EUR",
        "start_date_time": _ocpi(start),
        "end_date_time": _ocpi(moment),
        "charging_periods": periods,
    }


def _ocpi(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdrs", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each loop; best kept")
    parser.add_argument("--profile", action="store_true", help="cProfile the pricing loop")
    args = parser.parse_args()
    rng = random.Random(42)
    texts = [json.dumps(make_cdr(rng), default=str) for _ in range(args.cdrs)]
    cdrs = [json.loads(text, parse_float=Decimal) for text in texts]
    for cdr in cdrs:  # volumes went through default=str: back to numbers
        for period in cdr["charging_periods"]:
            for dimension in period["dimensions"]:
                dimension["volume"] = Decimal(dimension["volume"])
    texts = [json.dumps(cdr, default=float) for cdr in cdrs]
    tariff = compile_tariff(json.loads(json.dumps(TARIFF), parse_float=Decimal))
    zone = get_zone("Europe/Paris")

    def parse_json():
        for text in texts:
            json.loads(text, parse_float=Decimal)

    def price_compiled():
        for cdr in cdrs:
            price_cdr(tariff, cdr, zone).cost_fields()

    few = cdrs[:2000]

    def price_uncompiled():
        for cdr in few:
            price_cdr(compile_tariff(TARIFF), cdr, "Europe/Paris").cost_fields()

    def price_cached():
        # What the platform does: the session's tariff dict, compiled once per version
        for cdr in few:
            price_cdr(compile_tariff_once(TARIFF), cdr, "Europe/Paris").cost_fields()

    cache.clear()

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(price_compiled)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)

    # CPU time of this process (one core), best of --repeat runs, baseline in the same run
    baseline = best(parse_json, args.repeat) / len(texts)
    priced = best(price_compiled, args.repeat) / len(cdrs)
    uncompiled = best(price_uncompiled, args.repeat) / len(few)
    cached = best(price_cached, args.repeat) / len(few)
    total = sum(price_cdr(tariff, cdr, zone).total_cost.excl_vat for cdr in cdrs)
    print(f"{len(cdrs)} CDRs of 10 charging periods, tariff of 5 elements, one core (CPU time)")
    print(f"{'':40} {'CDRs/s':>9}  {'µs/CDR':>8}  {'x json.loads':>12}")
    for label, seconds in [
        ("pricing, tariff compiled once", priced),
        ("pricing, tariff dict (compiled, cached)", cached),
        ("pricing, tariff compiled per CDR", uncompiled),
        ("baseline: json.loads of the CDR", baseline),
    ]:
        print(f"{label:40} {1 / seconds:9,.0f}  {seconds * 1e6:8.1f}  {seconds / baseline:11.2f}x")
    print(f"pricing / json.loads (aim <= 3x): {priced / baseline:.2f}x")
    print(f"sum of total_cost excl_vat: {total} EUR (average {total / len(cdrs):.4f})")


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        function()
        times.append(time.process_time() - started)
    return min(times)


if __name__ == "__main__":
    main()
