"""What the bridge does with a CSMS's events (docs/csms-bridge.md): keys, EVSE resolution,
idempotent status reports and authorizations.

Every event carries an event id: the first time it is processed in one transaction together
with its record (ProcessedEvent); a replay gets the stored answer and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from locations import services as locations
from locations.enums import Status
from locations.models import EVSE
from roaming import message_log
from roaming.ocpi_time import format_datetime
from sessions.authorization import decide, record_authorization
from sessions.enums import AuthorizationReason as Reason
from sessions.enums import AuthorizationSource as Source
from sessions.models import Authorization

from . import evse_rows, exchange, lookups
from . import status as status_map
from .models import Csms, EvseMapping, EvseStatusReport, ProcessedEvent, new_api_key

# A charge point clock this far ahead of ours is wrong: its status would hide every later one.
MAX_CLOCK_AHEAD = dt.timedelta(minutes=5)
# EVSE statuses the operator sets in admin; a CSMS report does not override them.
OPERATOR_STATUSES = {Status.REMOVED, Status.PLANNED}


class BridgeError(Exception):
    """A refusal the CSMS can act on: HTTP status + message; nothing was written."""

    def __init__(self, http_status: int, message: str):
        super().__init__(message)
        self.http_status, self.message = http_status, message


# --- CSMS records and keys -------------------------------------------------


@transaction.atomic
def save_csms(*, csms: Csms) -> str | None:
    """Save a CSMS; a new one gets its API key, returned once (only its hash is kept)."""
    key = None
    if csms.pk is None:
        key = new_api_key()
        csms.set_api_key(key)
    csms.full_clean()
    csms.save()
    return key


@transaction.atomic
def create_csms(*, name: str, operators=(), locations=()) -> tuple[Csms, str]:
    """A new CSMS running these operators' and locations' EVSEs, and its API key."""
    csms = Csms(name=name)
    key = save_csms(csms=csms)
    csms.operators.set(operators)
    csms.locations.set(locations)
    return csms, key


@transaction.atomic
def rotate_key(*, csms: Csms) -> str:
    """A new API key; the old one stops working at once."""
    key = new_api_key()
    csms.set_api_key(key)
    csms.key_rotated_at = timezone.now()
    csms.save(update_fields=["key_hash", "key_hint", "key_rotated_at"])
    return key


# --- which EVSE an event is about ---------------------------------------------


def resolve_evse(*, csms: Csms, ref: dict, lock: bool = False, related=()) -> EVSE:
    """The EVSE named by OCPI ids (location_id, evse_uid[, connector_id]) or by OCPP ids via
    the mapping (charge_point_id, connector_id); 404 unknown, 403 not run by this CSMS.
    `lock`: row-locked until the end of the transaction; `related`: more select_related."""
    if ref.get("location_id"):
        return _by_ocpi_ids(csms, ref, lock, related)
    evse_id = lookups.mapped_evse_id(csms.pk, ref["charge_point_id"], ref["connector_id"])
    if evse_id is None:
        raise BridgeError(
            404,
            f"No EVSE mapped to charge point {ref['charge_point_id']} connector "
            f"{ref['connector_id']} (admin: CSMS bridge → EVSE mappings).",
        )
    found = evse_rows.in_scope(csms, pk=evse_id, lock=lock, related=related)
    if not found:
        raise BridgeError(403, "The mapped EVSE is not run by this CSMS.")
    return found[0]


def _by_ocpi_ids(csms: Csms, ref: dict, lock: bool, related=()) -> EVSE:
    found = evse_rows.in_scope(csms, ref=ref, lock=lock, related=related)
    if len(found) > 1:
        raise BridgeError(
            400, "Two of your operators have this location id: add country_code and party_id."
        )
    if not found:
        if evse_rows.exists(ref):
            raise BridgeError(403, "This EVSE is not run by this CSMS.")
        raise BridgeError(404, f"Unknown EVSE {ref['location_id']}/{ref['evse_uid']}.")
    evse = found[0]
    connector_id = ref.get("connector_id")
    if connector_id and not evse_rows.has_connector(evse, connector_id):
        raise BridgeError(404, f"EVSE {evse.uid} has no connector {connector_id}.")
    return evse


# --- idempotency -----------------------------------------------------------------


def body_hash(event: dict) -> str:
    """The same event sent again hashes the same (keys sorted, datetimes as text)."""
    canonical = json.dumps(event, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replayed(csms: Csms, event: dict, kind: str) -> dict | None:
    """The stored answer of an event id seen before (409 if it named another event)."""
    seen = (
        ProcessedEvent.objects.filter(
            csms=csms, event_id=event["event_id"], event_day=event_day(event)
        )
        .values("kind", "body_hash", "answer")
        .first()
    )
    if seen is None:
        return None
    if seen["kind"] != kind or seen["body_hash"] != body_hash(event):
        raise BridgeError(409, f"event_id {event['event_id']} was already used for another event.")
    return {**seen["answer"], "duplicate": True}


def event_day(event: dict) -> dt.date:
    """The UTC day of the event's own timestamp: the same in every copy of the event, so
    the records are partitioned by it (roaming.partitions). An event id reused for another
    event on another day is not recognised as reused."""
    return event["timestamp"].astimezone(dt.UTC).date()


def _claim(csms: Csms, event: dict, kind: str) -> int | None:
    """Insert the event's record first: its id, or None when a committed record has it.

    The unique (csms, event_id, event_day) makes a concurrent copy's INSERT wait for the transaction
    that inserted it first, then find its committed record (or take the id if that
    transaction rolled back): the copy never runs the effect a second time."""
    table = ProcessedEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table}"
            " (csms_id, event_id, kind, body_hash, answer, received_at, event_day)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (csms_id, event_id, event_day) DO NOTHING RETURNING id",
            [
                csms.pk,
                event["event_id"],
                kind,
                body_hash(event),
                "{}",
                timezone.now(),
                event_day(event),
            ],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def once(csms: Csms, event: dict, kind: str, process) -> dict:
    """`process()` in one transaction with the event's record, unless that event id was
    processed already: then the stored answer (`duplicate: true`), whether the first copy
    committed long ago or is committing right now (the copy waits for it, `_claim`)."""
    with transaction.atomic():
        claimed = _claim(csms, event, kind)
        if claimed is None:
            stored = _replayed(csms, event, kind)
            if stored is None:  # deleted meanwhile (retention): refuse, the CSMS retries
                raise BridgeError(409, f"event_id {event['event_id']} is being processed.")
            return stored
        answer = process()
        _store_answer(claimed, answer, event)
    return {**answer, "duplicate": False}


def _store_answer(claimed: int, answer: dict, event: dict) -> None:
    """The event's answer, and the request's log row when a bridge request is being answered
    (exchange), in one statement on PostgreSQL: both commit with the effect."""
    table = connection.ops.quote_name(ProcessedEvent._meta.db_table)
    stored = ProcessedEvent._meta.get_field("answer").get_db_prep_save(answer, connection)
    # The day names the partition: one index probe instead of one per day kept.
    update = f"UPDATE {table} SET answer = %s WHERE id = %s AND event_day = %s"
    params = [stored, claimed, event_day(event)]
    current = exchange.current()
    if current is None or current.logged:
        with connection.cursor() as cursor:
            cursor.execute(update, params)
        return
    body = exchange.render({**answer, "duplicate": False})
    log = current.log_fields(http_status=200, response_body=body, event_id=event["event_id"])
    insert, log_params = message_log.insert_sql(**log)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH stored AS ({update}) {insert}", params + log_params)
        else:
            cursor.execute(update, params)
            cursor.execute(insert, log_params)
    current.logged = True


# --- E1: EVSE status -------------------------------------------------------------


def report_status(*, csms: Csms, event: dict) -> dict:
    """Apply a status report unless an EVSE status of a later charge point time was applied
    (then it is acknowledged and ignored); the change reaches the hub through
    locations.services (a PATCH in the outbox)."""
    if event["timestamp"] > timezone.now() + MAX_CLOCK_AHEAD:
        raise BridgeError(400, "timestamp is in the future: check the charge point clock (UTC).")
    ocpi_status = status_map.to_ocpi(event["protocol"], event["status"])

    def process() -> dict:
        # One report at a time per EVSE: the ordering check and the write go together.
        # The EVSE locked with its last report, in one query.
        evse = resolve_evse(csms=csms, ref=event, lock=True, related=("csms_status",))
        answer = {"event_id": event["event_id"], "evse_uid": evse.uid, "ocpi_status": ocpi_status}
        if evse.status in OPERATOR_STATUSES:
            raise BridgeError(409, f"EVSE {evse.uid} is {evse.status} (set by the operator).")
        try:
            last = evse.csms_status
        except EvseStatusReport.DoesNotExist:
            last = None
        if last is not None and event["timestamp"] < last.reported_at:
            return answer | {
                "applied": False,
                "reason": f"older than the status applied ({format_datetime(last.reported_at)})",
            }
        try:
            locations.set_evse_status(
                evse=evse, status=ocpi_status, at=event["timestamp"], locked=True
            )
        except ValidationError as exc:  # the EVSE's own data is incomplete (fix it in admin)
            raise BridgeError(409, f"EVSE {evse.uid} cannot be saved: {exc.messages}") from exc
        applied = {
            "reported_at": event["timestamp"],
            "csms_status": event["status"],
            "error_code": event.get("error_code") or "",
            "ocpi_status": ocpi_status,
        }
        if last is None:
            EvseStatusReport.objects.create(evse=evse, **applied)
        else:
            EvseStatusReport.objects.filter(pk=last.pk).update(**applied)
        return answer | {"applied": True, "reason": ""}

    return once(csms, event, "evse-status", process)


# --- E2/P1: authorize ----------------------------------------------------------------

OCPP_STATUS = {
    Reason.BLOCKED: "Blocked",
    Reason.EXPIRED: "Expired",
}


def authorize(*, csms: Csms, event: dict) -> dict:
    """Decide on a badge (sessions.authorization) and store the decision; the hub is asked
    outside any transaction (a driver waits, the database must not)."""
    stored = _replayed(csms, event, "authorize")
    if stored is not None:
        return stored
    evse = resolve_evse(csms=csms, ref=event, related=("csms_mapping",))
    charge_point_id = event.get("charge_point_id") or ""
    if not charge_point_id:
        try:
            charge_point_id = evse.csms_mapping.charge_point_id
        except EvseMapping.DoesNotExist:
            charge_point_id = ""
    decision = decide(
        evse=evse,
        id_tag=event["id_tag"],
        type=event["token_type"],
        reader_format=event["reader_format"],
        charge_point_id=charge_point_id,
        id_token_type=event.get("id_token_type"),
    )

    def process() -> dict:
        return authorization_answer(record_authorization(authorization=decision), event)

    return once(csms, event, "authorize", process)


def authorization_answer(authorization: Authorization, event: dict) -> dict:
    """What the CSMS tells the charge point (OCPP IdTagInfo status) and keeps."""
    token = authorization.token or {}
    if authorization.accepted:
        ocpp_status = "Accepted"
    else:
        ocpp_status = OCPP_STATUS.get(authorization.reason, "Invalid")
    return {
        "event_id": event["event_id"],
        "authorization_id": authorization.pk,
        "accepted": authorization.accepted,
        "ocpp_status": ocpp_status,
        "reason": authorization.reason,
        "source": authorization.source,
        "uid": authorization.uid,
        "token_type": authorization.type,
        "message": authorization.hub_message if authorization.source == Source.LOCAL else "",
        "authorization_reference": authorization.authorization_reference or None,
        "group_id": token.get("group_id") or None,
        "info": authorization.info,
    }
