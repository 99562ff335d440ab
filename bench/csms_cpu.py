"""Benchmark: CPU and queries per CSMS bridge request, in-process (no HTTP server, no load).

    .venv/bin/python bench/csms_cpu.py [--requests 400] [--profile DIR]

The same data as bench/csms_bridge.py (its database cpo_bench_csms, the hub simulator in its
own process answering authorize at once), but each request goes through Django's test client
in this process, so `time.process_time` measures the platform's own CPU per request, free of
the machine's load. PostgreSQL's own CPU (another process) is not included; the wall time is.
Baseline in the same run: the health check (`/health`: one SELECT 1 and the outbox figures),
so the figures also read as "so many health checks". Bytes per request: how much the message
log, the processed events and the outbox grew on disk (pg_total_relation_size: heap, indexes,
TOAST), what retention has to drop. BENCH_CSMS_DB / BENCH_CSMS_BROKER: another database and
Redis DB (two checkouts benched at once).
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
            cursor.execute("SELECT " + ", ".join(f"pg_total_relation_size('{t}')" for t in tables))
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
            profile = cProfile.Profile()
            profile.runcall(lambda run=call: [run(n) for n in range(10_000, 10_200)])
            profile.dump_stats(str(Path(options.profile) / f"{name.split()[0]}.prof"))


if __name__ == "__main__":
    main()
