"""Healing a PATCH the hub answers "unknown object": GET, and PUT the whole object if it is gone.

OCPI 2.2.1 transport_and_format (PATCH): "In case a PATCH request fails, the client is expected
to call the GET method to check the state of the object in the other party's system. If the
object doesn't exist, the client should do a PUT." A hub that lost our location (the IOP purged
it, or never integrated it) answers every EVSE status PATCH with HTTP 404 / OCPI 2003; holding
the stream would freeze that location's availability for eMSPs until a person acts.

So, for a PATCH answered HTTP 404 or OCPI 2003, the deliverer:
1. GETs the hub's copy of the PATCHed object, then of its parents, to find the highest path the
   hub lacks (the location, or only the EVSE or connector);
2. asks the app that owns the stream (registry.whole_object) for the whole PUT(s) of that path,
   built from the current data, and sends them on the same stream under the same lease;
3. when they are delivered, the PATCH is HEALED (replaced, `superseded_by` the PUT) and the
   messages behind it follow in order.
If the GET finds the object, or the app cannot rebuild it, the PATCH's own outcome stands (a
2003 holds the stream for a person). A GET or PUT that fails technically is retried with the
PATCH after backoff; a PUT refused with 2xxx holds the stream. Other 2xxx answers (2001: our
data is wrong) never come here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from roaming.client import OcpiClient, Outcome

from . import registry
from .models import Message, Stream

logger = logging.getLogger(__name__)

TOP_DEPTH = 3  # /{country_code}/{party_id}/{id}: the stream's object itself


@dataclass
class Healing:
    """What healing did for one PATCH; `sent` is empty unless the hub got the object back."""

    patch_outcome: Outcome  # the hub's answer to the PATCH (404 / 2003)
    outcome: Outcome  # to record for the PATCH: success when healed, else why not
    missing_path: str = ""
    sent: list[tuple[str, str, object, Outcome]] = field(default_factory=list)

    @property
    def healed(self) -> bool:
        return bool(self.sent) and self.outcome.ok

    def note(self, put_ids: list[int]) -> str:
        replaced_by = ", ".join(f"#{pk}" for pk in put_ids)
        return (
            f"Healed: the hub did not know {self.missing_path} (HTTP "
            f"{self.patch_outcome.http_status} / OCPI {self.patch_outcome.ocpi_status or '—'}; "
            f"GET confirmed); replaced by the whole PUT {replaced_by} of the current object."
        )


def unknown_object(head: Message, outcome: Outcome) -> bool:
    """A PATCH the hub answered "unknown object" (HTTP 404 or OCPI 2003)."""
    return (
        head.method == "PATCH"
        and not outcome.ok
        and (outcome.http_status == 404 or outcome.ocpi_status == 2003)
    )


def _missing(outcome: Outcome) -> bool:
    return not outcome.ok and (outcome.http_status == 404 or outcome.ocpi_status == 2003)


def heal(
    client: OcpiClient,
    base_url: str,
    stream: Stream,
    head: Message,
    patch_outcome: Outcome,
    keep_lease: Callable[[], None],
) -> Healing | None:
    """GET, then PUT what the hub lacks; None when the PATCH's own outcome stands."""
    base_url = base_url.rstrip("/")

    def send(method: str, path: str, body=None) -> Outcome:
        keep_lease()  # each extra exchange may take a full timeout: the lease must outlast it
        return client.send(
            method, base_url + path, json=body, module=stream.module, object_id=head.object_id
        )

    parts = [p for p in head.path.split("/") if p]
    missing_path = ""
    for depth in range(len(parts), TOP_DEPTH - 1, -1):
        path = "/" + "/".join(parts[:depth])
        found = send("GET", path)
        if found.ok:
            break
        if not _missing(found):
            return Healing(patch_outcome, _why("GET", path, found))  # retried later
        missing_path = path
    if not missing_path:
        return None  # the hub has it: the 404/2003 was about something else
    requests = registry.whole_object(stream.key, missing_path)
    if not requests:
        return None  # the app cannot rebuild it (gone, no longer shared): a person decides
    healing = Healing(patch_outcome, patch_outcome, missing_path)
    for method, path, body in requests:
        outcome = send(method, path, body)
        if not outcome.ok:
            return Healing(patch_outcome, _why(method, path, outcome), missing_path)
        healing.sent.append((method, path, body, outcome))
    last = healing.sent[-1][3]
    healing.outcome = Outcome(
        kind="success",
        http_status=last.http_status,
        ocpi_status=last.ocpi_status,
        log_id=last.log_id,
    )
    return healing


def _why(method: str, path: str, outcome: Outcome) -> Outcome:
    """The failed exchange's outcome, its message saying it happened while healing."""
    return Outcome(
        kind=outcome.kind,
        http_status=outcome.http_status,
        ocpi_status=outcome.ocpi_status,
        message=f"healing the PATCH: {method} {path} failed: {outcome.message}",
        log_id=outcome.log_id,
    )


def record(stream: Stream, head: Message, healed: Healing, now: dt.datetime) -> None:
    """The PUTs that replaced `head`, as delivered messages of the stream, linked from it.

    Called by delivery inside its outcome transaction, once the head was marked HEALED."""
    puts = [
        Message.objects.create(
            stream=stream,
            state=Message.State.DELIVERED,
            method=method,
            path=path,
            body=body,
            object_id=head.object_id,
            created_at=now,
            attempts=1,
            last_attempt_at=now,
            done_at=now,
            last_http_status=outcome.http_status,
            last_ocpi_status=outcome.ocpi_status,
            last_log_id=outcome.log_id,
            note=f"Sent to heal #{head.pk} (the hub did not know {healed.missing_path}).",
        )
        for method, path, body, outcome in healed.sent
    ]
    Message.objects.filter(pk=head.pk).update(
        superseded_by=puts[-1], note=healed.note([put.pk for put in puts])
    )
    logger.info("Outbox: %s healed #%s with %s", stream, head.pk, [put.pk for put in puts])
