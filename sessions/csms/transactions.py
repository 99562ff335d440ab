"""Transaction events of a CSMS (roaming-workflow §7 E3-E5) → our Sessions and CDRs.

Each event is processed once (services.once: one transaction with its ProcessedEvent) and
calls sessions.session_services, which queues the hub's messages in that transaction.

What a transaction-started becomes (docs/csms-bridge.md "Transactions"):
- it follows an accepted authorization or remote start → a roaming Session, ACTIVE, with the
  token, auth_method and authorization_reference exactly as stored (Gireve §3.6.1, §3.8.1);
- it follows an authorization the hub refused (the charge point started anyway) → an INVALID
  Session: "declared invalid and will not be billed" (roaming-workflow §3.5), one PUT, no CDR;
- nothing of the hub's (own customers, free vend, an unknown badge) → non-roaming: an
  anonymised Session on an Advenir station (Gireve §3.8.5), nothing elsewhere.
Every transaction is kept (csms.Transaction) so its later events are known; an event for a
transaction never started gets 404.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction
from django.utils import timezone

from locations.models import EVSE, Connector
from roaming import rows
from roaming.ocpi_time import format_datetime
from sessions import session_services
from sessions.authorization import decisions_for, remote_start_for, token_uid
from sessions.cdr_tokens import AUTH_METHODS, cdr_token_of
from sessions.charging_periods import Sample
from sessions.enums import AuthMethod, SessionStatus
from sessions.models import Authorization, RemoteStart, Session
from sessions.rfid import BadUid

from .models import Csms, EvseMapping, Transaction
from .services import MAX_CLOCK_AHEAD, BridgeError, once, resolve_evse

logger = logging.getLogger(__name__)
Reporting = Transaction.Reporting


@dataclass
class Link:
    """What a transaction follows, and so what the hub learns of it."""

    reporting: str
    cdr_token: dict | None = None
    auth_method: str | None = None
    reference: str = ""
    authorization: Authorization | None = None
    remote_start: RemoteStart | None = None
    note: str = ""


# Session JSON that grows with the charge, read by the services themselves.
HEAVY_SESSION_FIELDS = ("live_state", "charging_periods", "tariff", "cdr_location", "out_of_order")

# --- E3: transaction started -----------------------------------------------------------


def transaction_started(*, csms: Csms, event: dict) -> dict:
    started_at = _not_ahead(event["timestamp"])

    def process() -> dict:
        evse = resolve_evse(csms=csms, ref=event, lock=True)
        connector = _connector(evse, event)
        if Transaction.objects.filter(csms=csms, transaction_id=event["transaction_id"]).exists():
            raise BridgeError(
                409, f"Transaction {event['transaction_id']} was already started (another event)."
            )
        link = _link(csms, evse, event, started_at)
        try:
            session = session_services.start_session(
                evse=evse,
                connector=connector,
                started_at=started_at,
                meter_start_wh=event["meter_start_wh"],
                cdr_token=link.cdr_token,
                auth_method=link.auth_method,
                authorization_reference=link.reference,
                transaction_id=event["transaction_id"],
                meter_id=event.get("meter_id") or "",
                invalid_reason=link.note if link.reporting == Reporting.INVALID else "",
            )
        except ValidationError as exc:
            raise BridgeError(400, "; ".join(exc.messages)) from exc
        if session is not None and session.origin == Session.Origin.ADVENIR:
            link.reporting = Reporting.ADVENIR
        elif session is None:
            link.reporting = Reporting.NOT_REPORTED
        transaction = _create(
            csms=csms,
            transaction_id=event["transaction_id"],
            evse=evse,
            connector=connector,
            session=session,
            reporting=link.reporting,
            note=link.note[:255],
            id_tag=event.get("id_tag", ""),
            token_type=event.get("token_type", "") if event.get("id_tag") else "",
            authorization=link.authorization,
            remote_start=link.remote_start,
            started_at=started_at,
            meter_start_wh=event["meter_start_wh"],
        )
        return _answer(event, transaction, applied=True, reason=link.note)

    return once(csms, event, "transaction-started", process)


def _create(**fields) -> Transaction:
    """The transaction record; the same id started at the same time on another EVSE (the
    EVSE lock does not serialise those) is a 409, not a failure."""
    try:
        with db_transaction.atomic():
            return Transaction.objects.create(**fields)
    except IntegrityError as exc:
        raise BridgeError(
            409, f"Transaction {fields['transaction_id']} was already started (another event)."
        ) from exc


def _connector(evse: EVSE, event: dict) -> Connector:
    """The OCPI connector named with OCPI ids, else the EVSE's first (OCPP names EVSEs)."""
    connectors = evse.connectors.order_by("ocpi_id")
    if event.get("location_id") and event.get("connector_id"):
        connectors = connectors.filter(ocpi_id__iexact=event["connector_id"])
    connector = connectors.first()
    if connector is None:
        raise BridgeError(409, f"EVSE {evse.uid} has no connector (admin: Locations).")
    return connector


