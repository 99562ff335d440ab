"""The production configuration run for real: subprocesses with the documented production
environment (.env.production.example), on this test run's PostgreSQL and Redis."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
FILLER = "Zq8vW3nR6tY1uI4oP7aS2dF5gH9jK0lXcVbNmQwErTyUiOpAsDfGhJk"  # long enough for SECRET_KEY


def production_env(**overrides) -> dict:
    """.env.production.example with its <placeholders> filled, pointed at the test databases."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    for line in (ROOT / ".env.production.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = re.sub(r"<[^>]*>", FILLER, value)
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        env[key] = os.environ[key]
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # tests that want it set their own directory
    env.update(overrides)
    return env


def manage(*args, env: dict, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=check, timeout=600,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, **kwargs) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=2, **kwargs)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """`collectstatic` as the release step runs it: hashed, compressed copies."""
    root = tmp_path_factory.mktemp("static")
    manage("collectstatic", "--no-input", env=production_env(STATIC_ROOT=str(root)))
    return root


def database_url_of_tests() -> str:
    """The pytest-django test database, for processes started by a test."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def gunicorn(static_root, transactional_db):
    """Starts gunicorn with deploy/gunicorn.conf.py and the production environment."""
    procs = []

    def start(**overrides) -> str:
        port = free_port()
        env = production_env(
            STATIC_ROOT=str(static_root), GUNICORN_BIND=f"127.0.0.1:{port}", WEB_WORKERS="1",
            WEB_THREADS="2", DATABASE_URL=database_url_of_tests(), **overrides,
        )
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/health", proc)
        return url

    yield start
    for proc in procs:
        stop(proc)
