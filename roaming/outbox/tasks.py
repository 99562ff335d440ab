"""Celery tasks of the outbox: thin wrappers around delivery and services, ids only."""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from . import delivery, services
from .models import Stream

logger = logging.getLogger(__name__)


@shared_task
def deliver_stream(stream_id: int) -> int:
    """Deliver one stream's queued messages in order (no-op if leased, held or not due)."""
    return delivery.deliver_stream(stream_id)


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
        with deliver_stream.app.pool.acquire(block=True) as conn:
            _connected(conn)
            for stream_id in stream_ids:
                deliver_stream.apply_async((stream_id,), retry=False, connection=conn)
                sent.append(stream_id)
    except Exception:  # noqa: BLE001 - any broker failure: the sweeper catches up
        logger.warning(
            "Outbox: broker unavailable, %d stream(s) left to the sweeper",
            len(stream_ids) - len(sent),
        )
    return sent


def queued_tasks() -> int | None:
    """Tasks waiting in the broker's default queue (None when the broker cannot tell)."""
    app = deliver_stream.app
    try:
        with app.pool.acquire(block=True) as conn:
            _connected(conn)
            queue = app.conf.task_default_queue
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:  # noqa: BLE001 - broker away or no count: decide without it
        return None


@shared_task
def sweep() -> int:
    """Run by beat every OUTBOX_SWEEP_SECONDS: enqueue every due stream (retries after
    backoff, expired leases of dead workers, tasks lost by the broker)."""
    now = timezone.now()
    # A stream that became due after its last kick (backoff over, lease expired, recovered
    # platform, kick that failed) is enqueued now.
    due = Q(kicked_at__isnull=True) | Q(kicked_at__lt=F("next_attempt_at"))
    if not queued_tasks():
        # Bug found by test_worker_faults (two workers over 500 streams, Redis restart):
        # re-enqueuing every stream kicked more than OUTBOX_REKICK_SECONDS ago, whatever the
        # queue held, added a duplicate per backlogged stream each time, so the queue grew
        # faster than it drained. A stale kick means a lost task only once the queue is
        # empty (a restarted Redis is): only then are those streams enqueued again.
        stale = now - dt.timedelta(seconds=settings.OUTBOX_REKICK_SECONDS)
        due |= Q(kicked_at__lt=stale)
    stream_ids = list(
        delivery.due_streams(now)
        .filter(due)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:10_000]
    )
    # Marked only once published: a stream whose publish failed is due again next sweep.
    sent = publish(stream_ids)
    Stream.objects.filter(pk__in=sent).update(kicked_at=now)
    return len(sent)


@shared_task
def purge() -> int:
    """Delete finished messages past OUTBOX_RETENTION_DAYS (run daily by beat)."""
    return services.purge()
