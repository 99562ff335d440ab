"""Soak test of the embedded run (`bash .ci/start`): N minutes of simulator traffic, then
nothing lost, nothing crashed (beyond the worker we kill on purpose), same admin password.

    .venv/bin/python bench/soak.py --minutes 30

In a scratch copy of the repository (as `.ci/run` does): starts `.ci/start` (SQLite, the
SQLAlchemy/SQLite broker, no server), the hub simulator with the demo tokens, registers with
it, then loops until the time is up: the CSMS simulator's statuses and badges (valid, blocked,
unknown, malformed…), and a full charging session on the next EVSE (swipe → start → meter
values → stop → CDR). Halfway through it kills the Celery worker with SIGKILL: the supervisor
of `.ci/start` must restart it, the web server must not notice. At the end it waits for the
outbox to drain and prints the figures. Exit status 1 if any check fails. Not run in CI.
"""

import argparse
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_copy() -> Path:
    scratch = Path(tempfile.mkdtemp(prefix="soak-"))
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        target = scratch / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / name.decode()).read_bytes())
    (scratch / ".venv").symlink_to(ROOT / ".venv")
    return scratch


def embedded_env() -> dict:
    """This shell's environment without the server URLs: the embedded defaults apply."""
    env = dict(os.environ)
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "REDIS_URL", "DEBUG"):
        env.pop(key, None)
    return env


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below `pid` (our own process tree only)."""
    rows = subprocess.run(
        ["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    children: dict[int, list[tuple[int, str]]] = {}
    for row in rows:
        child, parent, args = row.strip().split(None, 2)
        children.setdefault(int(parent), []).append((int(child), args))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def admin_login_works(base: str, password: str) -> bool:
    with requests.Session() as browser:
        browser.get(f"{base}/admin/login/", timeout=10)
        answer = browser.post(
            f"{base}/admin/login/?next=/admin/",
            data={  # the staff login page (two-factor wizard, roaming.accounts): step 1
                "staff_login_view-current_step": "auth",
                "auth-username": "admin",
                "auth-password": password,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "next": "/admin/",
            },
            headers={"Referer": f"{base}/admin/login/"},
            timeout=10,
        )
        return answer.status_code == 200 and answer.url.rstrip("/").endswith("/admin")


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--no-kill", action="store_true", help="do not kill the worker halfway")
    args = parser.parse_args()

    scratch = scratch_copy()
    env = embedded_env()
    port, hub_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    py = [str(scratch / ".venv/bin/python"), "manage.py"]
    start_log = open(scratch / "start.log", "w")  # noqa: SIM115 (open for the whole run)
    hub_log = open(scratch / "hub.log", "w")  # noqa: SIM115
    start = subprocess.Popen(
        ["setsid", "bash", ".ci/start"], cwd=scratch, env={**env, "PORT": str(port)},
        stdout=start_log, stderr=subprocess.STDOUT,
    )
    hub = None
    failures: list[str] = []
    try:
        for _ in range(300):
            try:
                requests.get(f"{base}/health", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(1)
        else:
            raise SystemExit(f".ci/start did not answer: see {scratch / 'start.log'}")
        password = re.search(r"Password: (\S+)", (scratch / "start.log").read_text()).group(1)
        manage_env = {**env, "PYTHONUNBUFFERED": "1"}
        hub = subprocess.Popen(
            [*py, "hub_simulator", "--port", str(hub_port), "--demo-tokens"], cwd=scratch,
            env=manage_env, stdout=hub_log, stderr=subprocess.STDOUT,
        )
        time.sleep(3)

        def manage(*cmd) -> str:
            return subprocess.run(
                [*py, *cmd], cwd=scratch, env=manage_env, capture_output=True, text=True,
                check=True,
            ).stdout

        manage("ocpi_register", "Gireve sim", "--versions-url",
               f"http://127.0.0.1:{hub_port}/ocpi/versions", "--token", "hub-token-a")
        manage("ocpi_push_all", "Gireve sim")
        key = re.search(r"csms_\S+", manage(
            "csms_create", "Demo CSMS", "--operator", "FR*AB1", "--operator", "FR*XY2"
        )).group(0)
        evses = manage("shell", "-c", (
            "from locations.models import EVSE\n"
            "from sessions.csms.models import Csms\n"
            "csms = Csms.objects.get(name='Demo CSMS')\n"
            "for e in EVSE.objects.filter(csms.evses_in_scope()).distinct()"
            ".exclude(status__in=['REMOVED', 'PLANNED']).select_related('location'):"
            " print(f'{e.location.ocpi_id}/{e.uid}')"
        )).split()
        evses = [line for line in evses if "/" in line]  # (shell's own "N objects imported")
        print(f"{len(evses)} EVSEs in the CSMS's scope")

        count_cdrs = ("from sessions.models import Cdr\n"
                      "print(Cdr.objects.count())")
        cdrs_before = int(manage("shell", "-c", count_cdrs).split()[-1])  # the demo data's
        deadline = time.monotonic() + args.minutes * 60
        halfway = time.monotonic() + args.minutes * 30
        killed = 0
        rounds = sessions = errors = 0
        while time.monotonic() < deadline:
            if not args.no_kill and not killed and time.monotonic() > halfway:
                worker = [pid for pid, cmd in descendants(start.pid)
                          if "celery" in cmd and " worker" in cmd]
                for pid in worker:
                    os.kill(pid, signal.SIGKILL)
                killed = len(worker)
                print(f"killed the worker (pid {worker}) at {dt.datetime.now():%H:%M:%S}")
            evse = evses[sessions % len(evses)]
            # Each EVSE's next session 3 h before its previous one: never overlapping.
            begin = dt.datetime.now(dt.UTC) - dt.timedelta(hours=4 + 3 * (sessions // len(evses)))
            for cmd in (
                ["csms_simulator", "--key", key, "--url", f"{base}/api/csms/v1",
                 "--rounds", "6", "--pause", "0.2"],
                ["csms_simulator", "--key", key, "--url", f"{base}/api/csms/v1", "--session",
                 "--evse", evse, "--start", begin.isoformat(), "--speed", "0"],
            ):
                result = subprocess.run([*py, *cmd], cwd=scratch, env=manage_env,
                                        capture_output=True, text=True)
                if result.returncode != 0:
                    errors += 1
                    print("simulator failed:", result.stdout[-300:], result.stderr[-300:])
            rounds += 1
            sessions += 1
            if rounds % 10 == 0:
                print(f"{dt.datetime.now():%H:%M:%S} {rounds} rounds, {errors} errors")

        # Drain: the outbox must empty (every session PUT and CDR POST delivered).
        report = {}
        for _ in range(180):
            report = requests.get(f"{base}/health", timeout=10).json()
            if report["outbox"]["pending_messages"] == 0:
                break
            time.sleep(1)
        counts = manage("shell", "-c", (
            "from sessions.models import Session, Cdr\n"
            "from roaming.outbox.models import Message as M\n"
            "print(Session.objects.count(), Cdr.objects.count(), M.objects.count())"
        )).split()[-3:]
        hub_text = (scratch / "hub.log").read_text()
        cdr_posts = len(re.findall(r"POST /ocpi/2\.2\.1/cdrs", hub_text))
        log = (scratch / "start.log").read_text()
        restarts = log.count("supervise:")
        print(
            f"\n{args.minutes:g} min: {rounds} rounds ({6 * rounds} badge visits and statuses, "
            f"{sessions} sessions), simulator errors {errors};\n"
            f"our database: {counts[0]} sessions, {int(counts[1]) - cdrs_before} new CDRs "
            f"(besides the demo data's {cdrs_before}), {counts[2]} outbox messages; the hub "
            f"received {cdr_posts} CDR POSTs;\n"
            f"outbox after the drain: {report.get('outbox')};\n"
            f"worker killed {'once' if killed else 'never'} ({killed} processes: worker and "
            f"its embedded beat), restarts by the supervisor {restarts}, "
            f"heartbeats {report.get('workers')}"
        )
        if errors:
            failures.append(f"{errors} simulator runs failed")
        if report["outbox"]["pending_messages"] or report["outbox"]["held_streams"]:
            failures.append("the outbox did not drain")
        if cdr_posts < int(counts[1]) - cdrs_before:
            failures.append("CDRs missing at the hub")
        if restarts != (1 if killed else 0):
            failures.append(f"{restarts} restarts for {1 if killed else 0} kill")
        if report.get("workers", {}).get("stale"):
            failures.append(f"stale heartbeats: {report['workers']}")
        if not admin_login_works(base, password):
            failures.append("the admin password printed at start no longer works")
        else:
            print("admin login with the password printed at start: OK")
    finally:
        if hub:
            hub.terminate()
        os.killpg(start.pid, signal.SIGTERM)
        start.wait(timeout=60)
    print("FAILED: " + "; ".join(failures) if failures else "soak: OK", f"(logs in {scratch})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
