"""Delivery of a stream's messages in order, one worker per stream at a time.

Lease, not a lock across HTTP: a worker takes the stream row with
SELECT ... FOR UPDATE SKIP LOCKED, writes a lease (owner token + locked_until) and commits
before calling the platform, so no transaction stays open during the request. Another
worker skips a leased stream; a SIGKILLed worker's lease expires after connect + read
timeout + OUTBOX_LEASE_MARGIN_SECONDS and the sweeper hands the stream to someone else.
An outcome is recorded only by the lease owner. (SQLite: no row locks; the single
embedded worker is the only deliverer.)

Outcomes (Gireve §3.5.5 and the client's classification): success -> DELIVERED, next
head; technical (network, timeout, non-2xx, OCPI 3xxx) -> retry the same head after an
exponential, jittered, capped backoff; rejected (OCPI 2xxx) -> the head is REJECTED and
the stream held until an operator resends or skips it. A PATCH answered "unknown object"
(404 / 2003) is healed first when the hub really lost the object (healing.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from roaming.client import OcpiClient, Outcome
from roaming.enums import InterfaceRole
from roaming.models import Platform

from . import coalescing, healing, hot_path
from .dispatch import kick
from .models import Message, Stream

logger = logging.getLogger(__name__)


def backoff_seconds(attempts: int) -> float:
    """Delay after `attempts` failures: exponential, capped, jittered in its upper half."""
    base = settings.OUTBOX_BACKOFF_BASE_SECONDS
    cap = settings.OUTBOX_BACKOFF_CAP_SECONDS
    ceiling = min(cap, base * 2 ** min(max(attempts - 1, 0), 32))
    return random.uniform(ceiling / 2, ceiling)


def due_streams(now: dt.datetime):
    """Streams with something to send now: not held, not paused, not leased."""
    return Stream.objects.filter(
        next_attempt_at__lte=now,
        held=False,
        platform__push_paused=False,
        platform__status=Platform.Status.CONNECTED,
    ).filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))


def lease_seconds(platform: Platform) -> float:
    return platform.connect_timeout + platform.read_timeout + settings.OUTBOX_LEASE_MARGIN_SECONDS


def _next_head(stream: Stream, now: dt.datetime) -> Message | None:
    if stream.platform.coalesce_pushes:
        return coalescing.next_head(stream, now)
    return stream.messages.filter(state=Message.State.PENDING).order_by("pk").first()


def _take_lease(stream: Stream, owner: str, now: dt.datetime) -> None:
    stream.lease_owner = owner
    stream.locked_until = now + dt.timedelta(seconds=lease_seconds(stream.platform))


def _release(stream: Stream) -> None:
    stream.lease_owner, stream.locked_until = "", None


def _acquire(stream_id: int, owner: str) -> tuple[Stream, Message] | None:
    """Lease the stream and return its head, or None when it is not ours to deliver now."""
    now = timezone.now()
    with transaction.atomic():
        stream = (
            due_streams(now)
            .filter(pk=stream_id)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("platform")
            .first()
        )
        if stream is None:
            return None  # leased, locked by a producer, held, paused or not due
        head = _next_head(stream, now)
        if head is None:
            stream.next_attempt_at = None
            _release(stream)
        else:
            _take_lease(stream, owner, now)
        stream.save(update_fields=["next_attempt_at", "lease_owner", "locked_until"])
    return (stream, head) if head is not None else None


def deliver_stream(stream_id: int) -> int:
    """Deliver the stream's messages in order until it is empty, fails or its batch is done.

    Returns the number delivered. Safe to call any number of times, from any worker.
    """
    with _relaxed_commits():
        return _deliver(stream_id)


@contextlib.contextmanager
def _relaxed_commits():
    """PostgreSQL synchronous_commit off while recording outcomes (and their message log).

    Profiling (bench/outbox_push.py) found each message waiting for two WAL flushes (the
    exchange's log row and the outcome), ~3.5 ms each, more than the push itself. An outcome
    lost in a database crash only means its message is sent again, in order (at least once,
    as after a killed worker); the messages themselves are enqueued by producers with
    ordinary, durable commits.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with contextlib.suppress(Exception), connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO DEFAULT")


def _deliver(stream_id: int) -> int:
    owner = uuid.uuid4().hex
    leased = hot_path.lease(stream_id, owner) if connection.vendor == "postgresql" else None
    if leased is not None:
        stream, endpoints, batch = leased
        client = OcpiClient(stream.platform, endpoints=endpoints)
    else:
        acquired = _acquire(stream_id, owner)
        if acquired is None:
            return 0
        stream, head = acquired
        batch = [head]
        client = OcpiClient(stream.platform)
    base_url = client.endpoint(stream.module, InterfaceRole.RECEIVER)
    delivered = 0
    while batch:
        head, followers = batch[0], batch[1:]
        if not followers and len(batch) == 1 and leased is None:
            followers = _followers(stream, head, settings.OUTBOX_BATCH - delivered - 1)
        outcome = _send(client, base_url, stream, head)
        healed = None
        if base_url is not None and healing.unknown_object(head, outcome):
            healed = healing.heal(
                client, base_url, stream, head, outcome, lambda: _keep_lease(stream, owner)
            )
            outcome = outcome if healed is None else healed.outcome
        first_try = healed is None and outcome.kind == "success" and head.attempts == 0
        if first_try and followers and _fast_path(head, outcome, delivered):
            if _record_delivered(stream, head, outcome, owner):
                batch, delivered = followers, delivered + 1
                continue
        elif first_try and not followers and leased is not None:
            location = _location_header(outcome)
            until = timezone.now() + dt.timedelta(seconds=lease_seconds(stream.platform))
            following = hot_path.record_last_delivered(
                stream, head, outcome, owner, delivered, location, until
            )
            if following is not None:
                batch, delivered = following, delivered + 1
                continue
        head, done = _record(stream.pk, head, outcome, owner, delivered, healed)
        delivered += done
        batch = [head] if head is not None else []
        leased = None  # back on the ORM path: it reads the followers of each head
    return delivered


def _keep_lease(stream: Stream, owner: str) -> None:
    """Extend our lease before another exchange for the same head (healing: GET, PUT)."""
    until = timezone.now() + dt.timedelta(seconds=lease_seconds(stream.platform))
    Stream.objects.filter(pk=stream.pk, lease_owner=owner).update(locked_until=until)


def _followers(stream: Stream, head: Message, limit: int) -> list[Message]:
    """The messages queued behind `head`, read once per batch (not once per message)."""
    if limit <= 0 or stream.platform.coalesce_pushes:
        return []  # coalescing decides each head when it is its turn
    pending = stream.messages.filter(state=Message.State.PENDING, pk__gt=head.pk)
    return list(pending.order_by("pk")[:limit])


def _fast_path(head: Message, outcome: Outcome, delivered: int) -> bool:
    """A first-try success inside the batch: the common case, recorded in two UPDATEs."""
    within_batch = delivered + 1 < settings.OUTBOX_BATCH
    return outcome.kind == "success" and head.attempts == 0 and within_batch


def _record_delivered(stream: Stream, head: Message, outcome: Outcome, owner: str) -> bool:
    """Record a delivered head while we still hold the lease (extended), in one transaction.

    Profiling (bench/outbox_push.py) found 7 queries per message, most spent locking the
    stream and reading the next head. Here the conditional UPDATE checks the lease, the hold
    and the pause at once; anything unusual (lease lost, held, paused, head skipped by an
    operator) returns False, is rolled back and goes through the locked `_record` instead.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        return _record_delivered_in_one_statement(stream, head, outcome, owner, now)
    with transaction.atomic():
        owned = Stream.objects.filter(
            pk=stream.pk, lease_owner=owner, held=False, platform__push_paused=False
        ).update(
            delivered_count=F("delivered_count") + 1,
            next_attempt_at=now,
            locked_until=now + dt.timedelta(seconds=lease_seconds(stream.platform)),
        )
        done = owned and Message.objects.filter(pk=head.pk, state=Message.State.PENDING).update(
            state=Message.State.DELIVERED,
            done_at=now,
            attempts=head.attempts + 1,
            last_attempt_at=now,
            last_http_status=outcome.http_status,
            last_ocpi_status=outcome.ocpi_status,
            last_log_id=outcome.log_id,
            last_error="",
            response_location=_location_header(outcome),
        )
        if not done:
            transaction.set_rollback(True)
    return bool(done)


# The same two conditional UPDATEs as one statement, atomic without a transaction around it
# (two round trips fewer per message: bench/outbox_push.py throughput). The stream row is
# locked first and its lease, hold and pause checked on its latest version; the message is
# marked only then, and the stream's counter moves only if the message was marked.
_DELIVERED_SQL = f"""
WITH owned AS (
    SELECT s.id FROM {Stream._meta.db_table} s
    JOIN {Platform._meta.db_table} p ON p.id = s.platform_id
    WHERE s.id = %(stream)s AND s.lease_owner = %(owner)s AND NOT s.held AND NOT p.push_paused
    FOR UPDATE OF s
), marked AS (
    UPDATE {Message._meta.db_table} AS m
    SET state = %(delivered)s, done_at = %(now)s, attempts = %(attempts)s,
        last_attempt_at = %(now)s, last_http_status = %(http)s, last_ocpi_status = %(ocpi)s,
        last_log_id = %(log)s, last_error = '', response_location = %(location)s
    WHERE m.id = %(message)s AND m.state = %(pending)s AND EXISTS (SELECT 1 FROM owned)
    RETURNING m.id
)
UPDATE {Stream._meta.db_table} AS s
SET delivered_count = s.delivered_count + 1, next_attempt_at = %(now)s, locked_until = %(until)s
WHERE s.id = %(stream)s AND EXISTS (SELECT 1 FROM marked)
RETURNING s.id
"""


def _record_delivered_in_one_statement(
    stream: Stream, head: Message, outcome: Outcome, owner: str, now: dt.datetime
) -> bool:
    params = {
        "now": now,
        "until": now + dt.timedelta(seconds=lease_seconds(stream.platform)),
        "stream": stream.pk,
        "owner": owner,
        "delivered": Message.State.DELIVERED,
        "pending": Message.State.PENDING,
        "attempts": head.attempts + 1,
        "http": outcome.http_status,
        "ocpi": outcome.ocpi_status,
        "log": outcome.log_id,
        "message": head.pk,
        "location": _location_header(outcome),
    }
    with connection.cursor() as cursor:
        cursor.execute(_DELIVERED_SQL, params)
        return cursor.fetchone() is not None


def _send(client: OcpiClient, base_url: str | None, stream: Stream, head: Message) -> Outcome:
    module = stream.module
    if head.endpoint_module:  # e.g. a session stream's CDR POST goes to the cdrs endpoint
        module = head.endpoint_module
        base_url = client.endpoint(module, InterfaceRole.RECEIVER)
    if base_url is None:
        return Outcome(kind="technical", message=f"No {module} RECEIVER endpoint")
    return client.send(
        head.method,
        base_url.rstrip("/") + head.path,
        json=head.body,
        module=module,
        object_id=head.object_id,
    )


def _location_header(outcome: Outcome) -> str:
    """OCPI 2.2.1 mod_cdrs: the answer to a POST names the CDR's URL at the hub."""
    for name, value in outcome.headers.items():
        if name.lower() == "location":
            return str(value)[:512]
    return ""


def _locked(stream_id: int) -> Stream:
    return (
        Stream.objects.select_for_update(of=("self",)).select_related("platform").get(pk=stream_id)
    )


def _record(
    stream_id: int,
    head: Message,
    outcome: Outcome,
    owner: str,
    delivered: int,
    healed: healing.Healing | None = None,
) -> tuple[Message | None, int]:
    """Write the outcome of `head`; return the next head to send under the same lease."""
    now = timezone.now()
    with transaction.atomic():
        stream = _locked(stream_id)
        if stream.lease_owner != owner:
            # Our lease expired and another worker took the stream: it owns the outcome.
            logger.warning("Outbox: lease on %s lost during delivery of %s", stream, head.pk)
            return None, 0
        fields = {
            "attempts": head.attempts + 1,
            "last_attempt_at": now,
            "last_http_status": outcome.http_status,
            "last_ocpi_status": outcome.ocpi_status,
            "last_log_id": outcome.log_id,
            "last_error": "" if outcome.ok else outcome.message[:2000],
        }
        if healed is not None and healed.healed:
            # The PATCH itself got 404/2003: that answer stays on it, the PUTs carry theirs.
            patch = healed.patch_outcome
            fields |= {
                "state": Message.State.HEALED,
                "done_at": now,
                "last_http_status": patch.http_status,
                "last_ocpi_status": patch.ocpi_status,
                "last_log_id": patch.log_id,
                "last_error": patch.message[:2000],
            }
        elif outcome.kind == "success":
            fields |= {"state": Message.State.DELIVERED, "done_at": now}
            fields["response_location"] = _location_header(outcome)
        elif outcome.kind == "rejected":
            fields |= {"state": Message.State.REJECTED}
        # Only a still-pending head is updated: an operator may have skipped it meanwhile.
        current = Message.objects.filter(pk=head.pk, state=Message.State.PENDING).update(**fields)
        next_head = None
        if not current:
            # An operator skipped or resent the head meanwhile: look at the stream afresh.
            if not stream.held:
                stream.next_attempt_at = stream.kicked_at = now
                kick(stream.pk)
        elif outcome.kind == "success":
            if healed is not None and healed.healed:
                healing.record(stream, head, healed, now)
                stream.delivered_count += len(healed.sent)
            else:
                stream.delivered_count += 1
            if head.attempts > 0:
                _recovered(stream, now)
            if stream.held:
                pass  # an operator held it meanwhile: it waits for resend or skip
            elif delivered + 1 < settings.OUTBOX_BATCH and not stream.platform.push_paused:
                next_head = _next_head(stream, now)
                stream.next_attempt_at = now if next_head else None
            else:
                # Yield the slot to other streams (kicked_at: the sweeper need not kick too).
                stream.next_attempt_at = stream.kicked_at = now
                kick(stream.pk)
        elif outcome.kind == "rejected":
            # Gireve: the hub refuses our data; sending the same body again cannot help.
            stream.rejected_count += 1
            stream.held, stream.held_reason = True, Stream.HeldReason.REJECTED
            stream.held_note = f"OCPI {outcome.ocpi_status}: {outcome.message}"[:2000]
            stream.next_attempt_at = None
        else:
            stream.failure_count += 1
            if not stream.held:
                delay = backoff_seconds(head.attempts + 1)
                stream.next_attempt_at = now + dt.timedelta(seconds=delay)
        if next_head is None:
            _release(stream)
        else:
            _take_lease(stream, owner, now)
        stream.save()
    return next_head, (1 if outcome.kind == "success" and current else 0)


def _recovered(stream: Stream, now: dt.datetime) -> None:
    """A retried message got through, so the platform is back: end the other streams'
    backoff now rather than after up to OUTBOX_BACKOFF_CAP_SECONDS (the sweeper sends)."""
    Stream.objects.filter(
        platform_id=stream.platform_id, held=False, next_attempt_at__gt=now
    ).exclude(pk=stream.pk).update(next_attempt_at=now)
