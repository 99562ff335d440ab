"""Writes of the outbox: enqueue inside the caller's transaction, and operators' actions.

    from roaming.outbox.services import enqueue_for_hub
    with transaction.atomic():
        tariff.save()
        enqueue_for_hub(module="tariffs", stream_key=f"tariff:{cc}:{pid}:{tariff_id}",
                        method="PUT", path=f"/{cc}/{pid}/{tariff_id}",
                        body=tariff_to_ocpi(tariff), object_id=tariff_id)

The message is committed with the change or not at all (transactional outbox); Celery is
kicked after commit (`dispatch.kick`). Messages of one stream key are delivered in the order
they were enqueued; `path` is appended to the platform's RECEIVER endpoint URL of `module`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from roaming import platforms, rows
from roaming.enums import InterfaceRole
from roaming.models import Platform

from .dispatch import kick
from .models import Message, Stream

logger = logging.getLogger(__name__)


def hub_platforms(module: str) -> list[Platform]:
    """CONNECTED platforms with a RECEIVER endpoint for `module`: who gets our pushes."""
    return [platform for platform, _ in platforms.connected_with(module, InterfaceRole.RECEIVER)]


def locked_stream(*, platform: Platform, stream_key: str, module: str) -> Stream:
    """The stream row, created if needed, locked until the end of the transaction.

    The lock serializes producers of one stream, so message ids (our FIFO order) follow
    commit order.
    """
    Stream.objects.bulk_create(
        [Stream(platform=platform, key=stream_key, module=module)], ignore_conflicts=True
    )
    return Stream.objects.select_for_update().get(platform=platform, key=stream_key)


@transaction.atomic
def enqueue(
    *,
    platform: Platform,
    stream_key: str,
    module: str,
    method: str,
    path: str,
    body,
    object_id: str = "",
    memo: dict | None = None,
    endpoint_module: str = "",
) -> Message:
    """Queue one request to `platform` at the end of stream `stream_key`.

    `endpoint_module`: send to that module's RECEIVER endpoint instead of `module`'s.
    """
    stream = locked_stream(platform=platform, stream_key=stream_key, module=module)
    message = Message.objects.create(
        stream=stream,
        method=method,
        path=path,
        body=body,
        object_id=object_id,
        endpoint_module=endpoint_module,
    )
    fields = []
    if stream.next_attempt_at is None and not stream.held:
        # An idle stream becomes due; a stream in backoff keeps its retry time. Kicked now
        # (after commit), so the sweeper does not enqueue it a second time; a failed kick
        # clears kicked_at for the sweeper (_Kicks).
        stream.next_attempt_at = message.created_at
        stream.kicked_at = timezone.now()
        fields += ["next_attempt_at", "kicked_at"]
    if memo is not None:
        stream.memo = {**stream.memo, **memo}
        fields.append("memo")
    if fields:
        stream.save(update_fields=fields)
    kick(stream.pk)
    return message


def enqueue_for_hub(
    *,
    module: str,
    stream_key: str,
    method: str,
    path: str,
    body,
    object_id: str = "",
    endpoint_module: str = "",
) -> list[Message]:
    """`enqueue` toward every platform that receives `module` (Gireve: the IOP)."""
    return [
        enqueue(
            platform=platform,
            stream_key=stream_key,
            module=module,
            method=method,
            path=path,
            body=body,
            object_id=object_id,
            endpoint_module=endpoint_module,
        )
        for platform in hub_platforms(module)
    ]


def stream_memo(*, platform: Platform, stream_key: str, module: str) -> dict:
    """What the producer remembered for this stream (locks the stream: read-then-enqueue)."""
    return dict(locked_stream(platform=platform, stream_key=stream_key, module=module).memo)


def set_stream_memo(*, platform: Platform, stream_key: str, module: str, memo: dict) -> None:
    stream = locked_stream(platform=platform, stream_key=stream_key, module=module)
    stream.memo = {**stream.memo, **memo}
    stream.save(update_fields=["memo"])


# --- many streams at once (bulk imports) -------------------------------------


class Outgoing(NamedTuple):
    """One request for `enqueue_many`: the arguments of `enqueue` that vary per stream."""

    stream_key: str
    method: str
    path: str
    body: object
    object_id: str = ""
    memo: dict | None = None


def locked_streams(*, platform: Platform, stream_keys: list[str], module: str) -> dict:
    """`locked_stream` for many keys: created if needed, locked in id order (no deadlock
    with another bulk producer). Returns {key: Stream}.

    Streams that exist (every change after an object's first) are locked in one SELECT;
    only missing keys cost an INSERT and a second SELECT."""
    keys = list(dict.fromkeys(stream_keys))
    streams = _select_locked(platform, keys)
    missing = [key for key in keys if key not in streams]
    if missing:
        Stream.objects.bulk_create(
            [Stream(platform=platform, key=key, module=module) for key in missing],
            ignore_conflicts=True,
            batch_size=1000,
        )
        streams.update(_select_locked(platform, missing))
    return streams


_LOCKED_SQL = f"""
SELECT {rows.columns(Stream, "s")} FROM {Stream._meta.db_table} s
WHERE s.platform_id = %(platform)s AND s.key = ANY(%(keys)s) ORDER BY s.id FOR UPDATE
"""


def _select_locked(platform: Platform, keys: list[str]) -> dict:
    streams = {}
    if connection.vendor == "postgresql":  # every push locks its stream: SQL written once
        with connection.cursor() as cursor:
            for start in range(0, len(keys), 5000):
                cursor.execute(
                    _LOCKED_SQL, {"platform": platform.pk, "keys": keys[start : start + 5000]}
                )
                found = [rows.instance(Stream, row) for row in cursor.fetchall()]
                streams.update({stream.key: stream for stream in found})
        return streams
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        query = Stream.objects.select_for_update().filter(platform=platform, key__in=chunk)
        streams.update({stream.key: stream for stream in query.order_by("pk")})
    return streams


# No savepoint: a failure here aborts the producer's change too (its message must not be
# lost while the change commits), and the hot path saves two statements.
@transaction.atomic(savepoint=False)
def enqueue_many(
    *,
    platform: Platform,
    module: str,
    items: list[Outgoing],
    kick_now: bool = True,
    streams: dict[str, Stream] | None = None,
) -> int:
    """What `enqueue` does for each item, in item order, with a few queries in all.

    `kick_now=False` leaves the streams to the sweeper (within OUTBOX_SWEEP_SECONDS): a bulk
    import does not hold its commit for one broker publish per stream. `streams`: the
    items' streams already locked in this transaction by `locked_streams` (a producer that
    read their memo first), so they are not locked twice."""
    if not items:
        return 0
    keys = [item.stream_key for item in items]
    if streams is None or not set(keys) <= streams.keys():
        streams = locked_streams(platform=platform, stream_keys=keys, module=module)
    messages = _insert_messages(
        [
            Message(
                stream=streams[item.stream_key],
                method=item.method,
                path=item.path,
                body=item.body,
                object_id=item.object_id,
            )
            for item in items
        ]
    )
    now = timezone.now()
    due, memos, kicks = {}, {}, set()
    for item, message in zip(items, messages, strict=True):
        stream = streams[item.stream_key]
        if stream.next_attempt_at is None and not stream.held:
            # An idle stream becomes due (as in `enqueue`); one in backoff keeps its time.
            stream.next_attempt_at = message.created_at
            due[stream.pk] = stream
        if not stream.held and stream.next_attempt_at <= now:
            # Due already counts too: its task may have found the stream locked by us and
            # left it (SKIP LOCKED); without a kick after our commit this message would wait
            # for the sweeper (issue 21: status changes took 1.8 s instead of 28 ms).
            kicks.add(stream.pk)
        if item.memo is not None:
            stream.memo = {**stream.memo, **item.memo}
            memos[stream.pk] = stream.memo
    # One UPDATE per distinct value rather than a CASE per row (bulk_update: 9 s / 500 rows).
    for pks in _chunks(list(due)):
        _update_streams(pks, next_attempt_at=now, kicked_at=now if kick_now else None)
    by_memo = {}
    for pk, memo in memos.items():
        by_memo.setdefault(json.dumps(memo, sort_keys=True), (memo, []))[1].append(pk)
    for memo, pks in by_memo.values():
        for chunk in _chunks(pks):
            _update_streams(chunk, memo=memo)
    if kick_now:
        for stream_id in sorted(kicks):
            kick(stream_id)
    return len(messages)


def _insert_messages(messages: list[Message]) -> list[Message]:
    """bulk_create, or on PostgreSQL the INSERTs written once and sent in one pipeline (a
    status change queues one message: the ORM's statement building cost more)."""
    if connection.vendor != "postgresql":
        return Message.objects.bulk_create(messages, batch_size=1000)
    statements = [rows.insert_sql(message) for message in messages]
    with connection.cursor() as cursor:
        cursor.executemany(statements[0][0], [params for _sql, params in statements])
    return messages


def _update_streams(pks: list[int], **values) -> None:
    if connection.vendor != "postgresql":
        Stream.objects.filter(pk__in=pks).update(**values)
        return
    fields = [Stream._meta.get_field(name) for name in values]
    assignments = ", ".join(f"{field.column} = %s" for field in fields)
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Stream._meta.db_table} SET {assignments} WHERE id = ANY(%s)", [*params, pks]
        )


