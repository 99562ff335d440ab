import logging
import os
import sys
import threading

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cpo_roaming")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger("config.celery")


@worker_process_init.connect
def _keep_database_connections(**kwargs):
    """Worker processes keep their PostgreSQL connection between tasks (unless DATABASE_URL
    sets conn_max_age): a push task is a few milliseconds, a new connection costs as much.
    Celery's Django fixup still closes unusable or obsolete connections after each task."""
    from django.db import connections

    for connection in connections.all():
        if connection.vendor == "postgresql" and not connection.settings_dict.get("CONN_MAX_AGE"):
            connection.settings_dict["CONN_MAX_AGE"] = int(
                os.environ.get("CELERY_WORKER_CONN_MAX_AGE", "300")
            )
            connection.settings_dict["CONN_HEALTH_CHECKS"] = True


_task_log_tokens: dict[str, object] = {}


@task_prerun.connect
def _bind_task_correlation(task_id=None, **kwargs):
    """Every log line of a task carries its task id as correlation id (roaming/logs.py)."""
    from roaming import logs

    _task_log_tokens[task_id] = logs.bind(task_id or "-")


@task_postrun.connect
def _unbind_task_correlation(task_id=None, **kwargs):
    from roaming import logs

    token = _task_log_tokens.pop(task_id, None)
    if token is not None:
        logs.unbind(token)


# --- Exactly one beat ---
# Two beats would send every periodic task twice (harmless for the idempotent sweeps, but
# twice the load and misleading heartbeats). With a Redis broker a beat takes a Redis lock at
# start and refreshes it with its heartbeat; a second beat finds it taken and exits with
# status 1 (systemd restarts it after RestartSec: it takes over once the first one is gone).
# The embedded run (.ci/start) locks a file instead: a worker killed by SIGKILL leaves its
# embedded beat process behind, and the restarted worker's beat must not double it.
BEAT_LOCK_NAME = "cpo-roaming:beat"
_beat_lock_file = None  # the embedded run's lock, held open for the life of the process


def beat_lock(url: str):
    """The Redis lock of the single beat, or None when the broker is not Redis (embedded run:
    .ci/start runs beat inside its one worker)."""
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis
    from django.conf import settings

    lease = max(3 * settings.HEARTBEAT_SECONDS, 30)
    return redis.Redis.from_url(url).lock(BEAT_LOCK_NAME, timeout=lease, thread_local=False)


def _beat_alive(lock, stop: threading.Event) -> None:
    """Beat's heartbeat, and the lock's refresh; a beat that lost its lock stops."""
    from django.conf import settings
    from redis.exceptions import LockNotOwnedError

    from roaming import heartbeat

    parent = os.getppid()
    while not stop.wait(settings.HEARTBEAT_SECONDS):
        if os.getppid() != parent:
            # The worker this beat was embedded in (.ci/start) died: its restart brings one.
            logger.error("beat's parent process is gone; stopping")
            os._exit(0)
        try:
            if lock is not None:
                lock.reacquire()
            heartbeat.touch("beat")
        except LockNotOwnedError:
            logger.error("beat lost its Redis lock %s: another beat runs; stopping", lock.name)
            os._exit(1)
        except Exception:  # Redis restarting: keep beating, the next round retries
            logger.exception("beat heartbeat failed")


def _lock_file() -> bool:
    """flock on var/celerybeat.lock; the system releases it when the process dies. Waits for
    an orphaned beat to notice its worker died (it checks every HEARTBEAT_SECONDS)."""
    import fcntl
    import time

    from django.conf import settings

    global _beat_lock_file
    settings.VAR_DIR.mkdir(exist_ok=True)
    _beat_lock_file = open(settings.VAR_DIR / "celerybeat.lock", "w")  # noqa: SIM115
    deadline = time.monotonic() + 2 * settings.HEARTBEAT_SECONDS + 5
    while True:
        try:
            fcntl.flock(_beat_lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(1)


@beat_init.connect
def _single_beat(sender=None, **kwargs):
    from roaming import heartbeat

    lock = beat_lock(app.conf.broker_url or "")
    if lock is not None and not lock.acquire(blocking=False):
        logger.error(
            "another beat holds the Redis lock %s: exactly one beat may run; exiting",
            BEAT_LOCK_NAME,
        )
        sys.exit(1)
    if lock is None and not _lock_file():
        logger.error("another beat holds var/celerybeat.lock: exactly one beat may run; exiting")
        sys.exit(1)
    heartbeat.touch("beat")
    threading.Thread(
        target=_beat_alive, args=(lock, threading.Event()), name="beat-heartbeat", daemon=True
    ).start()
