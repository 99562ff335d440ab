"""Benchmark: charging sessions through the CSMS bridge API, to CDRs at the hub (issue 13.10).

    .venv/bin/python bench/sessions_ingest.py [--sessions 1000] [--minutes 60] [--quick]

1,000 concurrent sessions sending meter values every 60 s for a simulated hour, compressed
in time: the charge point times are real (the hour just past), the events are posted as fast
as the platform takes them, one round of meter values (every session, one sample) per
simulated minute, a session's events in order.

Its own PostgreSQL database (cpo_bench_sessions, dropped, created and migrated here); the
hub simulator in its own process (sessions and CDRs receiver); gunicorn (gthread) serving
the CSMS bridge API; one real Celery worker (`-c 2`) delivering the outbox to the hub all
along, on Redis DB 3; this process is the CSMS (threads with keep-alive sessions).
Each session follows an accepted hub authorization (written in the setup: authorize is
measured by bench/csms_bridge.py), so each is a roaming session priced with a tariff.

Measured:
- meter events ingested per second (HTTP 200, applied), and the CPU per event of the
  gunicorn workers, the PostgreSQL backends of this database and the Celery worker
  (from /proc; the machine's total is printed too, but other jobs share it);
- baseline: `session_services.record_meter_values` called in this process (no HTTP, no
  event bookkeeping) on sessions of the same shape, CPU per event;
- session → CDR at the hub: `--stops` sessions stopped at a steady `--stop-rate` once the
  outbox is drained (1,000 sessions ending over an hour is 0.3 stops/s); for each, from
  just before the POST transaction-stopped to the hub's 2xx to the CDR POST (the worker's
  `done_at`, after the hub received it): p50, p99, max, share within 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import signal
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

DB_NAME = "cpo_bench_sessions"
PG = "postgres://postgres@127.0.0.1:5432"
BROKER = "redis://127.0.0.1:6379/3"  # this worktree's broker DB
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    DATABASE_URL=f"{PG}/{DB_NAME}",
    CELERY_BROKER_URL=BROKER,
    CACHE_URL="",
    DEBUG="0",
    SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
    LOG_LEVEL="WARNING",
)
CELERY = str(Path(sys.executable).with_name("celery"))
EVSES_PER_LOCATION = 4
WH_PER_MINUTE = 120  # 7.2 kW
# Energy by day, less at night, charging time after the first hour, parking, a start fee:
# every session is priced again at every meter value (sessions.session_state).
TARIFF = [
    {
        "price_components": [
            {"type": "FLAT", "price": "0.50", "vat": "20.0", "step_size": 1},
            {"type": "ENERGY", "price": "0.35", "vat": "20.0", "step_size": 1},
            {"type": "PARKING_TIME", "price": "6.00", "vat": "20.0", "step_size": 60},
        ],
        "restrictions": {"start_time": "06:00", "end_time": "22:00"},
    },
    {
        "price_components": [
            {"type": "FLAT", "price": "0.50", "vat": "20.0", "step_size": 1},
            {"type": "ENERGY", "price": "0.25", "vat": "20.0", "step_size": 1},
            {"type": "PARKING_TIME", "price": "6.00", "vat": "20.0", "step_size": 60},
        ]
    },
    {
        "price_components": [{"type": "TIME", "price": "1.20", "vat": "20.0", "step_size": 60}],
        "restrictions": {"min_duration": 3600},
    },
]


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


def wait(predicate, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(every)
    return value


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def start(args: list[str], log_name: str, **env) -> subprocess.Popen:
    log = open(REPO / "var" / log_name, "ab")  # noqa: SIM115 (lives with the process)
    return subprocess.Popen(
        args, cwd=REPO, stdout=log, stderr=log, start_new_session=True, env=os.environ | env
    )


# --- CPU accounting (Linux /proc) -------------------------------------------------------


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _postgres_pids() -> list[int]:
    """PostgreSQL backends serving this benchmark's database (other jobs share the server)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                if f" {DB_NAME} ".encode() in (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _machine_ticks() -> int:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return user + nice + system + irq + softirq + steal