def _chunks(items: list, size: int = 10000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- operators' actions (admin) ------------------------------------------------


def _head(stream: Stream) -> Message | None:
    return (
        stream.messages.filter(state__in=[Message.State.PENDING, Message.State.REJECTED])
        .order_by("pk")
        .first()
    )


@transaction.atomic
def retry_now(*, stream: Stream) -> None:
    """Skip the remaining backoff of a stream (not of a held one)."""
    stream = Stream.objects.select_for_update().get(pk=stream.pk)
    if stream.held or _head(stream) is None:
        return
    stream.next_attempt_at = stream.kicked_at = timezone.now()
    stream.save(update_fields=["next_attempt_at", "kicked_at"])
    kick(stream.pk)


@transaction.atomic
def hold(*, stream: Stream, note: str = "") -> None:
    """Stop delivering a stream until an operator resends or skips its head."""
    stream = Stream.objects.select_for_update().get(pk=stream.pk)
    stream.held, stream.held_reason, stream.held_note = True, Stream.HeldReason.OPERATOR, note
    stream.next_attempt_at = None
    stream.save(update_fields=["held", "held_reason", "held_note", "next_attempt_at"])


def _release(stream: Stream) -> None:
    stream.held, stream.held_reason, stream.held_note = False, "", ""
    stream.next_attempt_at = stream.kicked_at = timezone.now() if _head(stream) else None
    stream.save(update_fields=["held", "held_reason", "held_note", "next_attempt_at", "kicked_at"])
    kick(stream.pk)


@transaction.atomic
def resend(*, stream: Stream, note: str = "") -> None:
    """Send the held head again as it is (e.g. after the platform fixed its side)."""
    stream = Stream.objects.select_for_update().get(pk=stream.pk)
    head = _head(stream)
    if head is not None and head.state == Message.State.REJECTED:
        head.state, head.note = Message.State.PENDING, note or head.note
        head.save(update_fields=["state", "note"])
    _release(stream)


@transaction.atomic
def skip(*, stream: Stream, reason: str) -> Message | None:
    """Give up the head with a written reason and send what follows (data fixed later)."""
    if not reason.strip():
        raise ValueError("A reason is required to skip a message.")
    stream = Stream.objects.select_for_update().get(pk=stream.pk)
    head = _head(stream)
    if head is not None:
        head.state, head.note, head.done_at = Message.State.SKIPPED, reason, timezone.now()
        head.save(update_fields=["state", "note", "done_at"])
    _release(stream)
    return head


@transaction.atomic
def purge(*, now=None) -> int:
    """Delete finished messages older than OUTBOX_RETENTION_DAYS (pending ones never)."""
    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    finished = [
        Message.State.DELIVERED,
        Message.State.SKIPPED,
        Message.State.SUPERSEDED,
        Message.State.HEALED,
    ]
    deleted, _ = Message.objects.filter(state__in=finished, done_at__lt=cutoff).delete()
    return deleted
