"""Celery tasks of the outbox: thin wrappers around delivery and services, ids only."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from . import delivery, services
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
    stale = now - dt.timedelta(seconds=settings.OUTBOX_REKICK_SECONDS)
    due = delivery.due_streams(now).filter(
        Q(kicked_at__isnull=True) | Q(kicked_at__lt=F("next_attempt_at")) | Q(kicked_at__lt=stale)
    )
    stream_ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:10_000])
    Stream.objects.filter(pk__in=stream_ids).update(kicked_at=now)
    for stream_id in stream_ids:
        deliver_stream.apply_async((stream_id,), retry=False)
    return len(stream_ids)


@shared_task
def purge() -> int:
    """Delete finished messages past OUTBOX_RETENTION_DAYS (run daily by beat)."""
    return services.purge()
