"""The hand-off from commands to Celery, in one module: ring after commit, by task name.

The database is the truth (docs/commands.md): a task that is never published or is lost
leaves its command to `tasks.sweep` (beat), which finds what is due. Tasks are named, so
`services` and `callbacks` never import `tasks` (which imports them).
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

TASKS = "sessions.commands.tasks."


def ring(task: str, command_pk: int, *, eta: dt.datetime | None = None) -> None:
    """Run `tasks.<task>(command_pk)` after the current transaction commits (at `eta`)."""
    transaction.on_commit(lambda: publish(task, command_pk, eta=eta))


def publish(task: str, command_pk: int, *, eta: dt.datetime | None = None, countdown=None):
    try:
        with current_app.pool.acquire(block=True) as conn:
            # Fail fast when the broker is away: the sweeper catches up (roaming.outbox.dispatch).
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=1)
            current_app.send_task(
                TASKS + task,
                (command_pk,),
                eta=eta,
                countdown=countdown,
                retry=False,
                connection=conn,
            )
    except Exception:  # noqa: BLE001 - any broker failure: the sweeper catches up
        logger.warning("Commands: broker unavailable, %s(%s) left to the sweeper", task, command_pk)
