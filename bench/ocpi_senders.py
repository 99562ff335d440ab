"""Benchmark: GET /ocpi/2.2.1/locations pages (100 locations, 300 EVSEs) behind gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpo_x .venv/bin/python bench/ocpi_senders.py \
        [--locations 20000] [--pages 200] [--workers 1]

Works on its own PostgreSQL database, `<DATABASE_URL's name>_bench_senders` (created and
migrated if missing, its locations replaced): N published locations of 3 EVSEs with one
connector each, written with bulk_create, then VACUUM ANALYZE (what autovacuum does after a
bulk load; without statistics PostgreSQL plans badly). Starts gunicorn on a loopback port against it
(rate limit off), fetches pages at random offsets one after another, and prints p50/p99.
Baselines, measured in the same run: GET /ocpi/versions through the same stack (the fixed
cost of an OCPI request: authentication, envelope, message log), and json.dumps of the same
page's data in this process (the least any server does to send it). Queries per page are
counted in this process with Django's test client, at the first and at the last page.
"""

import argparse
import base64
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "bench-senders-token"


def bench_database_url() -> str:
    parts = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cpo"))
    name = parts.path.strip("/") + "_bench_senders"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def setup_django(database_url: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        OCPI_RATE_LIMIT="0",
        ALLOWED_HOSTS="127.0.0.1,testserver",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def make_network(count: int) -> None:
    """`count` published, Gireve-complete locations of 3 EVSEs, one connector each."""
    from django.utils import timezone

    from locations import enums
    from locations.models import EVSE, Connector, Location
    from roaming.models import MessageLog, Operator, Platform

    MessageLog.objects.all().delete()
    if Location.objects.count() == count and Connector.objects.count() == 3 * count:
        return  # the network of an earlier run
    Connector.objects.all().delete()
    EVSE.objects.all().delete()
    Location.objects.all().delete()
    Platform.objects.all().delete()
    operator, _ = Operator.objects.get_or_create(
        country_code="FR", party_id="AB1", defaults={"name": "Bench network"}
    )
    platform = Platform(name="Bench hub", status=Platform.Status.CONNECTED)
    platform.roles = [
        {"role": "HUB", "country_code": "FR", "party_id": "107", "business_details": {"name": "x"}}
    ]
    platform.set_incoming_token(TOKEN, registration=False)
    platform.save()
    now = timezone.now()
    locations = Location.objects.bulk_create(
        [
            Location(
                operator=operator,
                ocpi_id=f"LOC{n:06d}",
                name=f"Parking {n}",
                address=f"{n} Rue de Rivoli",
                city="Paris",
                postal_code="75001",
                country="FRA",
                latitude="48.856614",
                longitude="2.352222",
                parking_type=enums.ParkingType.ON_STREET,
                time_zone="Europe/Paris",
                owner={"name": "Ville de Paris"},
                facilities=["SUPERMARKET"],
                opening_times={"twentyfourseven": True},
                last_updated=now,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    evses = EVSE.objects.bulk_create(
        [
            EVSE(
                location=location,
                uid=f"{location.ocpi_id}-{k}",
                evse_id=f"FR*AB1*E{location.ocpi_id}{k}",
                status=enums.Status.AVAILABLE,
                capabilities=["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
                tariff_ids=["AC_STANDARD"],
                physical_reference=str(k),
                last_updated=now,
            )
            for location in locations
            for k in range(3)
        ],
        batch_size=5000,
    )
    Connector.objects.bulk_create(
        [
            Connector(
                evse=evse,
                ocpi_id="1",
                standard=enums.ConnectorType.IEC_62196_T2,
                format=enums.ConnectorFormat.SOCKET,
                power_type=enums.PowerType.AC_3_PHASE,
                max_voltage=230,
                max_amperage=32,
                max_electric_power=22000,
                last_updated=now,
            )
            for evse in evses
        ],
        batch_size=5000,
    )


HEADERS = {
    "Authorization": "Token " + base64.b64encode(TOKEN.encode()).decode(),
    "OCPI-to-country-code": "FR",
    "OCPI-to-party-id": "AB1",
    "OCPI-from-country-code": "FR",
    "OCPI-from-party-id": "107",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=os.environ | {"DEBUG": "0"},
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=10)
            return server
        except requests.RequestException:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not start")


def timed(url: str, runs: int, offsets: list[int] | None = None) -> list[float]:
    durations = []
    for run in range(runs):
        target = f"{url}?offset={offsets[run]}&limit=100" if offsets else url
        started = time.perf_counter()
        response = requests.get(target, headers=HEADERS, timeout=30)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:500]
    return durations


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * share))]


def queries_per_page(offset: int) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in HEADERS.items()}
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(f"/ocpi/2.2.1/locations?offset={offset}&limit=100", **headers)
    assert len(response.json()["data"]) == 100
    return len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=20000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    setup_django(bench_database_url())
    started = time.perf_counter()
    make_network(args.locations)
    from django.db import connection

    with connection.cursor() as cursor:  # what autovacuum does after a bulk load
        cursor.execute("VACUUM ANALYZE")
    print(
        f"{args.locations} locations, {3 * args.locations} EVSEs written in "
        f"{time.perf_counter() - started:.1f} s"
    )
    port = free_port()
    server = start_gunicorn(port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}/ocpi"
        timed(f"{base}/2.2.1/locations", 5, [0] * 5)  # warm-up
        rng = random.Random(1)
        offsets = [rng.randrange(0, args.locations - 100) for _ in range(args.pages)]
        pages = timed(f"{base}/2.2.1/locations", args.pages, offsets)
        versions = timed(f"{base}/versions", args.pages)
        page = requests.get(
            f"{base}/2.2.1/locations?offset=0&limit=100", headers=HEADERS, timeout=30
        )
    finally:
        server.terminate()
        server.wait()

    data = json.loads(page.content)["data"]
    runs = 50
    started = time.perf_counter()
    for _ in range(runs):
        json.dumps(data)
    dumps_ms = (time.perf_counter() - started) * 1000 / runs
    p50, p99 = statistics.median(pages), percentile(pages, 0.99)
    print(f"page of 100 locations / 300 EVSEs ({len(page.content)} bytes), {args.pages} pages")
    print(f"  p50 {p50:.1f} ms   p99 {p99:.1f} ms   (gunicorn, {args.workers} sync worker)")
    print(f"baseline GET /ocpi/versions: p50 {statistics.median(versions):.1f} ms")
    print(
        f"baseline json.dumps of the page's data: {dumps_ms:.2f} ms (page p50 = "
        f"{p50 / dumps_ms:.0f}x)"
    )
    first, last = queries_per_page(0), queries_per_page(args.locations - 100)
    print(f"queries per page: {first} (first page), {last} (last page)")


if __name__ == "__main__":
    main()
