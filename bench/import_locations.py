"""Benchmark: import_locations of a national network on PostgreSQL, all or nothing, pushes queued.

    .venv/bin/python bench/import_locations.py [--locations 10000] [--evses 3] [--connectors 2]

Its own PostgreSQL database (cpo_bench_io, created and migrated here); nothing reaches Redis
(an import leaves delivery to the outbox sweeper). A CONNECTED platform receives locations,
so every complete location queues its whole PUT in the outbox, as in production. Measured, one run:
- baseline: json.loads of the file, then json.loads + parsing/checking every object
  (roaming.ocpi_io.run_import's first phase, no database);
- first import: every location new (INSERTs, pushes queued);
- second import of the same file: every location updated in place (UPDATEs, pushes queued);
- refused import: the same file with one bad EVSE id in its last location (nothing saved).
Prints seconds, locations/s and the CPU seconds of this process for each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DB_NAME = "cpo_bench_io"
PG = "postgres://postgres@127.0.0.1:5432"
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    DATABASE_URL=f"{PG}/{DB_NAME}",
    SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
    LOG_LEVEL="WARNING",
)


def create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def network(locations: int, evses: int, connectors: int) -> list[dict]:
    """`locations` complete OCPI Locations of FR*BEN (Gireve §3.5.1 fields filled)."""
    stamp = "2026-01-01T00:00:00Z"

    def connector(n: int) -> dict:
        return {
            "id": str(n),
            "standard": "IEC_62196_T2",
            "format": "SOCKET",
            "power_type": "AC_3_PHASE",
            "max_voltage": 230,
            "max_amperage": 32,
            "max_electric_power": 22000,
            "tariff_ids": ["AC_STANDARD"],
            "last_updated": stamp,
        }

    def evse(loc: int, n: int) -> dict:
        return {
            "uid": f"{loc}-{n}",
            "evse_id": f"FR*BEN*E{loc}X{n}",
            "status": "AVAILABLE",
            "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
            "connectors": [connector(c + 1) for c in range(connectors)],
            "physical_reference": f"P{n}",
            "last_updated": stamp,
        }

    return [
        {
            "country_code": "FR",
            "party_id": "BEN",
            "id": f"LOC{loc:06d}",
            "publish": True,
            "name": f"Station {loc}",
            "address": f"{loc} avenue de la République",
            "city": "Lyon",
            "postal_code": "69003",
            "country": "FRA",
            "coordinates": {"latitude": "45.764043", "longitude": "4.835659"},
            "parking_type": "ON_STREET",
            "evses": [evse(loc, n + 1) for n in range(evses)],
            "operator": {"name": "Bench Network"},
            "owner": {"name": "Métropole de Lyon"},
            "facilities": ["SUPERMARKET"],
            "time_zone": "Europe/Paris",
            "opening_times": {"twentyfourseven": True},
            "last_updated": stamp,
        }
        for loc in range(locations)
    ]


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    from roaming.models import Operator, Platform, PlatformEndpoint

    platform = Platform(
        name="bench hub",
        status=Platform.Status.CONNECTED,
        versions_url="http://127.0.0.1:9/versions",
        version="2.2.1",
        outgoing_token="bench-token",
        hub_country_code="FR",
        hub_party_id="107",
    )
    platform.set_incoming_token("bench-incoming-token", registration=False)
    platform.save()
    PlatformEndpoint.objects.create(
        platform=platform, identifier="locations", role="RECEIVER", url="http://127.0.0.1:9/loc"
    )
    Operator.objects.create(country_code="FR", party_id="BEN", name="Bench Network")


def timed(label: str, count: int, function) -> float:
    """Wall time (what the figure is) and this process's CPU time (the machine is shared:
    when wall >> CPU + database, other processes were running)."""
    start, cpu = time.perf_counter(), time.process_time()
    function()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{label:<46} {seconds:8.2f} s  {count / seconds:7.0f} locations/s  (CPU {cpu:6.2f} s)",
        flush=True,
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=10000)
    parser.add_argument("--evses", type=int, default=3, help="per location")
    parser.add_argument("--connectors", type=int, default=2, help="per EVSE")
    args = parser.parse_args()
    create_database()
    setup_django()
    from locations.models import EVSE, Location
    from locations.ocpi_io import LOCATIONS
    from locations.services import import_locations
    from roaming.ocpi_io import ImportRefused
    from roaming.outbox.models import Message

    n = args.locations
    text = json.dumps(network(n, args.evses, args.connectors))
    print(
        f"{n} locations, {n * args.evses} EVSEs, {n * args.evses * args.connectors} connectors "
        f"({len(text) / 1e6:.1f} MB of JSON)"
    )
    timed("baseline: json.loads", n, lambda: json.loads(text))
    timed(
        "baseline: json.loads + parse/check every object",
        n,
        lambda: [LOCATIONS.parse(obj, label="") for obj in json.loads(text)],
    )
    timed("import, all new", n, lambda: import_locations(json.loads(text), label="bench"))
    assert Location.objects.count() == n and EVSE.objects.count() == n * args.evses
    assert Message.objects.count() == n  # one whole PUT per location
    timed("import again, all updated", n, lambda: import_locations(json.loads(text)))
    assert Message.objects.count() == 2 * n

    bad = json.loads(text)
    bad[-1]["evses"][0]["evse_id"] = "NL*ALF*E1"

    def refused():
        try:
            import_locations(bad, label="bench")
        except ImportRefused as exc:
            assert len(exc.errors) == 1, exc.errors
        else:
            raise AssertionError("a bad file was imported")

    timed("refused import (one bad EVSE, nothing saved)", n, refused)
    assert Message.objects.count() == 2 * n


if __name__ == "__main__":
    main()
