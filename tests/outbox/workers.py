"""Real Celery worker processes and a private Redis for the outbox fault tests.

Workers are `celery -A config worker` subprocesses on the pytest-django test database (the
tests run with transaction=True, so what the test writes is committed and visible to them)
and on a redis-server of their own, which a test may restart without touching the shared
Redis on 6379. The test process publishes to that same Redis (kicks after commit, sweeps).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))

# Short backoff and leases so faults resolve within seconds (read with env in settings).
WORKER_ENV = {
    "OUTBOX_BACKOFF_BASE_SECONDS": "0.2",
    "OUTBOX_BACKOFF_CAP_SECONDS": "1",
    "OUTBOX_LEASE_MARGIN_SECONDS": "0.5",
    "OUTBOX_BATCH": "50",
    "LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, every: float = 0.1, tick=None, what: str = ""):
    """Poll `predicate` until it is true (returned), calling `tick` between polls."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        if tick is not None:
            tick()
        time.sleep(every)


class PrivateRedis:
    """redis-server on a free loopback port, no persistence: a restart loses every task."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what="redis-server to listen")
        return self

    def _answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash: nothing saved, connections cut
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class Workers:
    """Starts and stops `celery worker` processes (each in its own process group)."""

    def __init__(self, *, database_url: str, broker_url: str, logs: Path):
        self.database_url, self.broker_url, self.logs = database_url, broker_url, logs
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *, concurrency: int = 2, beat: bool = False, **env) -> None:
        environment = os.environ | WORKER_ENV | {k: str(v) for k, v in env.items()}
        environment |= {"DATABASE_URL": self.database_url, "CELERY_BROKER_URL": self.broker_url}
        log = self.logs / f"{name}.log"
        command = [CELERY, "-A", "config", "worker", "-n", f"{name}@%h", "-c", str(concurrency)]
        command += ["-P", "prefork", "--without-gossip", "--without-mingle", "-l", "INFO"]
        if beat:
            command += ["-B", "-s", str(self.logs / f"{name}-beat-schedule")]
        with log.open("ab") as out:
            self.processes[name] = subprocess.Popen(
                command, cwd=REPO, env=environment, stdout=out, stderr=out, start_new_session=True
            )
        wait_until(
            lambda: self._ready(name, log), timeout=30, every=0.2, what=f"worker {name} ready"
        )

    def _ready(self, name: str, log: Path) -> bool:
        process = self.processes[name]
        if process.poll() is not None:
            raise AssertionError(f"worker {name} exited:\n{log.read_text()[-3000:]}")
        return b" ready." in log.read_bytes()

    def kill(self, name: str) -> None:
        """SIGKILL the worker and its pool processes at once (no warm shutdown, no acks)."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-2000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )


def point_celery_at(broker_url: str) -> str:
    """Make this process publish to `broker_url`; returns the previous URL."""
    from config.celery import app

    previous = app.conf.broker_url
    # Celery reads CELERY_BROKER_URL from the environment before its settings. Pools are
    # kept by kombu per URL: forget this app's, the next publish builds new ones.
    os.environ["CELERY_BROKER_URL"] = broker_url
    app.conf.broker_url = broker_url
    app._pool = None
    app.amqp._producer_pool = None
    return previous
