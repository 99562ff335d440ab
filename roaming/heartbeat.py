"""Heartbeats of the background processes, for /health/workers and the alerts.

Beat writes its own every HEARTBEAT_SECONDS from a thread of its process (config/celery.py);
a worker writes one each time it runs the `worker_heartbeat` task that beat schedules, so a
fresh worker heartbeat proves beat → broker → worker works. Both live in the shared cache
(Redis in production, files for the embedded run), keyed by name, as a Unix time.
"""

import time

from django.conf import settings
from django.core.cache import cache

NAMES = ("beat", "worker")


def _key(name: str) -> str:
    return f"heartbeat:{name}"


def touch(name: str) -> None:
    """Records that `name` is alive now (kept for a day: a stale value must stay readable)."""
    cache.set(_key(name), time.time(), timeout=24 * 3600)


def report() -> dict:
    """Each heartbeat's age in seconds (None: never seen) and whether every one is fresh."""
    now = time.time()
    ages = {}
    for name in NAMES:
        at = cache.get(_key(name))
        ages[name] = None if at is None else round(now - at, 1)
    limit = settings.HEARTBEAT_MAX_AGE_SECONDS
    stale = [name for name, age in ages.items() if age is None or age > limit]
    return {"status": "stale" if stale else "ok", "stale": stale, "age_seconds": ages}