def _link(csms: Csms, evse: EVSE, event: dict, started_at: dt.datetime) -> Link:
    if event.get("remote_start_id"):
        remote_start = RemoteStart.objects.filter(pk=event["remote_start_id"], evse=evse).first()
        if remote_start is None:
            raise BridgeError(404, f"No remote start {event['remote_start_id']} at this EVSE.")
        return _from_remote_start(remote_start)
    if event.get("authorization_id"):
        authorization = Authorization.objects.filter(
            pk=event["authorization_id"], evse=evse
        ).first()
        if authorization is None:
            raise BridgeError(404, f"No authorization {event['authorization_id']} at this EVSE.")
        if Transaction.objects.filter(authorization=authorization).exists():
            raise BridgeError(
                409, f"Authorization {authorization.pk} already started another transaction."
            )
        return _from_authorization(authorization)
    if not event.get("id_tag"):
        return Link(Reporting.NOT_REPORTED, note="no id tag: not a roaming charge")
    try:
        # The same normaliser as the authorize decision (sessions.authorization).
        uid = token_uid(event["id_tag"], event["token_type"], event["reader_format"])
    except BadUid:
        return Link(Reporting.NOT_REPORTED, note="id tag is not a token uid: not roaming")
    return _latest_for_token(evse, uid, event, started_at)


def _latest_for_token(evse: EVSE, uid: str, event: dict, started_at: dt.datetime) -> Link:
    """The newest decision on this token at this EVSE, or remote start at this EVSE or its
    charge point, shortly before the start (an authorization already used by another
    transaction does not count): the matchers of sessions.authorization."""
    type = event["token_type"]
    recent = decisions_for(evse=evse, uid=uid, type=type, at=started_at)
    used = set(
        Transaction.objects.filter(authorization__in=recent).values_list(
            "authorization_id", flat=True
        )
    )
    authorization = next((a for a in recent if a.pk not in used), None)
    remote_start = remote_start_for(
        evse=evse,
        uid=uid,
        type=type,
        charge_point_id=_charge_point_id(evse, event),
        at=started_at,
    )
    if remote_start and (not authorization or remote_start.created_at > authorization.created_at):
        return _from_remote_start(remote_start)
    if authorization is not None:
        return _from_authorization(authorization)
    return Link(Reporting.NOT_REPORTED, note="no authorization for this token: not roaming")


def _charge_point_id(evse: EVSE, event: dict) -> str:
    """The charge point as the authorize decision takes it: named, else the EVSE's mapping."""
    if event.get("charge_point_id"):
        return event["charge_point_id"]
    mapping = EvseMapping.objects.filter(evse=evse).only("charge_point_id").first()
    return mapping.charge_point_id if mapping else ""


def _from_remote_start(remote_start: RemoteStart) -> Link:
    """OCPI mod_commands StartSession: its token "SHALL be put in the Session and CDR"."""
    return _roaming(
        Link(
            Reporting.ROAMING,
            auth_method=AuthMethod.COMMAND,
            reference=remote_start.authorization_reference,
            remote_start=remote_start,
        ),
        remote_start.token,
        remote_start.uid,
        remote_start.type,
    )


