"""Reads of the outbox for people and monitors: per-platform backlog, stuck streams.

One definition serves the admin overview, /metrics and /health, so the three never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from .delivery import due_streams
from .models import Message, Stream

WAITING = [Message.State.PENDING, Message.State.REJECTED]


@dataclass(frozen=True)
class PlatformBacklog:
    """What one platform still has to receive from us, and how it went so far."""

    platform_id: int
    platform_name: str
    paused: bool
    pending_messages: int
    streams_waiting: int
    held_streams: int
    oldest_pending_at: dt.datetime | None
    delivered_total: int
    failures_total: int
    rejected_total: int

    def oldest_pending_age(self, now: dt.datetime) -> float:
        """Seconds the oldest undelivered message has waited (0 when none waits)."""
        if self.oldest_pending_at is None:
            return 0.0
        return max((now - self.oldest_pending_at).total_seconds(), 0.0)


def platform_backlogs() -> list[PlatformBacklog]:
    """One row per platform that ever had a stream (two aggregate queries in all)."""
    waiting = {
        row["stream__platform"]: row
        for row in Message.objects.filter(state__in=WAITING)
        .values("stream__platform")
        .annotate(
            pending=Count("pk"),
            streams=Count("stream", distinct=True),
            oldest=Min("created_at"),
        )
    }
    totals = (
        Stream.objects.values("platform", "platform__name", "platform__push_paused")
        .annotate(
            held=Count("pk", filter=Q(held=True)),
            delivered=Sum("delivered_count"),
            failures=Sum("failure_count"),
            rejected=Sum("rejected_count"),
        )
        .order_by("platform__name")
    )
    backlogs = []
    for row in totals:
        pending = waiting.get(row["platform"], {})
        backlogs.append(
            PlatformBacklog(
                platform_id=row["platform"],
                platform_name=row["platform__name"],
                paused=row["platform__push_paused"],
                pending_messages=pending.get("pending", 0),
                streams_waiting=pending.get("streams", 0),
                held_streams=row["held"],
                oldest_pending_at=pending.get("oldest"),
                delivered_total=row["delivered"] or 0,
                failures_total=row["failures"] or 0,
                rejected_total=row["rejected"] or 0,
            )
        )
    return backlogs


def stuck_streams(now: dt.datetime | None = None):
    """Streams due for longer than OUTBOX_STUCK_SECONDS: no worker is delivering them.

    A stream in backoff (hub failing) is not stuck: its next_attempt_at lies ahead. A held
    stream waits for a person (admin), a paused platform was paused on purpose.
    """
    now = now or timezone.now()
    overdue = now - dt.timedelta(seconds=settings.OUTBOX_STUCK_SECONDS)
    return due_streams(now).filter(next_attempt_at__lte=overdue)
