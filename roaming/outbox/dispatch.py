"""The hand-off from the outbox to Celery, in one module: ring the doorbell after commit.

The database is the truth and Celery only a doorbell (docs/outbox.md). Whoever makes a stream
due — a producer's enqueue, an operator's action, a worker yielding its batch — calls
`kick(stream_id)`; the ids are gathered per transaction and published once it commits, one
task per stream (as pretix's TransactionAwareTask defers apply_async to on_commit,
pretix/pretix:src/pretix/base/services/tasks.py). A publish that fails leaves the stream to
the sweeper.

Tasks are published by name, so this module imports neither `tasks` nor `delivery`: `tasks`
imports `delivery` and `services`, both import this module, and nothing imports back.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

from .models import Stream

logger = logging.getLogger(__name__)

DELIVER_TASK = "roaming.outbox.tasks.deliver_stream"


def _connected(conn) -> None:
    # Fail within milliseconds when the broker is away: kombu's default connection retries
    # took 6 s per publish, so each producer's commit (and each sweep, per stream) hung that
    # long while Redis was down (found by test_redis_restarted_mid_run_loses_no_message).
    conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=1)


def publish(stream_ids) -> list[int]:
    """Publish one deliver_stream task per stream over one pooled connection; stop at the
    first failure (the broker is away: the sweeper catches up). Returns the ids published."""
    sent: list[int] = []
    try:
        with current_app.pool.acquire(block=True) as conn:
            _connected(conn)
            for stream_id in stream_ids:
                # retry=False: a producer's commit never waits for an absent broker.
                current_app.send_task(DELIVER_TASK, (stream_id,), retry=False, connection=conn)
                sent.append(stream_id)
    except Exception:  # noqa: BLE001 - any broker failure: the sweeper catches up
        logger.warning(
            "Outbox: broker unavailable, %d stream(s) left to the sweeper",
            len(stream_ids) - len(sent),
        )
    return sent


def queued_tasks() -> int | None:
    """Tasks waiting in the broker's default queue (None when the broker cannot tell)."""
    try:
        with current_app.pool.acquire(block=True) as conn:
            _connected(conn)
            queue = current_app.conf.task_default_queue
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:  # noqa: BLE001 - broker away or no count: decide without it
        return None


class _Kicks:
    """Stream ids to hand to Celery when the current transaction commits (one task each)."""

    def __init__(self):
        self.stream_ids: set[int] = set()

    def __call__(self):
        sent = publish(sorted(self.stream_ids))
        failed = self.stream_ids.difference(sent)
        if failed:
            # Not kicked after all: the next sweep enqueues them (it skips kicked streams).
            Stream.objects.filter(pk__in=failed).update(kicked_at=None)


def kick(stream_id: int) -> None:
    """Deliver `stream_id` soon after commit; one task per stream per transaction."""
    connection = transaction.get_connection()
    kicks = getattr(connection, "_outbox_kicks", None)
    # Still registered means this transaction will run it (not rolled back, not yet run).
    if kicks is None or not any(entry[1] is kicks for entry in connection.run_on_commit):
        kicks = connection._outbox_kicks = _Kicks()
        transaction.on_commit(kicks, robust=True)
    kicks.stream_ids.add(stream_id)
