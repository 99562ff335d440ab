"""Benchmark: EVSE status pushes through the outbox and real Celery workers, against a ceiling.

    .venv/bin/python bench/outbox_push.py [--quick] [--messages 10000] [--streams 1000]

Its own PostgreSQL database (cpo_bench, created and migrated here) and Redis DB 10; a fast
local receiver (bench/receiver.py, its own process) answering OCPI 1000. Measured in one run:
- ceiling: a plain loop of requests.Session PATCHes to the same receiver (one process);
- throughput: a backlog of N status PATCHes over S streams drained by 1 and 2 worker
  processes (`celery worker -c 1` / `-c 2`);
- latency: change (set_evse_status committed) to receipt, at a steady 100 changes/s;
- drain: time from the receiver coming back to the last delivery, for an N-message backlog
  queued while it was down (workers kept retrying meanwhile).
Prints a summary table. Workers run with the production settings except LOG_LEVEL.

    .venv/bin/python bench/outbox_push.py --gate [--repo PATH]

The regression gate (docs/outbox.md: run it whenever the outbox, locations services or the
CSMS bridge change; bench/regression.sh runs it on HEAD~1 and HEAD in one sitting): the
latency at 100 changes/s only, beside the plain loop's own latency; exits 1 when p99 exceeds
100 ms. `--repo`: the checkout whose code is measured (default: this one), so the same
bench measures an older commit. BENCH_OUTBOX_DB / BENCH_OUTBOX_BROKER: another database and
Redis DB (two checkouts benched at once).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _repo() -> Path:
    """The checkout measured: --repo PATH, else this file's own."""
    if "--repo" in sys.argv:
        return Path(sys.argv[sys.argv.index("--repo") + 1]).resolve()
    return Path(__file__).resolve().parent.parent


REPO = _repo()
sys.path.insert(0, str(REPO))

