"""Retention of what every bridge event appends (issue 21): the day partitions of processed
events and meter samples (roaming.partitions), created ahead and dropped when old.

The message log's old days are dropped by its own purge (roaming.message_log.purge)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone

from roaming import partitions
from roaming.models import MessageLog

from .csms.models import ProcessedEvent
from .enums import SessionStatus
from .models import MeterSample, Session

FINISHED = (SessionStatus.COMPLETED, SessionStatus.INVALID)


def _open_sessions_sql() -> str:
    table = connection.ops.quote_name(Session._meta.db_table)
    finished = ", ".join(f"'{status}'" for status in FINISHED)
    return f"session_id IN (SELECT id FROM {table} WHERE status NOT IN ({finished}))"


def _has_open_sessions(partition: str) -> bool:
    """A day of samples still read by a session that is not finished: kept for now."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(partition)}"
            f" WHERE {_open_sessions_sql()})"
        )
        return cursor.fetchone()[0]


def maintain(now: dt.datetime | None = None) -> dict[str, list[str]]:
    """Create the next PARTITION_DAYS_AHEAD days of each partitioned table, drop the days of
    processed events and of samples past their retention (samples of a session still open
    are kept: the whole day waits); the partitions created and dropped, by table."""
    now = now or timezone.now()
    ahead = settings.PARTITION_DAYS_AHEAD
    done: dict[str, list[str]] = {}
    for model in (MessageLog, ProcessedEvent, MeterSample):
        done[model._meta.db_table] = partitions.ensure_partitions(
            model, ahead, today=now.astimezone(dt.UTC).date()
        )
    events_cutoff = now - dt.timedelta(days=settings.CSMS_EVENT_RETENTION_DAYS)
    done["dropped"] = partitions.drop_partitions_older_than(ProcessedEvent, events_cutoff)
    samples_cutoff = now - dt.timedelta(days=settings.METER_SAMPLE_RETENTION_DAYS)
    done["dropped"] += partitions.drop_partitions_older_than(
        MeterSample, samples_cutoff, keep=_has_open_sessions
    )
    if partitions.is_partitioned(ProcessedEvent._meta.db_table):
        partitions.purge_default(ProcessedEvent, events_cutoff)
        partitions.purge_default(MeterSample, samples_cutoff, where=_finished_sessions_sql())
    return done


def _finished_sessions_sql() -> str:
    return "NOT " + _open_sessions_sql()
