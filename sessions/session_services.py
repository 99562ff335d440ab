"""Writes of charging sessions from the CSMS events (roaming-workflow §3.5).

Each service is one transaction: the session changes, its periods and cost are derived
again from the samples (sessions.session_state), and the hub's messages are queued with it
(sessions.session_push). The CDR is built in the transaction that completes the session
(Gireve §3.9.1: "directly at the end of the charging-session", sessions.cdr_services).
Bad input raises ValidationError and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from locations.models import EVSE, Connector, OutOfOrderInterval
from roaming import rows
from roaming.models import Operator
from roaming.ocpi_time import format_datetime
from tariffs.ocpi import tariff_to_ocpi

from . import cdr_services, session_push
from .charging_periods import Sample
from .enums import AuthMethod, SessionStatus, TokenType
from .models import Session
from .session_ocpi import CDR_TOKEN_FIELDS, cdr_location_to_ocpi
from .session_state import (
    advance,
    derive,
    latest_sample,
    live_state_of,
    store_samples,
    tariff_at_start,
    whole_seconds,
)

# OCPI 2.2.1 CdrToken field lengths (mod_cdrs CdrToken class).
_TOKEN_LENGTHS = {"country_code": 2, "party_id": 3, "uid": 36, "contract_id": 36}


def advenir_token() -> dict:
    """Gireve §3.8.5/§3.9.5 anonymised CdrToken of a non-roaming charge (settings: the five
    values are "to confirm by Gireve during onboarding")."""
    return {
        "country_code": settings.ADVENIR_TOKEN_COUNTRY_CODE,
        "party_id": settings.ADVENIR_TOKEN_PARTY_ID,
        "uid": settings.ADVENIR_TOKEN_UID,
        "type": settings.ADVENIR_TOKEN_TYPE,
        "contract_id": settings.ADVENIR_TOKEN_CONTRACT_ID,
    }


def _token_errors(token) -> list[str]:
    if not isinstance(token, dict):
        return ["cdr_token: must be an OCPI CdrToken object."]
    errors = []
    for name in CDR_TOKEN_FIELDS:
        value = token.get(name)
        if not isinstance(value, str) or not value:
            errors.append(f"cdr_token.{name}: is required.")
        elif name in _TOKEN_LENGTHS and len(value) > _TOKEN_LENGTHS[name]:
            errors.append(f"cdr_token.{name}: at most {_TOKEN_LENGTHS[name]} characters.")
    if token.get("type") and token["type"] not in TokenType.values:
        errors.append(f"cdr_token.type: {token['type']!r} is not a TokenType.")
    return errors


_LOCKED_SQL = f"""
SELECT {rows.columns(Session, "s")}, {rows.columns(Operator, "o")}
FROM {Session._meta.db_table} s JOIN {Operator._meta.db_table} o ON o.id = s.operator_id
WHERE s.id = %s
"""


def _locked(session: Session) -> Session:
    """The session row-locked, read whole with its operator: every event of a charge
    starts here, so the SQL is written once (roaming.rows, issue 21)."""
    sql = _LOCKED_SQL
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE OF s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [session.pk])
        row = cursor.fetchone()
    if row is None:
        raise Session.DoesNotExist(f"Session {session.pk} does not exist.")
    locked, operator = rows.split(row, Session, Operator)
    locked.operator = operator
    return locked


def _touch(session: Session, now: dt.datetime) -> None:
    """OCPI last_updated: strictly increasing per session (roaming-workflow §3.4)."""
    now = whole_seconds(now)
    if session.last_updated and now <= session.last_updated:
        now = session.last_updated + dt.timedelta(seconds=1)
    session.last_updated = now


# --- CSMS events -----------------------------------------------------------------------


@transaction.atomic
def start_session(
    *,
    evse: EVSE,
    connector: Connector,
    started_at: dt.datetime,
    meter_start_wh: int,
    cdr_token: dict | None,
    auth_method: str | None = None,
    authorization_reference: str = "",
    transaction_id: str = "",
    meter_id: str = "",
    invalid_reason: str = "",
    is_test: bool = False,
    now: dt.datetime | None = None,
) -> Session | None:
    """A transaction started after an allowed authorization (or a remote start) with the EV
    plugged: the session is ACTIVE and PUT at once (Gireve §3.8.1).

    `invalid_reason`: the charge point started although the hub refused the token (offline
    local list, a CSMS that ignored the answer): the session is INVALID from the start, one
    PUT, never billed and no CDR (roaming-workflow §3.5).

    `cdr_token`, `auth_method`, `authorization_reference`: exactly as the hub gave them
    (AuthorizationInfo / StartSession, Gireve §3.6.1). `cdr_token=None` is a non-roaming
    charge: on an Advenir station it is reported anonymised (Gireve §3.8.5), elsewhere it
    is none of the hub's business (None is returned, nothing is stored).

    `is_test`: an OCPI self-test charge (sessions.test_charge): run under no tariff, so every
    cost it shows the hub is zero, and marked so that it is never billed.
    """
    location = evse.location
    if connector.evse_id != evse.pk:
        raise ValidationError({"connector": "This connector is not on that EVSE."})
    origin = Session.Origin.ROAMING
    if cdr_token is None:
        if not location.advenir_reporting:
            return None
        # No personal data: the anonymised token, no authorization reference (no eMSP asked).
        cdr_token, auth_method, authorization_reference = (
            advenir_token(),
            AuthMethod.WHITELIST,
            "",
        )
        origin = Session.Origin.ADVENIR
    errors = _token_errors(cdr_token)
    if auth_method not in AuthMethod.values:
        errors.append(f"auth_method: {auth_method!r} is not an AuthMethod.")
    if len(authorization_reference) > 36:
        errors.append("authorization_reference: at most 36 characters (CiString(36)).")
    if not isinstance(meter_start_wh, int) or meter_start_wh < 0:
        errors.append("meter_start_wh: must be a non-negative integer (Wh).")
    if errors:
        raise ValidationError(errors)
    started_at = whole_seconds(started_at)
    emsp = (
        None
        if origin == Session.Origin.ADVENIR
        else (
            cdr_token["country_code"],
            cdr_token["party_id"],
        )
    )
    tariff = tariff_at_start(evse, started_at, emsp)
    session = Session(
        operator=location.operator,
        ocpi_id=uuid.uuid4().hex,
        location=location,
        evse=evse,
        connector=connector,
        origin=origin,
        transaction_id=transaction_id,
        start_date_time=started_at,
        meter_start_wh=meter_start_wh,
        cdr_token={name: cdr_token[name] for name in CDR_TOKEN_FIELDS},
        auth_method=auth_method,
        authorization_reference=authorization_reference,
        meter_id=meter_id,
        currency=tariff.currency if tariff else settings.SESSION_DEFAULT_CURRENCY,
        time_zone=location.time_zone,
        cdr_location=cdr_location_to_ocpi(location, evse, connector),
        tariff=tariff_to_ocpi(tariff) if tariff and not is_test else None,
        status=SessionStatus.INVALID if invalid_reason else SessionStatus.ACTIVE,
        invalid_reason=invalid_reason[:255],
        is_test=is_test,
    )
    derive(session)
    session.live_state = live_state_of(session)
    _touch(session, now or timezone.now())
    session.save()
    if invalid_reason:
        session_push.session_ended(session, now=now)
    else:
        session_push.session_started(session, now=now)
    return session


@transaction.atomic
def record_meter_values(
    *, session: Session, samples: Iterable[Sample], now: dt.datetime | None = None
) -> Session:
    """Meter values (late ones with their real times too): periods and cost are derived
    again; the hub gets an update, at most one per SESSION_UPDATE_MIN_SECONDS. After the
    stop (EV still plugged) only late values from before the stop are taken."""
    session = _locked(session)
    if session.status != SessionStatus.ACTIVE:
        raise ValidationError(f"Session {session.ocpi_id} is {session.status}: its CDR is final.")
    samples = list(samples)
    if session.stopped_at is not None and any(
        whole_seconds(s.at) >= session.stopped_at for s in samples
    ):
        raise ValidationError(
            f"Session {session.ocpi_id} stopped at {format_datetime(session.stopped_at)}: "
            "only meter values from before the stop are taken."
        )
    samples = _merge_samples(session, samples)
    if session.stopped_at is None and not session.out_of_order:
        advance(session, samples)  # the open tail only: the same cost at every sample
    else:
        derive(session)  # late values after the stop: rare, whole
    _touch(session, now or timezone.now())
    # The hot path of a charge (a meter value a minute): write only what a sample changes.
    session.save(
        update_fields=[
            "live_state",
            "charging_periods",
            "meter_resets",
            "kwh",
            "total_cost",
            "last_updated",
        ]
    )
    session_push.session_updated(session, now=now)
    return session


def _merge_samples(session: Session, samples: Iterable[Sample]) -> list[Sample]:
    """Check and store the samples (whole seconds; one per second: a replay replaces, never
    adds); returns them as stored, in time order."""
    by_time = {}
    for sample in samples:
        if not isinstance(sample.wh, int) or sample.wh < 0:
            raise ValidationError("A meter value needs a non-negative Wh register.")
        at = whole_seconds(sample.at)
        if at < session.start_date_time:
            raise ValidationError("A meter value is older than the session start.")
        by_time[at] = Sample(
            at, sample.wh, str(sample.state), sample.power_w, sample.current_a, sample.soc
        )
    fixed = [by_time[at] for at in sorted(by_time)]
    store_samples(session, fixed)
    return fixed


def _set_out_of_order(session: Session, end: dt.datetime) -> None:
    """The EVSE's out-of-order time within the session (Gireve §3.9.2: not in total_time,
    free of charge), as the CSMS status feed recorded it (locations.OutOfOrderInterval,
    charge point times); one still open lasts until `end`."""
    start = session.start_date_time
    intervals = OutOfOrderInterval.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start),
        evse_id=session.evse_id,
        started_at__lt=end,
    ).order_by("started_at")
    clipped = [
        (max(whole_seconds(i.started_at), start), min(whole_seconds(i.ended_at or end), end))
        for i in intervals
    ]
    session.out_of_order = [[format_datetime(a), format_datetime(b)] for a, b in clipped if a < b]


@transaction.atomic
def stop_transaction(
    *,
    session: Session,
    stopped_at: dt.datetime,
    meter_stop_wh: int,
    reason: str = "",
    ev_still_plugged: bool = False,
    now: dt.datetime | None = None,
) -> Session:
    """The transaction stopped. With the EV gone the session is COMPLETED and its CDR
    built now; with the EV still plugged, what follows is parking until `ev_left`.
    Out-of-order time comes from the EVSE's status feed (`_set_out_of_order`)."""
    session = _locked(session)
    if session.status != SessionStatus.ACTIVE or session.stopped_at is not None:
        raise ValidationError(f"Session {session.ocpi_id} was already stopped.")
    stopped_at = whole_seconds(stopped_at)
    if stopped_at < session.start_date_time:
        raise ValidationError("stopped_at is before the session start.")
    state = "EV_IDLE" if ev_still_plugged else "CHARGING"
    _merge_samples(session, [Sample(stopped_at, meter_stop_wh, state)])
    _set_out_of_order(session, stopped_at)
    session.stopped_at, session.stop_reason = stopped_at, reason[:64]
    if not ev_still_plugged:
        return _complete(session, end=stopped_at, now=now)
    derive(session)
    _touch(session, now or timezone.now())
    session.save()
    session_push.session_updated(session, now=now)
    return session


