"""What the hub receives about a session and its CDRs (Gireve §3.8, §3.9; OCPI mod_sessions).

Called by sessions.session_services inside its transaction (transactional outbox). One FIFO
stream per session and platform, key "session:{CC}:{PID}:{ID}", carrying
PUT ACTIVE -> updates -> PUT COMPLETED -> POST CDR (-> credit / re-bill CDRs): IOP replaces
session ids toward eMSPs, so a CDR must never overtake its session (roaming-workflow §3.6).
- ACTIVE, COMPLETED and INVALID are full PUTs at the client-owned URL /{cc}/{pid}/{id},
  queued at once and never superseded (Gireve §3.8.1; the later Gireve revision retries
  only these two).
- Meter-value updates: at most one per SESSION_UPDATE_MIN_SECONDS per session (the later
  Gireve revision filters faster ones as spam); a full PUT, or on a platform set to PATCH
  only the new periods with kwh, total_cost and last_updated (OCPI 2.2.1 PATCH adds
  charging_periods; Gireve §3.8.3 does not process PATCH, so PUT is what IOP needs).
- A newer update supersedes the intermediate updates still queued (not the one in flight);
  when it does, it is a full PUT, since a dropped PATCH carried periods.
- The CDR is POSTed to the cdrs endpoint itself (base URL; mod_cdrs), on the same stream.
The stream's memo per platform remembers the last update time and what periods were sent.
- A PATCH the hub answers "unknown session" (404 / 2003) is healed by the outbox with the
  whole PUT `whole_session` builds (registered in sessions/apps.py).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib

from django.conf import settings
from django.utils import timezone

from roaming import ocpi_json
from roaming.models import Platform
from roaming.outbox import services as outbox
from roaming.outbox.models import Message, Stream

from .enums import SessionStatus
from .models import Cdr, Session
from .session_ocpi import session_patch_to_ocpi, session_to_ocpi

MODULE = "sessions"
CDR_MODULE = "cdrs"


def stream_key(session: Session) -> str:
    operator = session.operator
    return f"session:{operator.country_code}:{operator.party_id}:{session.ocpi_id}".upper()


def _path(session: Session) -> str:
    operator = session.operator
    return f"/{operator.country_code}/{operator.party_id}/{session.ocpi_id}"


def _fingerprint(periods: list[dict], count: int) -> str:
    """What the hub holds after `count` periods were sent: the closed ones and the start of
    the last (still growing) one. A late sample that reshapes them forces a full PUT."""
    if not count:
        return ""
    held = [periods[: count - 1], periods[count - 1]["start_date_time"]]
    return hashlib.sha256(ocpi_json.dumps(held).encode()).hexdigest()


def _memo(session: Session, now: dt.datetime) -> dict:
    periods = session.charging_periods
    return {
        "last_update_at": now.isoformat(),
        "sent_periods": len(periods),
        "fingerprint": _fingerprint(periods, len(periods)),
    }


def _put(platform: Platform, session: Session, now: dt.datetime) -> Message:
    return outbox.enqueue(
        platform=platform,
        stream_key=stream_key(session),
        module=MODULE,
        method="PUT",
        path=_path(session),
        body=session_to_ocpi(session),
        object_id=session.ocpi_id,
        memo=_memo(session, now),
    )


def session_started(session: Session, *, now: dt.datetime | None = None) -> int:
    """Gireve §3.8.1: the first message is a PUT with status ACTIVE."""
    now = now or timezone.now()
    return len([_put(p, session, now) for p in outbox.hub_platforms(MODULE)])


def session_ended(session: Session, *, now: dt.datetime | None = None) -> int:
    """COMPLETED or INVALID: a full PUT at once, never superseded or throttled."""
    assert session.status in (SessionStatus.COMPLETED, SessionStatus.INVALID)
    now = now or timezone.now()
    return len([_put(p, session, now) for p in outbox.hub_platforms(MODULE)])


def session_updated(session: Session, *, now: dt.datetime | None = None) -> int:
    """A meter-value update, throttled per session and platform; returns messages queued.

    Called with the session row locked (session_services), so updates of one session come
    one at a time: the throttle reads the stream memos without locking them, and most meter
    values (inside the interval) cost that one read and queue nothing."""
    now = now or timezone.now()
    minimum = dt.timedelta(seconds=settings.SESSION_UPDATE_MIN_SECONDS)
    key = stream_key(session)
    platforms = outbox.hub_platforms(MODULE)
    last_updates = dict(
        Stream.objects.filter(platform__in=platforms, key=key).values_list(
            "platform_id", "memo__last_update_at"
        )
    )
    queued = 0
    for platform in platforms:
        last = last_updates.get(platform.pk)
        # A self-test update is what its check looks for (sessions.test_charge): never held back.
        throttled = last and not session.is_test
        if throttled and now - dt.datetime.fromisoformat(last) < minimum:
            continue  # the next update (or the COMPLETED PUT) carries this state
        stream = outbox.locked_stream(platform=platform, stream_key=key, module=MODULE)
        memo = dict(stream.memo)
        stale = _queued_updates(stream)
        periods = session.charging_periods
        sent = memo.get("sent_periods", 0)
        patch = (
            platform.session_update_method == Platform.SessionUpdate.PATCH
            and not stale
            and sent <= len(periods)
            and memo.get("fingerprint") == _fingerprint(periods, sent)
        )
        if patch:
            message = outbox.enqueue(
                platform=platform,
                stream_key=key,
                module=MODULE,
                method="PATCH",
                path=_path(session),
                body=session_patch_to_ocpi(session, periods[sent:]),
                object_id=session.ocpi_id,
                memo=_memo(session, now),
            )
        else:
            message = _put(platform, session, now)
        for old in stale:
            old.state, old.superseded_by, old.done_at = Message.State.SUPERSEDED, message, now
            old.save(update_fields=["state", "superseded_by", "done_at"])
        queued += 1
    return queued


def _queued_updates(stream: Stream) -> list[Message]:
    """Intermediate updates still waiting (not the head a worker is sending right now).

    The first message of a stream is the ACTIVE PUT; COMPLETED/INVALID PUTs and CDR POSTs
    are never intermediate."""
    first = stream.messages.order_by("pk").values_list("pk", flat=True).first()
    pending = list(stream.messages.filter(state=Message.State.PENDING).order_by("pk"))
    if pending and stream.leased:
        pending = pending[1:]  # in flight: its outcome belongs to the worker
    return [
        m
        for m in pending
        if m.pk != first
        and (
            m.method == "PATCH"
            or (m.method == "PUT" and (m.body or {}).get("status") == SessionStatus.ACTIVE)
        )
    ]


def cdr_queued(cdr: Cdr) -> int:
    """mod_cdrs POST of the full CDR to the hub's cdrs endpoint (base URL, no ids), behind
    the session's messages on its stream (Gireve §3.9.4 store and forward, FIFO)."""
    return len(
        outbox.enqueue_for_hub(
            module=MODULE,
            stream_key=stream_key(cdr.session),
            method="POST",
            path="",
            body=cdr.data,
            object_id=cdr.ocpi_id,
            endpoint_module=CDR_MODULE,
        )
    )


