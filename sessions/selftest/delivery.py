"""Waiting for the outbox to deliver what a use case queued, through the normal path.

Every message the self-test sends is enqueued like a service does (in a transaction,
`roaming.outbox`), and a Celery worker delivers it. When no worker took a due stream within
`grace` seconds (none runs, or the only one is running this self-test: `.ci/start` has one
solo worker), the self-test calls the outbox's own `deliver_stream` for it, and says so in
the evidence: the same delivery code and client, only in this process.
"""

from __future__ import annotations

import time

from django.utils import timezone

from roaming.models import Platform
from roaming.outbox import delivery
from roaming.outbox.models import Message

from .results import Evidence, UseCaseResult

FINAL = {
    Message.State.DELIVERED,
    Message.State.REJECTED,
    Message.State.SKIPPED,
    Message.State.SUPERSEDED,
    Message.State.HEALED,
}


def marker() -> int:
    """The newest message id now: what a step queues after it is newer."""
    last = Message.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def queued_since(*, platform: Platform, stream_key: str, after: int) -> list[Message]:
    """Messages queued on one stream toward `platform` after `marker()` returned `after`."""
    return list(
        Message.objects.filter(stream__platform=platform, stream__key=stream_key, pk__gt=after)
        .select_related("stream", "last_log")
        .order_by("pk")
    )


def wait_delivered(
    messages: list[Message], *, timeout: float, grace: float, use_case: UseCaseResult, what: str
) -> bool:
    """Wait until each message is done; True when all were DELIVERED. Each one's last
    exchange goes into the evidence, and every failure into the use case's problems."""
    if not messages:
        use_case.problems.append(f"{what}: nothing was queued for this platform")
        return False
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    helped = False
    pending = list(messages)
    while pending and time.monotonic() < deadline:
        for message in pending:
            message.refresh_from_db()
        pending = [m for m in pending if m.state not in FINAL]
        if not pending:
            break
        if time.monotonic() - started >= grace:
            for stream_id in {m.stream_id for m in pending}:
                helped = bool(delivery.deliver_stream(stream_id)) or helped
        time.sleep(0.1)
    note = (
        f"No worker delivered it within {grace:g} s: the self-test called the outbox's "
        "deliver_stream itself."
        if helped
        else ""
    )
    ok = True
    for message in messages:
        log = message.last_log if message.last_log_id else None
        use_case.evidence.append(
            Evidence.from_log(f"{what}: {message.method} {message.path or '/'}", log, note)
        )
        if message.state == Message.State.DELIVERED:
            continue
        ok = False
        if message.state in FINAL:
            use_case.problems.append(
                f"{what}: {message.method} {message.path or '/'} ended {message.state} "
                f"(HTTP {message.last_http_status}, OCPI {message.last_ocpi_status}) "
                f"{message.last_error}".strip()
            )
        else:
            use_case.problems.append(
                f"{what}: {message.method} {message.path or '/'} not delivered within "
                f"{timeout:g} s ({message.attempts} attempt(s); last error: "
                f"{message.last_error or 'none'})"
            )
    return ok


def now_label() -> str:
    return timezone.now().isoformat()
