"""/health/workers fails when beat or the workers stop (roaming/heartbeat.py, config/celery.py)."""

import subprocess
import time

import pytest
from django.core.cache import cache
from django.test import Client

from .conftest import BIN, ROOT, database_url_of_tests, production_env, stop


def workers_health() -> tuple[int, dict]:
    answer = Client().get("/health/workers")
    return answer.status_code, answer.json()


def wait_until(condition, seconds=120) -> None:
    for _ in range(int(seconds * 5)):
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met")


@pytest.mark.worker
def test_health_follows_the_worker_and_beat(transactional_db, tmp_path, settings):
    cache.clear()
    assert workers_health()[0] == 503  # never seen: not healthy
    env = production_env(DATABASE_URL=database_url_of_tests(), HEARTBEAT_SECONDS="1")
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING",
         "--hostname=hb@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    beat = subprocess.Popen(
        [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=WARNING",
         f"--schedule={tmp_path / 'beat'}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: workers_health()[0] == 200)
        status, report = workers_health()
        assert report["stale"] == [] and set(report["age_seconds"]) == {"beat", "worker"}
        assert Client().get("/health").json()["workers"]["status"] == "ok"
    finally:
        stop(worker)
    settings.HEARTBEAT_MAX_AGE_SECONDS = 3
    wait_until(lambda: workers_health()[1]["stale"] == ["worker"])  # beat goes on alone
    assert workers_health()[0] == 503
    stop(beat)
    wait_until(lambda: workers_health()[1]["stale"] == ["beat", "worker"])
