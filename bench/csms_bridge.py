"""Benchmark: the CSMS bridge API served by gunicorn on loopback (docs/csms-bridge.md).

    .venv/bin/python bench/csms_bridge.py [--swipes 2000] [--concurrency 50] [--events 4000]

Its own PostgreSQL database (cpo_bench_csms, created and migrated here); the hub simulator in
its own process (answers authorize at once: demo token ALLOWED); gunicorn (gthread) in its own
processes; this process is the CSMS (threads with keep-alive sessions). Measured:
- authorize: the hub's own latency (the same client calling the hub's authorize directly, at
  the same concurrency), then swipes through the platform; p50/p99 of each, and of the
  overhead per swipe = platform latency − the hub call's duration recorded in Authorization;
- status events: EVSE status changes (every one a real change, so each queues a PATCH in the
  outbox) posted by N threads; events/s accepted and outbox messages written.
Celery kicks go to Redis DB 14 (no worker: its `celery` queue is emptied at the end).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DB_NAME = os.environ.get("BENCH_CSMS_DB", "cpo_bench_csms")  # another checkout: its own
PG = "postgres://postgres@127.0.0.1:5432"
BROKER = os.environ.get("BENCH_CSMS_BROKER", "redis://127.0.0.1:6379/14")
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    DATABASE_URL=f"{PG}/{DB_NAME}",
    CELERY_BROKER_URL=BROKER,
    CACHE_URL="",
    DEBUG="0",
    SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
    LOG_LEVEL="WARNING",
)
UID = "04A23B1C5D6E7F"  # ALLOWED at the hub simulator (--demo-tokens)
LOCATIONS, EVSES_PER_LOCATION = 50, 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def start(args: list[str]) -> subprocess.Popen:
    log = open(REPO / "var" / "bench_csms.log", "ab")  # noqa: SIM115 (lives with the process)
    return subprocess.Popen(args, cwd=REPO, stdout=log, stderr=log, start_new_session=True)


def setup(hub_url: str) -> tuple[str, list[tuple[str, str]]]:
    """Operator, locations the hub holds already, a connected hub, a CSMS; (key, EVSE ids)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from locations import services as locations
    from locations.models import EVSE, Connector, Location
    from roaming.models import MessageLog, Operator, Platform, PlatformEndpoint
    from roaming.outbox.models import Message, Stream
    from sessions.csms import services as csms_services
    from sessions.csms.models import Csms, ProcessedEvent, Transaction
    from sessions.models import Authorization

    # Transactions first: the meter figure of csms_cpu.py leaves some (they hold swipes).
    for model in (Transaction, ProcessedEvent, Authorization, Csms, MessageLog, Message, Stream):
        model.objects.all().delete()
    Platform.objects.all().delete()
    operator, _ = Operator.objects.get_or_create(
        country_code="FR", party_id="AB1", defaults={"name": "Bench network"}
    )
    platform = Platform.objects.create(
        name="Hub", status=Platform.Status.CONNECTED, versions_url=f"{hub_url}/versions",
        version="2.2.1", outgoing_token="hub-token-c", hub_country_code="FR",
        hub_party_id="107",
    )  # fmt: skip
    for module, role in [("tokens", "SENDER"), ("locations", "RECEIVER")]:
        PlatformEndpoint.objects.create(
            platform=platform, identifier=module, role=role, url=f"{hub_url}/2.2.1/{module}"
        )
    ids = []
    for n in range(LOCATIONS):
        location, created = Location.objects.get_or_create(
            operator=operator, ocpi_id=f"BENCH-{n:03d}",
            defaults=dict(address="1 Rue", city="Paris", country="FRA", latitude="48.856614",
                          longitude="2.352222", time_zone="Europe/Paris",
                          owner={"name": "Owner"}),
        )  # fmt: skip
        for e in range(EVSES_PER_LOCATION):
            evse, _ = EVSE.objects.get_or_create(
                location=location, uid=f"E{e}",
                defaults=dict(evse_id=f"FR*AB1*EB{n:03d}X{e}", status="AVAILABLE",
                              capabilities=["RFID_READER"], tariff_ids=["AC"]),
            )  # fmt: skip
            Connector.objects.get_or_create(
                evse=evse, ocpi_id="1",
                defaults=dict(standard="IEC_62196_T2", format="SOCKET",
                              power_type="AC_3_PHASE", max_voltage=230, max_amperage=32),
            )  # fmt: skip
            ids.append((location.ocpi_id, evse.uid))
        locations.save_location(location=location)  # the whole PUT: the hub then holds it
    Message.objects.all().delete()  # as if delivered: status changes are PATCHes from now on
    EVSE.objects.update(status="AVAILABLE")
    _, key = csms_services.create_csms(name="Bench CSMS", operators=[operator])
    return key, ids


