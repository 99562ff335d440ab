"""Benchmark: the finance UI on a million CDRs in PostgreSQL (issue 15).

    .venv/bin/python manage.py demo_data --charging          # a priced CDR to copy
    .venv/bin/python manage.py generate_finance_cdrs         # 1,000,000 CDRs, bulk SQL
    .venv/bin/python bench/finance.py [--runs 15] [--export-rows 100000] [--no-export]

Every figure is a whole request through Django (view, SQL, template) with the test client,
as a logged-in superuser, on the database of DATABASE_URL:
- the CDR list filtered as finance filters it (p50, p90 over --runs requests each);
- a month's statement for one eMSP (p50);
- the XLSX (and CSV) export of about --export-rows CDRs: wall time and the growth of the
  process's peak RSS while it runs (memory must stay bounded: rows are streamed).
Aims: list p50 < 200 ms, statement < 1 s, XLSX of 100k < 60 s.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402

from sessions.finance import selectors  # noqa: E402
from sessions.finance.filters import CdrFilterForm  # noqa: E402
from sessions.models import Cdr  # noqa: E402

LISTS = {
    "eMSP + month": "emsp=FR*MOB&start=2026-03-01&end=2026-03-31",
    "contract id prefix": "q=DE-EVP-C000123",
    "CDR id prefix": "q=BENCH-00050",
    "amount range + month": "start=2026-02-01&end=2026-02-28&min_amount=15&max_amount=16",
    "tariff + eMSP + quarter, by amount": (
        "tariff=AC_22KW&emsp=NL*EMP&start=2026-01-01&end=2026-03-31&sort=-amount"
    ),
    "held CDRs": "kind=held",
    "one day, page 3": "start=2026-05-12&end=2026-05-12&page=3",
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(client: Client, url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.get(url)
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (url, answer.status_code, body[:300])
    return times


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--no-export", action="store_true", help="Pages only.")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]

    total = Cdr.objects.count()
    print(f"CDRs in the table: {total:,}  (load average {os.getloadavg()[0]:.1f})")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-finance", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)

    print(f"\nCDR list (whole page: filters, totals per currency, 50 rows), {args.runs} runs:")
    print(f"{'filter':40} {'rows':>8} {'p50 ms':>8} {'p90 ms':>8}")
    medians = []
    for name, query in LISTS.items():
        url = f"/finance/cdrs/?{query}"
        rows = CdrFilterForm(QueryDict(query)).filter_qs(Cdr.objects.all()).count()
        client.get(url)  # warm
        times = timed(client, url, args.runs)
        medians.append(statistics.median(times))
        print(f"{name:40} {rows:>8,} {statistics.median(times):>8.0f} {p(times, 90):>8.0f}")
    print(f"{'median of the filters above':40} {'':>8} {statistics.median(medians):>8.0f}")

    url = "/finance/statements/?emsp=FR*MOB&month=2026-03"
    count = selectors.for_emsp(
        selectors.in_period(Cdr.objects.all(), *_month(2026, 3)), "FR*MOB"
    ).count()
    times = timed(client, url, max(args.runs // 3, 3))
    print(
        f"\nStatement FR*MOB March 2026 ({count:,} CDRs, totals, previous month, daily charts, "
        f"first page): p50 {statistics.median(times):.0f} ms, max {max(times):.0f} ms"
    )

    if args.no_export:
        return
    days = _days_for(args.export_rows)
    query = f"emsp=FR*MOB&start=2024-11-01&end={days}"
    rows = Cdr.objects.filter(emsp_country_code="FR", emsp_party_id="MOB").count()
    for fmt in ("xlsx", "csv"):
        before = peak_rss_mb()
        start = time.perf_counter()
        answer = client.get(f"/finance/cdrs/export.{fmt}?{query}")
        size = 0
        for chunk in answer.streaming_content:
            size += len(chunk)
        seconds = time.perf_counter() - start
        print(
            f"\nExport {fmt.upper()} of FR*MOB until {days} (~{args.export_rows:,} of its {rows:,} "
            f"CDRs): {seconds:.1f} s, {size / 1e6:.1f} MB, peak RSS {before:.0f} → "
            f"{peak_rss_mb():.0f} MB"
        )


def _month(year: int, month: int):
    import datetime as dt

    first = dt.date(year, month, 1)
    return first, (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
        days=1
    )


def _days_for(rows: int) -> str:
    """The end date at which FR*MOB has about `rows` CDRs since 2024-11-01 (one query)."""
    start = (
        Cdr.objects.filter(emsp_country_code="FR", emsp_party_id="MOB")
        .order_by("start_date_time")
        .values_list("start_date_time", flat=True)[rows - 1 : rows]
    )
    moment = next(iter(start), None)
    return (moment.astimezone(selectors.FINANCE_ZONE).date() if moment else "2026-12-31").__str__()


if __name__ == "__main__":
    main()
