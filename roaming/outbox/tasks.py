"""Celery tasks of the outbox: thin wrappers around delivery and services, ids only.

Published by `dispatch` by name, after commit: no other outbox module imports this one.
"""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from . import delivery, services
from .dispatch import publish, queued_tasks
from .models import Stream


@shared_task
def deliver_stream(stream_id: int) -> int:
    """Deliver one stream's queued messages in order (no-op if leased, held or not due)."""
    return delivery.deliver_stream(stream_id)


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