class Cpu:
    """CPU seconds of gunicorn's workers, of the Celery worker's processes, of the
    PostgreSQL backends of this database, and of the whole machine (other jobs included).

    Backends come and go (connections are recycled after conn_max_age): a thread samples
    them every 0.2 s, so the CPU of a backend that ended between two snapshots is kept."""

    def __init__(self, web_pid: int, worker_pid: int):
        self.web_pid, self.worker_pid = web_pid, worker_pid
        self.hz = os.sysconf("SC_CLK_TCK")
        self.backends: dict[int, int] = {}  # pid -> last ticks seen
        threading.Thread(target=self._sample_backends, daemon=True).start()

    def _sample_backends(self) -> None:
        while True:
            for pid in _postgres_pids():
                ticks = _ticks(pid)
                if ticks:
                    self.backends[pid] = max(ticks, self.backends.get(pid, 0))
            time.sleep(0.2)

    def snapshot(self) -> dict:
        worker = [self.worker_pid, *_children(self.worker_pid)]
        return {
            "web": sum(_ticks(pid) for pid in _children(self.web_pid)) / self.hz,
            "worker": sum(_ticks(pid) for pid in worker) / self.hz,
            "postgres": sum(self.backends.values()) / self.hz,
            "machine": _machine_ticks() / self.hz,
        }

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        return {name: after[name] - before[name] for name in before}


# --- setup ------------------------------------------------------------------------------