def cpu_seconds(master_pid: int) -> float:
    """User + system CPU of gunicorn's worker processes so far (Linux /proc)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    ticks = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


def run_threads(concurrency: int, jobs: list, call) -> tuple[list, float]:
    """Run `call(session, job)` over `jobs` with `concurrency` keep-alive sessions."""
    import requests

    local = threading.local()

    def one(job):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return call(local.session, job)

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, jobs))
    return results, time.monotonic() - started


def event(location_id: str, evse_uid: str, **fields) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z",
        "location_id": location_id,
        "evse_uid": evse_uid,
        **fields,
    }


def bench_authorize(api, hub_url, key, ids, swipes: int, concurrency: int, web_pid: int):
    import base64

    hub_headers = {
        "Authorization": "Token " + base64.b64encode(b"hub-token-c").decode(),
        "OCPI-from-country-code": "FR", "OCPI-from-party-id": "AB1",
        "OCPI-to-country-code": "FR", "OCPI-to-party-id": "107",
    }  # fmt: skip

    def hub_call(session, n):
        location_id, evse_uid = ids[n % len(ids)]
        body = {"location_id": location_id, "evse_uids": [evse_uid]}
        started = time.monotonic()
        answer = session.post(
            f"{hub_url}/2.2.1/tokens/{UID}/authorize?type=RFID", json=body, headers=hub_headers
        )
        assert answer.json()["data"]["allowed"] == "ALLOWED"
        return (time.monotonic() - started) * 1000

    def swipe(session, n):
        location_id, evse_uid = ids[n % len(ids)]
        started = time.monotonic()
        answer = session.post(
            f"{api}/authorize",
            json=event(location_id, evse_uid, id_tag=UID),
            headers={"Authorization": f"Bearer {key}"},
        )
        elapsed = (time.monotonic() - started) * 1000
        data = answer.json()
        assert data["accepted"] and data["source"] == "HUB", data
        return elapsed, data["authorization_id"]

    run_threads(concurrency, range(concurrency * 2), hub_call)  # warm-up
    hub, hub_seconds = run_threads(concurrency, range(swipes), hub_call)
    run_threads(concurrency, range(concurrency * 2), swipe)  # warm-up
    cpu = cpu_seconds(web_pid)
    results, seconds = run_threads(concurrency, range(swipes), swipe)
    cpu_ms = (cpu_seconds(web_pid) - cpu) / swipes * 1000
    from sessions.models import Authorization

    recorded = dict(
        Authorization.objects.filter(pk__in=[pk for _, pk in results]).values_list(
            "pk", "hub_latency_ms"
        )
    )
    platform = [ms for ms, _ in results]
    overhead = [ms - recorded[pk] for ms, pk in results]
    return cpu_ms, {
        "hub alone (same client)": (*percentiles(hub), swipes / hub_seconds),
        "through the platform": (*percentiles(platform), swipes / seconds),
        "overhead per swipe (total − hub call)": (*percentiles(overhead), None),
    }


def bench_status(api: str, key: str, ids, events: int, concurrency: int, web_pid: int):
    from roaming.outbox.models import Message

    before = Message.objects.count()
    cpu = cpu_seconds(web_pid)
    statuses = ["Charging", "Available"]
    # Each EVSE alternates, so every event is a change; one EVSE's events go in order.
    jobs = [(ids[n % len(ids)], statuses[(n // len(ids)) % 2]) for n in range(events)]

    def report(session, job):
        (location_id, evse_uid), status = job
        answer = session.post(
            f"{api}/evse-status",
            json=event(location_id, evse_uid, protocol="ocpp1.6", status=status),
            headers={"Authorization": f"Bearer {key}"},
        )
        return answer.status_code == 200 and answer.json()["applied"]

    results, seconds = run_threads(concurrency, jobs, report)
    cpu_ms = (cpu_seconds(web_pid) - cpu) / events * 1000
    queued = Message.objects.count() - before
    return events / seconds, sum(results), queued, seconds, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--swipes", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--status-concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn process")
    options = parser.parse_args()
    (REPO / "var").mkdir(exist_ok=True)
    create_database()
    hub_port, web_port = free_port(), free_port()
    python = sys.executable
    processes = [
        start([python, "manage.py", "hub_simulator", "--port", str(hub_port), "--demo-tokens",
               "--quiet"]),
    ]  # fmt: skip
    hub_url = f"http://127.0.0.1:{hub_port}/ocpi"
    try:
        wait_port(hub_port)
        key, ids = setup(hub_url)
        gunicorn = str(Path(python).with_name("gunicorn"))
        processes.append(
            start([gunicorn, "config.wsgi", "-b", f"127.0.0.1:{web_port}", "-k", "gthread",
                   "-w", str(options.workers), "--threads", str(options.threads)])
        )  # fmt: skip
        wait_port(web_port)
        api = f"http://127.0.0.1:{web_port}/api/csms/v1"
        print(
            f"gunicorn {options.workers} processes × {options.threads} threads, "
            f"{os.cpu_count()} CPUs; {len(ids)} EVSEs"
        )
        web_pid = processes[-1].pid
        cpu_ms, figures = bench_authorize(
            api, hub_url, key, ids, options.swipes, options.concurrency, web_pid
        )
        print(f"\nAuthorize, {options.swipes} swipes, {options.concurrency} concurrent (ms):")
        print(f"  {'':40} {'p50':>7} {'p99':>7} {'per s':>7}")
        for name, (p50, p99, rate) in figures.items():
            per_s = f"{rate:7.0f}" if rate else ""
            print(f"  {name:40} {p50:7.1f} {p99:7.1f} {per_s}")
        print(f"  platform CPU per swipe (gunicorn workers): {cpu_ms:.1f} ms")
        rate, applied, queued, seconds, cpu_ms = bench_status(
            api, key, ids, options.events, options.status_concurrency, web_pid
        )
        print(
            f"\nEVSE status: {options.events} events, {options.status_concurrency} concurrent: "
            f"{rate:.0f} events/s ({seconds:.1f} s), {applied} applied, "
            f"{queued} PATCH messages written to the outbox; "
            f"platform CPU per event (gunicorn workers): {cpu_ms:.1f} ms"
        )
        print(f"load average during the run: {os.getloadavg()}")
    finally:
        for process in processes:
            os.killpg(process.pid, 15)
            process.wait(30)
        import redis

        redis.Redis.from_url(BROKER).delete("celery")  # the kicks no worker consumed


if __name__ == "__main__":
    main()
