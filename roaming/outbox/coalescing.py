"""Optional coalescing (Platform.coalesce_pushes, off by default: Gireve asks for FIFO resend).

A queued message is dropped (state SUPERSEDED, `superseded_by` set) only when a LATER queued
message of the same stream fully supersedes it, so what is sent keeps its order:
- a PUT or DELETE at path P supersedes earlier PUT/PATCH at P or below P (a whole-location
  PUT covers earlier EVSE PUTs, status and tariff PATCHes of that location);
- a PATCH at P supersedes an earlier PATCH at P whose fields it all carries again
  (a status PATCH over an earlier status PATCH);
- a PATCH equal, but for last_updated, to the last delivered message touching its path is
  dropped too (Gireve §2.1.6: never the same EVSE status twice in a row);
- POSTs (CDRs) are never dropped and never drop anything;
- one object may be sent in several variants at one path (Gireve §3.10.4: a tariff id's
  default and per-eMSP descriptions are PUT at the same URL): a PUT only supersedes a PUT
  of the same variant (same target_operator_country_code/party_id in the body).
"""

from __future__ import annotations

import datetime as dt

from .models import Message, Stream

WINDOW = 500  # queued messages looked at per decision
# Streams whose producer supersedes its own messages when it enqueues (sessions.session_push:
# ACTIVE and COMPLETED are never dropped, a PATCH only adds periods), so the rules below,
# which would let the COMPLETED PUT drop the ACTIVE one, do not apply: plain FIFO.
PRODUCER_COALESCED_MODULES = frozenset({"sessions"})


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _fields(message: Message) -> set[str]:
    return set(message.body) - {"last_updated"} if isinstance(message.body, dict) else set()


def _variant(message: Message) -> tuple:
    body = message.body if isinstance(message.body, dict) else {}
    return (body.get("target_operator_country_code"), body.get("target_operator_party_id"))


def supersedes(later: Message, earlier: Message) -> bool:
    if earlier.method not in ("PUT", "PATCH"):
        return False
    if later.method == "PUT" and earlier.method == "PUT" and _variant(later) != _variant(earlier):
        return False
    if later.method in ("PUT", "DELETE"):
        return _under(earlier.path, later.path)
    if later.method == "PATCH" and earlier.method == "PATCH" and later.path == earlier.path:
        return _fields(earlier) <= _fields(later)
    return False


def _without_time(body) -> object:
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "last_updated"}
    return body


def repeats_delivered(stream: Stream, message: Message) -> Message | None:
    """The last delivered message touching `message.path`, if `message` changes nothing."""
    if message.method != "PATCH":
        return None
    delivered = stream.messages.filter(state=Message.State.DELIVERED).order_by("-pk")[:WINDOW]
    for previous in delivered:
        if _under(message.path, previous.path) or _under(previous.path, message.path):
            same = previous.method == "PATCH" and previous.path == message.path
            if same and _without_time(previous.body) == _without_time(message.body):
                return previous
            return None
    return None


def next_head(stream: Stream, now: dt.datetime) -> Message | None:
    """The first queued message that nothing supersedes; mark the ones before it SUPERSEDED."""
    if stream.module in PRODUCER_COALESCED_MODULES:
        return stream.messages.filter(state=Message.State.PENDING).order_by("pk").first()
    while True:
        queued = list(stream.messages.filter(state=Message.State.PENDING).order_by("pk")[:WINDOW])
        if not queued:
            return None
        for index, message in enumerate(queued):
            winner = next((m for m in queued[index + 1 :] if supersedes(m, message)), None)
            winner = winner or repeats_delivered(stream, message)
            if winner is None:
                return message
            message.state = Message.State.SUPERSEDED
            message.superseded_by, message.done_at = winner, now
            message.save(update_fields=["state", "superseded_by", "done_at"])
        # The whole window was superseded: look at the next one.
