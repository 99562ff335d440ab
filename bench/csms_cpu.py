"""Benchmark: CPU and queries per CSMS bridge request, in-process (no HTTP server, no load).

    .venv/bin/python bench/csms_cpu.py [--requests 400] [--profile DIR]

The same data as bench/csms_bridge.py (its database cpo_bench_csms, the hub simulator in its
own process answering authorize at once), but each request goes through Django's test client
in this process, so `time.process_time` measures the platform's own CPU per request, free of
the machine's load. PostgreSQL's own CPU (another process) is not included; the wall time is.
Baseline in the same run: the health check (`/health`: one SELECT 1 and the outbox figures),
so the figures also read as "so many health checks". Bytes per request: how much the message
log, the processed events and the outbox grew on disk (pg_total_relation_size: heap, indexes,
TOAST, summed over the day partitions), what retention has to drop. BENCH_CSMS_DB /
BENCH_CSMS_BROKER: another database and Redis DB (two checkouts benched at once).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import csms_bridge as bench  # noqa: E402 (sets the environment before Django loads)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--profile", help="write cProfile stats of each kind into this folder")
    parser.add_argument(
        "--meter-samples", type=int, default=600, help="meter events per session (0: none)"
    )
    options = parser.parse_args()
    (bench.REPO / "var").mkdir(exist_ok=True)
    bench.create_database()
    port = bench.free_port()
    hub = bench.start(
        [sys.executable, "manage.py", "hub_simulator", "--port", str(port), "--demo-tokens",
         "--quiet"]
    )  # fmt: skip
    try:
        bench.wait_port(port)
        key, ids = bench.setup(f"http://127.0.0.1:{port}/ocpi")
        run(key, ids, options)
    finally:
        os.killpg(hub.pid, 15)


def run(key: str, ids: list, options) -> None:
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")

    def post(path: str, body: dict) -> dict:
        answer = client.post(path, json.dumps(body), content_type="application/json")
        assert answer.status_code == 200, answer.content
        return answer.json()

    def health(n: int) -> None:
        assert client.get("/health").status_code == 200

    def status(n: int) -> None:
        location_id, evse_uid = ids[n % len(ids)]
        word = ["Charging", "Available"][(n // len(ids)) % 2]  # every event a change
        event = bench.event(location_id, evse_uid, protocol="ocpp1.6", status=word)
        assert post("/api/csms/v1/evse-status", event)["applied"]

    def swipe(n: int) -> None:
        location_id, evse_uid = ids[n % len(ids)]
        assert post("/api/csms/v1/authorize", bench.event(location_id, evse_uid, id_tag=bench.UID))[
            "accepted"
        ]

    tables = ["roaming_messagelog", "csms_processedevent", "outbox_message"]

    def sizes() -> list[int]:
        """Bytes on disk (heap, indexes, TOAST) of what every event writes."""
        with connection.cursor() as cursor:
            # Summed over the table's partitions (a partitioned parent has no storage itself).
            sums = [
                f"coalesce((SELECT sum(pg_total_relation_size(relid))"
                f" FROM pg_partition_tree('{t}')), pg_total_relation_size('{t}'))"
                for t in tables
            ]
            cursor.execute("SELECT " + ", ".join(sums))
            return list(cursor.fetchone())

    print(f"{options.requests} requests of each kind, in-process, {len(ids)} EVSEs")
    print(
        f"  {'':28} {'queries':>8} {'CPU ms':>8} {'wall ms':>8} {'× health':>9}"
        "   bytes/request: log, event, outbox"
    )
    base = None
    for name, call in [("health check (baseline)", health), ("EVSE status event", status),
                       ("authorize (hub decides)", swipe)]:  # fmt: skip
        for n in range(20):
            call(n)  # warm-up; leaves every EVSE in a known state for the alternation
        queries = []

        def counted(execute, sql, params, many, context, log=queries):
            log.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            call(20)
        before = sizes()
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(21, 21 + options.requests):
            call(n)
        cpu_ms = (time.process_time() - cpu) / options.requests * 1000
        wall_ms = (time.perf_counter() - wall) / options.requests * 1000
        grown = [(b - a) / options.requests for a, b in zip(before, sizes(), strict=True)]
        base = base or cpu_ms
        print(
            f"  {name:28} {len(queries):8} {cpu_ms:8.2f} {wall_ms:8.2f} {cpu_ms / base:9.1f}"
            f"   {grown[0]:6.0f} {grown[1]:6.0f} {grown[2]:6.0f}"
        )
        if options.profile:
            profile = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
            profile.runcall(lambda run=call: [run(n) for n in range(10_000, 10_200)])
            profile.dump_stats(str(Path(options.profile) / f"{name.split()[0]}.prof"))
    if options.meter_samples:
        meter(post, ids, options.meter_samples, base, profile_dir=options.profile)


def meter(post, ids: list, count: int, base: float, sessions: int = 5, profile_dir=None) -> None:
    """Meter events of `sessions` charges, one sample per event, one a minute: the CPU and
    queries of an event at the first samples and at the last ones (flat: no growth)."""
    import datetime as dt

    from django.db import connection

    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=count + 5)
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    charges = []
    for n in range(sessions):
        location_id, evse_uid = ids[-1 - n]
        swipe = bench.event(location_id, evse_uid, id_tag=bench.UID)
        allowed = post("/api/csms/v1/authorize", swipe)
        tx = f"BENCH-{start:%H%M%S}-{n}"
        started = bench.event(
            location_id, evse_uid, timestamp=stamp(start), transaction_id=tx, meter_start_wh=0,
            authorization_id=allowed["authorization_id"],
        )  # fmt: skip
        post("/api/csms/v1/transaction-started", started)
        charges.append(tx)
    cpu_at, queries_at = {}, {}
    profile = cProfile.Profile(time.process_time) if profile_dir else None
    for k in range(1, count + 1):
        at = stamp(start + dt.timedelta(minutes=k))
        sample = {"timestamp": at, "energy_wh": 120 * k, "power_w": "7200"}
        for tx in charges:
            event = {"event_id": f"{tx}-{k}", "timestamp": at, "transaction_id": tx,
                     "samples": [sample]}  # fmt: skip
            queries = []

            def counted(execute, sql, params, many, context, log=queries):
                log.append(sql)
                return execute(sql, params, many, context)

            cpu = time.process_time()
            with connection.execute_wrapper(counted):
                if profile and k > count - 10:
                    profile.enable()
                assert post("/api/csms/v1/meter-values", event)["applied"]
                if profile and k > count - 10:
                    profile.disable()
            cpu_at.setdefault(k, []).append(time.process_time() - cpu)
            queries_at[k] = len(queries)
    window = max(1, min(10, count // 10))
    edges = [("first", range(1, window + 1)), ("last", range(count - window + 1, count + 1))]
    for label, ks in edges:
        values = [v for k in ks for v in cpu_at[k]]
        cpu_ms = sum(values) / len(values) * 1000
        name = f"meter event, samples {ks[0]}-{ks[-1]}"
        print(f"  {name:28} {queries_at[ks[-1]]:8} {cpu_ms:8.2f} {'':>8} {cpu_ms / base:9.1f}")
        if label == "first":
            first = cpu_ms
    print(f"  meter event at sample {count} / at sample 1: {cpu_ms / first:.2f}x")
    if profile:
        profile.dump_stats(str(Path(profile_dir) / "meter.prof"))


if __name__ == "__main__":
    main()
