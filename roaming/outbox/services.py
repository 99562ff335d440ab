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
import logging

from django.db import transaction
from django.utils import timezone

from roaming.enums import InterfaceRole
from roaming.models import Platform

from .dispatch import kick
from .models import Message, Stream

logger = logging.getLogger(__name__)


def hub_platforms(module: str) -> list[Platform]:
    """CONNECTED platforms with a RECEIVER endpoint for `module`: who gets our pushes."""
    return list(
        Platform.objects.filter(
            status=Platform.Status.CONNECTED,
            endpoints__identifier=module,
            endpoints__role=InterfaceRole.RECEIVER,
        )
        .distinct()
        .order_by("pk")
    )


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
) -> Message:
    """Queue one request to `platform` at the end of stream `stream_key`."""
    stream = locked_stream(platform=platform, stream_key=stream_key, module=module)
    message = Message.objects.create(
        stream=stream, method=method, path=path, body=body, object_id=object_id
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
    *, module: str, stream_key: str, method: str, path: str, body, object_id: str = ""
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