def hub_location(cdr: Cdr) -> str:
    """The URL of the CDR at the hub, from the `Location` header of its POST ('' until then)."""
    message = (
        Message.objects.filter(
            stream__key=stream_key(cdr.session),
            endpoint_module=CDR_MODULE,
            object_id=cdr.ocpi_id,
            state=Message.State.DELIVERED,
        )
        .exclude(response_location="")
        .order_by("pk")
        .first()
    )
    return message.response_location if message else ""


# --- healing a PATCH the hub answers "unknown session" (roaming.outbox.healing) ------------


def whole_session(key: str, missing_path: str) -> list[tuple[str, str, dict]]:
    """The whole PUT giving the hub back a session it lost, for the PATCH a worker is
    healing on stream `key` (roaming.outbox.registry builder for "session" streams).

    Not the current session: the messages queued behind the PATCH were built as PATCHes
    that *add* their periods (OCPI 2.2.1 mod_sessions PATCH), so a PUT of periods they
    carry would make the hub count them twice. The PUT is the state the hub would hold
    after this PATCH: the last full PUT it got, plus every PATCH applied since, this one
    included. [] when there is no such PUT (the hub then keeps the 2003 for a person)."""
    now = timezone.now()
    streams = Stream.objects.filter(key=key, module=MODULE, locked_until__gt=now)
    for stream in streams.order_by("-locked_until"):
        head = stream.messages.filter(state=Message.State.PENDING).order_by("pk").first()
        if head is not None and head.method == "PATCH" and head.path == missing_path:
            state = _hub_state_after(stream, head)
            return [("PUT", missing_path, state)] if state else []
    return []


def _hub_state_after(stream: Stream, head: Message) -> dict | None:
    healing_puts = stream.messages.filter(state=Message.State.HEALED).values("superseded_by")
    applied = [
        m
        for m in stream.messages.filter(
            pk__lte=head.pk, endpoint_module="", method__in=("PUT", "PATCH")
        )
        .exclude(pk__in=healing_puts)  # each equals the PUT + PATCHes up to what it healed
        .order_by("pk")
        if m.pk == head.pk or m.state in (Message.State.DELIVERED, Message.State.HEALED)
    ]
    puts = [i for i, m in enumerate(applied) if m.method == "PUT"]
    if not puts:
        return None
    state = copy.deepcopy(applied[puts[-1]].body)
    for patch in applied[puts[-1] + 1 :]:
        for name, value in patch.body.items():
            if name == "charging_periods":
                value = [*state.get(name, []), *value]  # a PATCH adds periods
            state[name] = value
    return state