DB_NAME = os.environ.get("BENCH_OUTBOX_DB", "cpo_bench")
PG = "postgres://postgres@127.0.0.1:5432"
BROKER = os.environ.get("BENCH_OUTBOX_BROKER", "redis://127.0.0.1:6379/10")
GATE_P99_MS = 100
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    DATABASE_URL=f"{PG}/{DB_NAME}",
    CELERY_BROKER_URL=BROKER,
    SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
    LOG_LEVEL="WARNING",
)
CELERY = str(Path(sys.executable).with_name("celery"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(fresh: bool = False) -> None:
    """`fresh`: dropped first (another commit's migrations may not fit the tables)."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


class Receiver:
    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "receiver.py"), str(self.port)]
        )
        wait(self._up, 10)

    def _up(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port)).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()

    def records(self) -> list:
        import requests

        return requests.get(self.url + "/__stats", timeout=30).json()

    def forget(self) -> None:
        import requests

        requests.delete(self.url + "/__stats", timeout=30)


class Worker:
    def __init__(self, concurrency: int, extra_env: dict | None = None):
        env = os.environ | (extra_env or {})
        env = env | {"PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            [CELERY, "-A", "config", "worker", "-c", str(concurrency), "-P", "prefork"]
            + ["--without-gossip", "--without-mingle", "-l", "WARNING", "-n", "bench@%h"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(0.5)
        from config.celery import app

        # Ready when it answers a ping (a worker that has not started consumes nothing).
        wait(lambda: app.control.ping(timeout=0.5), 30)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(30)


def wait(predicate, timeout: float, every: float = 0.05, tick=None):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {predicate}")
        if tick:
            tick()
        time.sleep(every)


# --- Django side --------------------------------------------------------------------------


def setup_django(receiver: Receiver):
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    from roaming.models import Platform, PlatformEndpoint

    platform = Platform(
        name="bench receiver",
        status=Platform.Status.CONNECTED,
        versions_url=receiver.url + "/versions",
        version="2.2.1",
        outgoing_token="bench-token",
        hub_country_code="FR",
        hub_party_id="107",
    )
    platform.set_incoming_token("bench-incoming-token", registration=False)
    platform.save()
    PlatformEndpoint.objects.create(
        platform=platform, identifier="locations", role="RECEIVER", url=receiver.url + "/locations"
    )
    return platform


STATUSES = ["CHARGING", "AVAILABLE"]


def _stamp(n: int) -> str:
    return (dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=n)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def backlog(platform, *, messages: int, streams: int) -> None:
    """`messages` EVSE status PATCHes over `streams` locations, written in bulk (as many
    producers would have) and due now, no task queued: the sweeper enqueues them."""
    from django.utils import timezone

    from roaming.outbox.models import Message, Stream

    now = timezone.now()
    Stream.objects.bulk_create(
        [
            Stream(platform=platform, key=f"location:B{n}", module="locations", next_attempt_at=now)
            for n in range(streams)
        ],
        ignore_conflicts=True,
    )
    stream_ids = dict(Stream.objects.filter(key__startswith="location:B").values_list("key", "pk"))
    Stream.objects.filter(pk__in=stream_ids.values()).update(
        next_attempt_at=now, kicked_at=None, held=False
    )
    rows = []
    for n in range(messages):
        s = n % streams
        rows.append(
            Message(
                stream_id=stream_ids[f"location:B{s}"],
                method="PATCH",
                path=f"/FR/AB1/B{s}/E1",
                body={"status": STATUSES[n // streams % 2], "last_updated": _stamp(n)},
                object_id=f"B{s}",
            )
        )
    Message.objects.bulk_create(rows, batch_size=2000)


def pending() -> int:
    from roaming.outbox.models import Message

    return Message.objects.filter(state=Message.State.PENDING).count()


def sweep() -> None:
    from roaming.outbox import tasks

    tasks.sweep()


def sweeper(every: float):
    """A tick function calling the sweeper every `every` seconds (beat's job)."""
    last = [0.0]

    def tick():
        if time.monotonic() - last[0] >= every:
            last[0] = time.monotonic()
            sweep()

    return tick


def ceiling(receiver: Receiver, n: int) -> float:
    """Plain loop of requests.Session PATCHes (JSON body, OCPI headers): messages/s."""
    import requests

    session = requests.Session()
    headers = {
        "Authorization": "Token YmVuY2g=",
        "X-Request-ID": "r",
        "X-Correlation-ID": "c",
        "OCPI-from-country-code": "FR",
        "OCPI-from-party-id": "AB1",
        "OCPI-to-country-code": "FR",
        "OCPI-to-party-id": "107",
    }
    started = time.monotonic()
    for i in range(n):
        body = {"status": STATUSES[i % 2], "last_updated": _stamp(i)}
        response = session.patch(
            f"{receiver.url}/locations/FR/AB1/C{i % 1000}/E1",
            json=body,
            headers=headers,
            timeout=5,
        )
        assert response.json()["status_code"] == 1000
    return n / (time.monotonic() - started)


def throughput(platform, concurrency: int, messages: int, streams: int) -> float:
    backlog(platform, messages=messages, streams=streams)
    worker = Worker(concurrency)
    try:
        started = time.monotonic()
        sweep()
        wait(lambda: pending() == 0, 600, every=0.2, tick=sweeper(5))
        return messages / (time.monotonic() - started)
    finally:
        worker.stop()


def latency(platform, receiver: Receiver, seconds: float, rate: int, evses: int) -> list[float]:
    """Change-to-receipt latencies (s) of EVSE status changes made at `rate` per second."""
    from locations import services
    from locations.models import EVSE
    from locations.ocpi import evse_to_ocpi
    from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory, OperatorFactory

    operator = OperatorFactory(country_code="FR", party_id="AB1")
    worker = Worker(2)
    try:
        for _ in range(evses):
            location = LocationFactory(operator=operator)
            ConnectorFactory(evse=EVSEFactory(location=location))
            services.save_location(location=location)  # the whole PUT: the hub gets it first
        wait(lambda: pending() == 0, 300, every=0.2, tick=sweeper(5))
        receiver.forget()
        chosen = list(EVSE.objects.select_related("location__operator").order_by("pk"))
        changed: dict[tuple[str, str], float] = {}
        started = time.monotonic()
        tick = sweeper(5)
        for i in range(int(seconds * rate)):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            evse = chosen[i % len(chosen)]
            evse = services.set_evse_status(evse=evse, status=STATUSES[(i // len(chosen)) % 2])
            at = time.time()
            loc = evse.location
            path = f"/locations/FR/{loc.operator.party_id}/{loc.ocpi_id}/{evse.uid}"
            changed[(path, evse_to_ocpi(evse)["last_updated"])] = at
            tick()
        wait(lambda: pending() == 0, 120, every=0.2, tick=sweeper(5))
        received = {(path, stamp): t for t, _method, path, stamp in receiver.records()}
        return [received[key] - at for key, at in changed.items()]
    finally:
        worker.stop()


def drain_after_outage(platform, receiver: Receiver, messages: int, streams: int) -> float:
    """Seconds from the receiver's return to the last delivery of a backlog queued while it
    was down (workers failing, streams in backoff: OUTBOX_BACKOFF_* as configured)."""
    receiver.stop()
    worker = Worker(2)
    try:
        backlog(platform, messages=messages, streams=streams)
        sweep()
        from roaming.outbox.models import Stream

        # Every stream tried once and backing off.
        wait(
            lambda: (
                not Stream.objects.filter(failure_count=0, key__startswith="location:B")
                .exclude(next_attempt_at=None)
                .exists()
            ),
            300,
            every=0.2,
            tick=sweeper(5),
        )
        receiver.start()
        started = time.monotonic()
        wait(lambda: pending() == 0, 900, every=0.2, tick=sweeper(5))
        return time.monotonic() - started
    finally:
        worker.stop()


def plain_latency(receiver: Receiver, n: int = 200) -> list[float]:
    """The baseline of the gate: one PATCH's own round trip to the receiver (seconds)."""
    import requests

    session, times = requests.Session(), []
    for i in range(n):
        started = time.perf_counter()
        session.patch(f"{receiver.url}/locations/FR/AB1/P{i}/E1", json={"status": "CHARGING"})
        times.append(time.perf_counter() - started)
    return sorted(times)


def _percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(len(values) * 0.99))]


def gate(seconds: float) -> int:
    """Latency at 100 changes/s beside the plain loop; 1 when p99 exceeds GATE_P99_MS."""
    create_database(fresh=True)
    receiver = Receiver()
    receiver.start()
    try:
        platform = setup_django(receiver)
        base50, base99 = _percentiles(plain_latency(receiver))
        lat = latency(platform, receiver, seconds, 100, 200)
    finally:
        receiver.stop()
    p50, p99 = _percentiles(lat)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"\noutbox latency gate, {commit} ({REPO}), {len(lat)} changes at 100/s")
    print(
        f"  plain loop PATCH round trip   p50 {base50 * 1000:7.1f} ms   p99 {base99 * 1000:7.1f} ms"
    )
    print(f"  status change -> receiver     p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms")
    print(json.dumps({"commit": commit, "p50_ms": round(p50 * 1000, 1),
                      "p99_ms": round(p99 * 1000, 1)}))  # fmt: skip
    if p99 * 1000 > GATE_P99_MS:
        print(f"FAIL: p99 {p99 * 1000:.0f} ms > {GATE_P99_MS} ms at 100 changes/s", file=sys.stderr)
        return 1
    print(f"OK: p99 within {GATE_P99_MS} ms")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (about 2 minutes)")
    parser.add_argument("--gate", action="store_true", help="latency gate only (exit 1 if slow)")
    parser.add_argument("--repo", help="measure the code of this checkout (with --gate)")
    parser.add_argument("--seconds", type=float, default=10, help="gate: seconds of changes")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--streams", type=int, default=1_000)
    args = parser.parse_args()
    if args.gate:
        sys.exit(gate(args.seconds))
    messages, streams, seconds = args.messages, args.streams, 30
    if args.quick:
        messages, streams, seconds = 2_000, 200, 10

    create_database()
    receiver = Receiver()
    receiver.start()
    rows = []
    try:
        platform = setup_django(receiver)
        from roaming.outbox.models import Message

        loop = ceiling(receiver, messages)
        rows.append(("ceiling: requests.Session loop", f"{loop:,.0f} msg/s", "1.00"))
        for concurrency in (1, 2):
            Message.objects.all().delete()
            rate = throughput(platform, concurrency, messages, streams)
            label = f"outbox, {concurrency} worker process{'es' if concurrency > 1 else ''}"
            rows.append((label, f"{rate:,.0f} msg/s", f"{rate / loop:.2f}"))
            print(rows[-1], flush=True)
        Message.objects.all().delete()
        lat = sorted(latency(platform, receiver, seconds, 100, min(streams, 1000)))
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        rows.append(
            (
                f"latency at 100 changes/s ({len(lat)} changes)",
                f"p50 {p50 * 1000:.0f} ms",
                f"p99 {p99 * 1000:.0f} ms",
            )
        )
        print(rows[-1], flush=True)
        Message.objects.all().delete()
        drain = drain_after_outage(platform, receiver, messages, streams)
        rows.append(
            (
                f"drain of a {messages:,} backlog after outage",
                f"{drain:.1f} s",
                f"{messages / drain:,.0f} msg/s",
            )
        )
    finally:
        receiver.stop()
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'figure':>16}  {'vs ceiling / p99':>16}")
    for name, figure, ratio in rows:
        print(f"{name:<{width}}  {figure:>16}  {ratio:>16}")
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