@transaction.atomic
def ev_left(
    *,
    session: Session,
    left_at: dt.datetime,
    now: dt.datetime | None = None,
) -> Session:
    """The EV left: the end of parking, so of the session (OCPI end_date_time includes it)."""
    session = _locked(session)
    if session.status != SessionStatus.ACTIVE:
        raise ValidationError(f"Session {session.ocpi_id} is not active.")
    left_at = whole_seconds(left_at)
    latest = latest_sample(session)
    if left_at < (latest.at if latest else session.start_date_time):
        raise ValidationError("left_at is before the last meter value.")
    if session.stopped_at is None:
        # Unplugged without a stop event: the transaction ends here, at the last register.
        register = latest.wh if latest else session.meter_start_wh
        _merge_samples(session, [Sample(left_at, register)])
        session.stopped_at = left_at
    _set_out_of_order(session, left_at)
    return _complete(session, end=left_at, now=now)


@transaction.atomic
def invalidate_session(*, session: Session, reason: str, now: dt.datetime | None = None):
    """OCPI INVALID: "declared invalid and will not be billed" - a PUT, and no CDR."""
    session = _locked(session)
    if session.status != SessionStatus.ACTIVE:
        raise ValidationError(f"Session {session.ocpi_id} is {session.status}, not ACTIVE.")
    if not reason.strip():
        raise ValidationError("A reason is required.")
    session.status, session.invalid_reason = SessionStatus.INVALID, reason[:255]
    _touch(session, now or timezone.now())
    session.save()
    session_push.session_ended(session, now=now)
    return session


def _complete(session: Session, *, end: dt.datetime, now: dt.datetime | None) -> Session:
    """COMPLETED, PUT, then the CDR in the same transaction (Gireve §3.9.1)."""
    session.end_date_time = end
    session.status = SessionStatus.COMPLETED
    derive(session)
    _touch(session, now or timezone.now())
    session.save()
    session_push.session_ended(session, now=now)
    cdr_services.issue_cdr(session, cdr_id=session.ocpi_id, created=session.last_updated)
    return session