def setup(hub_url: str, sessions: int) -> tuple[str, list[dict]]:
    """Operator, tariff, locations, a connected hub, a CSMS, one accepted hub authorization
    per session to come; (the CSMS key, [{location_id, evse_uid, authorization_id}])."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from locations import services as locations
    from locations.models import EVSE, Connector, Location
    from roaming.models import Operator, Platform, PlatformEndpoint
    from roaming.outbox.models import Message, Stream
    from sessions.csms import services as csms_services
    from sessions.models import Authorization
    from tariffs import services as tariff_services
    from tariffs.models import Tariff

    operator = Operator.objects.create(country_code="FR", party_id="AB1", name="Bench network")
    tariff_services.save_tariff(
        tariff=Tariff(
            operator=operator, ocpi_id="AC", currency="EUR", type="REGULAR", elements=TARIFF,
            start_date_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    )  # fmt: skip
    platform = Platform.objects.create(
        name="Hub", status=Platform.Status.CONNECTED, versions_url=f"{hub_url}/versions",
        version="2.2.1", outgoing_token="hub-token-c", hub_country_code="FR",
        hub_party_id="107", session_update_method=Platform.SessionUpdate.PUT,
    )  # fmt: skip
    for module, role in [
        ("tokens", "SENDER"),
        ("locations", "RECEIVER"),
        ("sessions", "RECEIVER"),
        ("cdrs", "RECEIVER"),
    ]:
        PlatformEndpoint.objects.create(
            platform=platform, identifier=module, role=role, url=f"{hub_url}/2.2.1/{module}"
        )
    evses = []
    for n in range((sessions + EVSES_PER_LOCATION - 1) // EVSES_PER_LOCATION):
        location = Location.objects.create(
            operator=operator, ocpi_id=f"BENCH-{n:04d}", address="1 Rue", city="Paris",
            country="FRA", latitude="48.856614", longitude="2.352222",
            time_zone="Europe/Paris", owner={"name": "Owner"},
        )  # fmt: skip
        for e in range(EVSES_PER_LOCATION):
            evse = EVSE.objects.create(
                location=location, uid=f"E{e}", evse_id=f"FR*AB1*EB{n:04d}X{e}",
                status="AVAILABLE", capabilities=["RFID_READER"], tariff_ids=["AC"],
            )  # fmt: skip
            Connector.objects.create(
                evse=evse, ocpi_id="1", standard="IEC_62196_T2", format="SOCKET",
                power_type="AC_3_PHASE", max_voltage=230, max_amperage=32,
            )  # fmt: skip
            evses.append(evse)
        locations.save_location(location=location)
    Message.objects.all().delete()  # as if the hub held the locations already
    Stream.objects.all().delete()
    charges = []
    for n, evse in enumerate(evses[:sessions]):
        uid = f"BE{n:012X}"
        authorization = Authorization.objects.create(
            evse=evse, id_tag=uid, uid=uid, type="RFID", accepted=True, reason="ALLOWED",
            source="HUB", authorization_reference=f"IOP-REF-{n:06d}", latency_ms=0,
            token={"country_code": "DE", "party_id": "TNM", "uid": uid, "type": "RFID",
                   "contract_id": f"DE-TNM-C{n:08d}-X", "issuer": "TNM", "valid": True,
                   "whitelist": "ALLOWED", "last_updated": "2026-01-01T00:00:00Z"},
        )  # fmt: skip
        charges.append(
            {
                "location_id": evse.location.ocpi_id,
                "evse_uid": evse.uid,
                "authorization_id": authorization.pk,
                "transaction_id": f"TX-{n:06d}",
            }
        )
    _, key = csms_services.create_csms(name="Bench CSMS", operators=[operator])
    return key, charges


# --- the CSMS ---------------------------------------------------------------------------


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_threads(concurrency: int, jobs: list, call) -> tuple[list, float]:
    """Run `call(session, job)` over `jobs` with `concurrency` keep-alive sessions."""
    import requests

    local = threading.local()

    def one(job):
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.trust_env = False
        return call(local.session, job)

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, jobs))
    return results, time.monotonic() - started


class Csms:
    def __init__(self, api: str, key: str):
        self.api, self.headers = api, {"Authorization": f"Bearer {key}"}

    def post(self, session, endpoint: str, body: dict) -> dict:
        answer = session.post(f"{self.api}/{endpoint}", json=body, headers=self.headers)
        if answer.status_code != 200:
            raise SystemExit(f"{endpoint}: HTTP {answer.status_code} {answer.text[:300]}")
        return answer.json()

    def started(self, session, charge: dict, at: dt.datetime) -> dict:
        body = {
            "event_id": str(uuid.uuid4()),
            "timestamp": stamp(at),
            "location_id": charge["location_id"],
            "evse_uid": charge["evse_uid"],
            "transaction_id": charge["transaction_id"],
            "meter_start_wh": 0,
            "authorization_id": charge["authorization_id"],
            "meter_id": "BENCH-METER",
        }
        return self.post(session, "transaction-started", body)

    def meter(self, session, charge: dict, at: dt.datetime, wh: int) -> dict:
        body = {
            "event_id": str(uuid.uuid4()),
            "timestamp": stamp(at),
            "transaction_id": charge["transaction_id"],
            "samples": [
                {"timestamp": stamp(at), "energy_wh": wh, "power_w": "7200",
                 "charging_state": "Charging"}
            ],
        }  # fmt: skip
        return self.post(session, "meter-values", body)

    def stopped(self, session, charge: dict, at: dt.datetime, wh: int) -> dict:
        body = {
            "event_id": str(uuid.uuid4()),
            "timestamp": stamp(at),
            "transaction_id": charge["transaction_id"],
            "meter_stop_wh": wh,
            "reason": "EVDisconnected",
        }
        return self.post(session, "transaction-stopped", body)


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def outbox_waiting() -> int:
    from roaming.outbox.models import Message

    return Message.objects.filter(state=Message.State.PENDING).count()


def bench_baseline(t0: dt.datetime, minutes: int, count: int, cpu: Cpu) -> float:
    """CPU per meter event of session_services.record_meter_values in this process, plus
    what PostgreSQL spent meanwhile."""
    from locations.models import EVSE
    from sessions import session_services
    from sessions.charging_periods import Sample
    from sessions.models import Authorization

    authorizations = list(Authorization.objects.select_related("evse__location")[:count])
    sessions = [
        session_services.start_session(
            evse=a.evse, connector=a.evse.connectors.first(), started_at=t0,
            meter_start_wh=0, cdr_token={k: a.token[k] for k in
                                         ("country_code", "party_id", "uid", "type",
                                          "contract_id")},
            auth_method="AUTH_REQUEST", authorization_reference=a.authorization_reference,
        )
        for a in authorizations
    ]  # fmt: skip
    assert all(isinstance(a.evse, EVSE) for a in authorizations)
    before, started = cpu.snapshot(), time.process_time()
    for minute in range(1, minutes + 1):
        at = t0 + dt.timedelta(minutes=minute)
        for n, session in enumerate(sessions):
            sample = Sample(at, WH_PER_MINUTE * minute, "CHARGING", power_w=7200)
            sessions[n] = session_services.record_meter_values(session=session, samples=[sample])
    spent = time.process_time() - started + Cpu.spent(before, cpu.snapshot())["postgres"]
    return spent / (minutes * len(sessions))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=60, help="simulated minutes of meter values")
    parser.add_argument("--concurrency", type=int, default=32, help="CSMS client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn process")
    parser.add_argument(
        "--web-conn-max-age",
        type=int,
        default=60,
        help="gunicorn's PostgreSQL connections kept (s): 0 opens one per request",
    )
    parser.add_argument("--stop-rate", type=float, default=2, help="stop events per second")
    parser.add_argument("--stops", type=int, default=200, help="sessions stopped and timed")
    parser.add_argument("--quick", action="store_true", help="300 sessions, 15 minutes, 60 stops")
    options = parser.parse_args()
    if options.quick:
        options.sessions, options.minutes, options.stops = 300, 15, 60
    (REPO / "var").mkdir(exist_ok=True)
    recreate_database()
    hub_port, web_port = free_port(), free_port()
    python = sys.executable
    processes = [
        start([python, "manage.py", "hub_simulator", "--port", str(hub_port), "--quiet"],
              "bench_sessions_hub.log"),
    ]  # fmt: skip
    hub_url = f"http://127.0.0.1:{hub_port}/ocpi"
    try:
        wait_port(hub_port)
        print(f"setup: {options.sessions} EVSEs, authorizations, tariff, hub, CSMS …", flush=True)
        key, charges = setup(hub_url, options.sessions)
        import redis

        redis.Redis.from_url(BROKER).delete("celery")
        gunicorn = str(Path(python).with_name("gunicorn"))
        processes.append(
            start([gunicorn, "config.wsgi", "-b", f"127.0.0.1:{web_port}", "-k", "gthread",
                   "-w", str(options.workers), "--threads", str(options.threads)],
                  "bench_sessions_web.log",
                  DATABASE_URL=f"{PG}/{DB_NAME}?conn_max_age={options.web_conn_max_age}")
        )  # fmt: skip
        web_pid = processes[-1].pid
        processes.append(
            start([CELERY, "-A", "config", "worker", "-c", "2", "-P", "prefork", "-B",
                   "--without-gossip", "--without-mingle", "-l", "WARNING", "-n", "bench@%h",
                   "-s", str(REPO / "var" / "bench_sessions_beat")],
                  "bench_sessions_worker.log")
        )  # fmt: skip
        wait_port(web_port)
        from config.celery import app

        wait(lambda: app.control.ping(timeout=0.5), 60, "the Celery worker")
        api = f"http://127.0.0.1:{web_port}/api/csms/v1"
        csms = Csms(api, key)
        import requests

        for _ in range(options.workers * options.threads):  # load the app in every process
            requests.get(f"{api}/schema/", timeout=60)
        cpu = Cpu(web_pid, processes[-1].pid)
        print(
            f"gunicorn {options.workers} × {options.threads} threads (conn_max_age "
            f"{options.web_conn_max_age}), 1 Celery worker (-c 2, "
            f"beat), {os.cpu_count()} CPUs; {options.sessions} sessions × {options.minutes} "
            f"simulated minutes, {options.concurrency} CSMS threads",
            flush=True,
        )
        t0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(
            minutes=options.minutes + 5
        )

        _, seconds = run_threads(options.concurrency, charges, lambda s, c: csms.started(s, c, t0))
        print(f"\ntransaction-started: {len(charges) / seconds:.0f} events/s", flush=True)

        before, rusage, load = cpu.snapshot(), resource.getrusage(resource.RUSAGE_SELF), []
        applied, elapsed = 0, 0.0
        for minute in range(1, options.minutes + 1):
            at = t0 + dt.timedelta(minutes=minute)
            answers, seconds = run_threads(
                options.concurrency,
                charges,
                lambda s, c, at=at, m=minute: csms.meter(s, c, at, WH_PER_MINUTE * m),
            )
            applied += sum(1 for a in answers if a.get("applied"))
            elapsed += seconds
            load.append(os.getloadavg()[0])
            if minute % 10 == 0 or minute == options.minutes:
                print(
                    f"  minute {minute}: {minute * len(charges) / elapsed:.0f} events/s so far, "
                    f"outbox waiting {outbox_waiting()}",
                    flush=True,
                )
        spent = Cpu.spent(before, cpu.snapshot())
        after = resource.getrusage(resource.RUSAGE_SELF)
        client = (after.ru_utime + after.ru_stime) - (rusage.ru_utime + rusage.ru_stime)
        events = options.minutes * len(charges)
        print(
            f"\nmeter-values: {events} events ({applied} applied) in {elapsed:.1f} s = "
            f"{events / elapsed:.0f} events/s"
        )
        ms = {name: seconds / events * 1000 for name, seconds in spent.items()}
        print(
            f"  CPU per event: gunicorn {ms['web']:.2f} ms + PostgreSQL {ms['postgres']:.2f} ms + "
            f"Celery worker {ms['worker']:.2f} ms = "
            f"{ms['web'] + ms['postgres'] + ms['worker']:.2f} ms; the CSMS client "
            f"{client / events * 1000:.2f} ms; the whole machine {ms['machine']:.2f} ms "
            "(other jobs included)"
        )
        print(f"  load average (1 min) during the rounds: {min(load):.1f}–{max(load):.1f}")

        drained = time.monotonic()
        wait(lambda: outbox_waiting() == 0, 600, "the outbox to drain", every=0.5)
        print(f"outbox drained {time.monotonic() - drained:.1f} s after the last meter value")

        from roaming.outbox.models import Message

        sent_at: dict[str, float] = {}
        end = t0 + dt.timedelta(minutes=options.minutes, seconds=30)
        wh = WH_PER_MINUTE * options.minutes + 60
        interval = 1 / options.stop_rate
        pace = time.monotonic()

        def stop(session, job):
            n, charge = job
            time.sleep(max(0.0, pace + n * interval - time.monotonic()))
            at = time.time()
            answer = csms.stopped(session, charge, end, wh)
            sent_at[answer["session_id"]] = at
            return answer

        run_threads(options.concurrency, list(enumerate(charges[: options.stops])), stop)
        cdrs = Message.objects.filter(endpoint_module="cdrs", object_id__in=list(sent_at))
        wait(
            lambda: cdrs.filter(state=Message.State.DELIVERED).count() == len(sent_at),
            600,
            "every CDR at the hub",
            every=0.5,
        )
        latencies = [
            message.done_at.timestamp() - sent_at[message.object_id]
            for message in cdrs.only("object_id", "done_at")
        ]
        p50, p99 = percentiles(latencies)
        within = sum(1 for s in latencies if s <= 2.0) / len(latencies)
        print(
            f"\nsession → CDR at the hub ({len(latencies)} stops at {options.stop_rate:g}/s, "
            f"hub up): p50 {p50:.2f} s, p99 {p99:.2f} s, max {max(latencies):.2f} s; "
            f"{within:.1%} within 2 s"
        )
        sample_cdr = cdrs.first()
        answer = requests.get(
            sample_cdr.response_location,
            headers={
                "Authorization": "Token aHViLXRva2VuLWM=",  # base64("hub-token-c")
                "OCPI-from-country-code": "FR",
                "OCPI-from-party-id": "AB1",
                "OCPI-to-country-code": "FR",
                "OCPI-to-party-id": "107",
            },  # fmt: skip
            timeout=10,
        )
        print(f"  the hub serves {sample_cdr.response_location}: HTTP {answer.status_code}")

        baseline_sessions = min(100, len(charges))
        per_event = bench_baseline(t0, options.minutes, baseline_sessions, cpu)
        print(
            f"\nbaseline: session_services.record_meter_values in-process, "
            f"{baseline_sessions} sessions × {options.minutes} minutes: "
            f"{per_event * 1000:.2f} ms CPU per event (with PostgreSQL's); "
            f"API (gunicorn + PostgreSQL) ÷ baseline: "
            f"{(ms['web'] + ms['postgres']) / (per_event * 1000):.1f}×"
        )
        print(f"load average at the end: {os.getloadavg()}")
    finally:
        for process in reversed(processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
        import redis

        redis.Redis.from_url(BROKER).delete("celery")


if __name__ == "__main__":
    main()