def _from_authorization(authorization: Authorization) -> Link:
    if not authorization.token:
        # No token from the hub (unknown, malformed, hub unreachable): not a roaming charge.
        return Link(
            Reporting.NOT_REPORTED,
            authorization=authorization,
            note=f"authorization {authorization.pk} refused ({authorization.reason}): not roaming",
        )
    link = Link(
        Reporting.ROAMING if authorization.accepted else Reporting.INVALID,
        auth_method=AUTH_METHODS.get(authorization.source, AuthMethod.AUTH_REQUEST),
        reference=authorization.authorization_reference,
        authorization=authorization,
    )
    if not authorization.accepted:
        link.note = f"the hub refused this token ({authorization.reason}): not billed"
    return _roaming(link, authorization.token, authorization.uid, authorization.type)


def _roaming(link: Link, token: dict, uid: str, type: str) -> Link:
    cdr_token = cdr_token_of(token, uid, type)
    if cdr_token is None:
        logger.error("Token %s %s lacks CdrToken fields: %s", type, uid, token)
        return Link(
            Reporting.NOT_REPORTED,
            authorization=link.authorization,
            remote_start=link.remote_start,
            note="the token lacks country_code/party_id/contract_id: cannot be reported",
        )
    link.cdr_token = cdr_token
    return link


# --- E4: meter values -------------------------------------------------------------------


def meter_values(*, csms: Csms, event: dict) -> dict:
    for sample in event["samples"]:
        _not_ahead(sample["timestamp"])
    samples = [
        Sample(
            s["timestamp"],
            s["energy_wh"],
            s["charging_state"],
            s.get("power_w"),
            s.get("current_a"),
            s.get("soc"),
        )
        for s in event["samples"]
    ]

    def process() -> dict:
        transaction = _transaction(csms, event)
        session = _charging_session(transaction)
        if session is None:
            return _answer(event, transaction, applied=False, reason=_why_not(transaction))
        before = session.meter_resets
        try:
            # The hot path (a value a minute per charge): the service's session, not a re-read.
            transaction.session = session_services.record_meter_values(
                session=session, samples=samples
            )
        except ValidationError as exc:
            raise BridgeError(409, "; ".join(exc.messages)) from exc
        return _answer(event, transaction, applied=True, reason=_reset(before, transaction))

    return once(csms, event, "meter-values", process)


# --- E5: transaction stopped ------------------------------------------------------------


def transaction_stopped(*, csms: Csms, event: dict) -> dict:
    stopped_at = _not_ahead(event["timestamp"])

    def process() -> dict:
        transaction = _transaction(csms, event)
        if transaction.stopped_at is not None:
            raise BridgeError(
                409,
                f"Transaction {transaction.transaction_id} was already stopped at "
                f"{format_datetime(transaction.stopped_at)}.",
            )
        transaction.stopped_at, transaction.meter_stop_wh = stopped_at, event["meter_stop_wh"]
        transaction.stop_reason = event["reason"]
        transaction.signed_data = event.get("signed_data")
        transaction.save(
            update_fields=["stopped_at", "meter_stop_wh", "stop_reason", "signed_data"]
        )
        session = _charging_session(transaction)
        if session is None:
            return _answer(event, transaction, applied=False, reason=_why_not(transaction))
        before = session.meter_resets
        try:
            session_services.stop_transaction(
                session=session,
                stopped_at=stopped_at,
                meter_stop_wh=event["meter_stop_wh"],
                reason=event["reason"],
                ev_still_plugged=event["ev_still_plugged"],
            )
        except ValidationError as exc:
            raise BridgeError(409, "; ".join(exc.messages)) from exc
        if not event["ev_still_plugged"]:
            transaction.ev_left_at = stopped_at
            transaction.save(update_fields=["ev_left_at"])
        transaction = _reload(transaction)
        return _answer(event, transaction, applied=True, reason=_reset(before, transaction))

    return once(csms, event, "transaction-stopped", process)


