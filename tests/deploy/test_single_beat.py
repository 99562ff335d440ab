"""Exactly one beat: a second `celery beat` against the same Redis exits (config/celery.py)."""

import subprocess
import time

import redis
from django.conf import settings

from config.celery import BEAT_LOCK_NAME

from .conftest import BIN, ROOT, database_url_of_tests, production_env, stop


def beat(tmp_path, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO",
         f"--schedule={tmp_path / name}"],
        cwd=ROOT, env=production_env(DATABASE_URL=database_url_of_tests()),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_a_second_beat_exits_while_the_first_runs(tmp_path, transactional_db):
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(BEAT_LOCK_NAME)
    first = beat(tmp_path, "first")
    try:
        for _ in range(300):
            if broker.exists(BEAT_LOCK_NAME) or first.poll() is not None:
                break
            time.sleep(0.2)
        assert first.poll() is None and broker.exists(BEAT_LOCK_NAME)
        second = beat(tmp_path, "second")
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 1
        assert "another beat holds the Redis lock" in output
        assert first.poll() is None  # the first one goes on
    finally:
        stop(first)
        broker.delete(BEAT_LOCK_NAME)


def test_embedded_run_a_second_beat_exits_too(tmp_path, transactional_db):
    """Without Redis (.ci/start) the lock is var/celerybeat.lock, held by the live process."""
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    env = production_env(DATABASE_URL=database_url_of_tests(), CELERY_BROKER_URL=broker)

    def embedded_beat(name):
        return subprocess.Popen(
            [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO",
             f"--schedule={tmp_path / name}"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    first = embedded_beat("first")
    try:
        for line in first.stdout:  # started once it sends its first task
            if "Sending due task" in line:
                break
        second = embedded_beat("second")
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 1
        assert "another beat holds var/celerybeat.lock" in output
        assert first.poll() is None
    finally:
        stop(first)


def test_consumed_messages_of_the_embedded_broker_are_deleted(tmp_path, settings):
    """kombu's SQLAlchemy transport keeps consumed rows; the hourly task deletes them."""
    from kombu import Connection

    from config.tasks import purge_consumed_broker_messages

    settings.CELERY_BROKER_URL = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    with Connection(settings.CELERY_BROKER_URL) as conn:
        queue = conn.SimpleQueue("test")
        for n in range(3):
            queue.put({"n": n})
        queue.get(timeout=5).ack()
        assert purge_consumed_broker_messages() == 1  # the consumed one, not the two waiting
        assert queue.qsize() == 2
        queue.close()
