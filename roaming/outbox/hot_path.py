"""The delivery hot path in plain SQL on PostgreSQL: lease a stream, record a delivered head.

Why: at 100 status changes/s each change is its own task with one message, and the ORM's
query building cost more than the database work (bench/outbox_push.py --gate, cProfile:
~16 queries and ~20 ms of CPU per task, so two workers fell behind and p99 reached 1.8 s).
Here a task costs a lease statement, one read of the batch, one send and one recording
transaction, with no query compiled at run time.

Only the common case is handled here; anything else (a coalescing platform, a held or
paused stream, a lost lease, a head skipped by an operator, a failure) returns None and
the caller takes the ORM path in `delivery`, which handles every case.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from roaming import platforms, rows
from roaming.models import Platform

from .models import Message, Stream

# Leases the stream when it is due, not held, not leased, its platform connected and not
# paused (delivery.due_streams), skipping a row a producer holds (its kick follows its
# commit); returns the stream, its platform and the platform's endpoints.
_LEASE_SQL = f"""
WITH due AS (
    SELECT s.id FROM {Stream._meta.db_table} s
    JOIN {Platform._meta.db_table} p ON p.id = s.platform_id
    WHERE s.id = %(stream)s AND s.next_attempt_at <= %(now)s AND NOT s.held
      AND NOT p.push_paused AND p.status = %(connected)s AND NOT p.coalesce_pushes
      AND (s.locked_until IS NULL OR s.locked_until <= %(now)s)
    FOR UPDATE OF s SKIP LOCKED
), leased AS (
    UPDATE {Stream._meta.db_table} s
    SET lease_owner = %(owner)s,
        locked_until = %(now)s + make_interval(
            secs => p.connect_timeout + p.read_timeout + %(margin)s)
    FROM due, {Platform._meta.db_table} p
    WHERE s.id = due.id AND p.id = s.platform_id
    RETURNING s.*
)
SELECT {rows.columns(Stream, "s")}, {rows.columns(Platform, "p")}, {platforms.ENDPOINTS_COLUMN}
FROM leased s JOIN {Platform._meta.db_table} p ON p.id = s.platform_id
"""

_PENDING_SQL = f"""
SELECT {rows.columns(Message, "m")} FROM {Message._meta.db_table} m
WHERE m.stream_id = %(stream)s AND m.state = %(pending)s ORDER BY m.id LIMIT %(limit)s
"""


def lease(stream_id: int, owner: str) -> tuple[Stream, dict, list[Message]] | None:
    """Lease the stream and read its first batch: (stream with .platform, endpoints, batch).

    None when it is not ours to deliver now or not a case for the hot path (a coalescing
    platform): the caller falls back to the ORM path. An empty batch: nothing was pending,
    the stream is idle and released.
    """
    now = timezone.now()
    params = {
        "stream": stream_id,
        "now": now,
        "owner": owner,
        "connected": Platform.Status.CONNECTED,
        "margin": float(settings.OUTBOX_LEASE_MARGIN_SECONDS),
    }
    with connection.cursor() as cursor:
        cursor.execute(_LEASE_SQL, params)
        row = cursor.fetchone()
        if row is None:
            return None
        stream, stream.platform = rows.split(row, Stream, Platform)
        endpoints = platforms.endpoints_of(row[-1])
        batch = pending(cursor, stream_id, settings.OUTBOX_BATCH)
    if not batch:
        batch = _release_if_idle(stream, owner)
    return stream, endpoints, batch


def pending(cursor, stream_id: int, limit: int) -> list[Message]:
    cursor.execute(
        _PENDING_SQL, {"stream": stream_id, "pending": Message.State.PENDING, "limit": limit}
    )
    return [rows.instance(Message, row) for row in cursor.fetchall()]


_LOCK_SQL = f"""
SELECT s.lease_owner, s.held, p.push_paused FROM {Stream._meta.db_table} s
JOIN {Platform._meta.db_table} p ON p.id = s.platform_id
WHERE s.id = %(stream)s FOR UPDATE OF s
"""

_DELIVERED_SQL = f"""
UPDATE {Message._meta.db_table}
SET state = %(delivered)s, done_at = %(now)s, attempts = 1, last_attempt_at = %(now)s,
    last_http_status = %(http)s, last_ocpi_status = %(ocpi)s, last_log_id = %(log)s,
    last_error = '', response_location = %(location)s
WHERE id = %(message)s AND state = %(pending)s AND attempts = 0
RETURNING id
"""

_STREAM_SQL = f"""
UPDATE {Stream._meta.db_table}
SET delivered_count = delivered_count + 1, next_attempt_at = %(next)s,
    lease_owner = %(owner)s, locked_until = %(until)s
WHERE id = %(stream)s
"""


def _release_if_idle(stream: Stream, owner: str) -> list[Message]:
    """Nothing was pending when we leased: release the stream as idle, unless a producer
    committed a message since (read again under the row lock), which is then ours."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, {"stream": stream.pk})
        lease_owner, _held, _paused = cursor.fetchone()
        if lease_owner != owner:
            return []
        batch = pending(cursor, stream.pk, settings.OUTBOX_BATCH)
        if not batch:
            cursor.execute(
                f"UPDATE {Stream._meta.db_table} SET next_attempt_at = NULL, lease_owner = '', "
                "locked_until = NULL WHERE id = %s",
                [stream.pk],
            )
    return batch


def record_last_delivered(
    stream: Stream,
    head: Message,
    outcome,
    owner: str,
    delivered: int,
    location: str,
    lease_until: dt.datetime,
) -> list[Message] | None:
    """Record the first-try success of the last head we read, then read what came meanwhile.

    Locking the stream row first makes the read of the next messages see every producer
    that committed before us (READ COMMITTED: each statement takes a fresh snapshot), so a
    message whose kick found the stream leased by us is delivered by us or makes the
    stream due again: none is left behind. Returns the next batch (empty: the stream is
    idle and released), or None (rolled back) for the ORM path to decide.
    """
    now = timezone.now()
    room = settings.OUTBOX_BATCH - delivered - 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, {"stream": stream.pk})
        lease_owner, held, paused = cursor.fetchone()
        if lease_owner != owner or held or paused or room <= 0:
            transaction.set_rollback(True)
            return None
        cursor.execute(
            _DELIVERED_SQL,
            {
                "delivered": Message.State.DELIVERED,
                "pending": Message.State.PENDING,
                "now": now,
                "http": outcome.http_status,
                "ocpi": outcome.ocpi_status,
                "log": outcome.log_id,
                "location": location,
                "message": head.pk,
            },
        )
        if cursor.fetchone() is None:  # skipped or resent by an operator meanwhile
            transaction.set_rollback(True)
            return None
        batch = pending(cursor, stream.pk, room)
        cursor.execute(
            _STREAM_SQL,
            {
                "stream": stream.pk,
                "next": now if batch else None,
                "owner": owner if batch else "",
                "until": lease_until if batch else None,
            },
        )
    stream.delivered_count += 1
    return batch