# --- end of parking ---------------------------------------------------------------------


def ev_left(*, csms: Csms, event: dict) -> dict:
    left_at = _not_ahead(event["timestamp"])

    def process() -> dict:
        transaction = _transaction(csms, event)
        if transaction.ev_left_at is not None:
            raise BridgeError(
                409,
                f"Transaction {transaction.transaction_id}: the EV left at "
                f"{format_datetime(transaction.ev_left_at)} already.",
            )
        transaction.ev_left_at = left_at
        transaction.stopped_at = transaction.stopped_at or left_at
        transaction.save(update_fields=["ev_left_at", "stopped_at"])
        session = transaction.session
        if session is None or session.status != SessionStatus.ACTIVE:
            return _answer(event, transaction, applied=False, reason=_why_not(transaction))
        try:
            session_services.ev_left(session=session, left_at=left_at)
        except ValidationError as exc:
            raise BridgeError(409, "; ".join(exc.messages)) from exc
        return _answer(event, _reload(transaction), applied=True)

    return once(csms, event, "ev-left", process)


# --- shared -----------------------------------------------------------------------------


def _not_ahead(moment: dt.datetime) -> dt.datetime:
    if moment > timezone.now() + MAX_CLOCK_AHEAD:
        raise BridgeError(400, "A time is in the future: check the charge point clock (UTC).")
    return moment


_TRANSACTION_SQL = f"""
SELECT {rows.columns(Transaction, "t")}, {rows.columns(Session, "s", HEAVY_SESSION_FIELDS)}
FROM {Transaction._meta.db_table} t
LEFT JOIN {Session._meta.db_table} s ON s.id = t.session_id
WHERE t.csms_id = %(csms)s AND t.transaction_id = %(transaction)s
ORDER BY t.started_at DESC, t.id LIMIT 1
"""


def _transaction(csms: Csms, event: dict) -> Transaction:
    """The transaction, row-locked: its events apply one at a time. Its session is read for
    its state only (the services lock and read it whole), so the growing JSON is not decoded
    twice per event. Every meter event starts here: the SQL is written once (roaming.rows)."""
    sql = _TRANSACTION_SQL
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE OF t"
    params = {"csms": csms.pk, "transaction": event["transaction_id"]}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise BridgeError(
            404,
            f"Unknown transaction {event['transaction_id']}: no transaction-started was "
            "received for it from this CSMS (send it first).",
        )
    transaction, session = rows.split(row, Transaction, (Session, HEAVY_SESSION_FIELDS))
    transaction.session = session
    return transaction


def _charging_session(transaction: Transaction) -> Session | None:
    session = transaction.session
    if session is None or session.status == SessionStatus.INVALID:
        return None
    return session


def _why_not(transaction: Transaction) -> str:
    if transaction.session is None:
        return f"recorded only: {transaction.get_reporting_display()}"
    return f"recorded only: session {transaction.session.status}"


def _reset(before: list[dict], transaction: Transaction) -> str:
    """ "meter_reset" when the event made a reading lower than the one before it in time
    (sessions.charging_periods.counted_wh: counting goes on from the new register)."""
    after = transaction.session.meter_resets
    return "meter_reset" if any(reset not in before for reset in after) else ""


def _reload(transaction: Transaction) -> Transaction:
    if transaction.session_id:
        transaction.session = Session.objects.get(pk=transaction.session_id)
    return transaction


def _answer(event: dict, transaction: Transaction, *, applied: bool, reason: str = "") -> dict:
    session = transaction.session
    return {
        "event_id": event["event_id"],
        "transaction_id": transaction.transaction_id,
        "reporting": transaction.reporting,
        "session_id": session.ocpi_id if session else None,
        "session_status": session.status if session else None,
        "kwh": str(session.kwh) if session else None,
        "applied": applied,
        "reason": reason,
    }
