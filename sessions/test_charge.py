"""A short synthetic charge for the OCPI self-test (issue 22; Gireve §3.3 Push Sessions and
Push CDRs), through the services a CSMS charge goes through (sessions.session_services), so
the hub gets what a real charge sends, on the session's one stream: PUT ACTIVE, an update,
PUT COMPLETED, then the CDR POST (sessions.session_push).

It must never be billed: the session and its CDR are `is_test`; the session runs under no
tariff, so every cost it shows the hub is zero, and the CDR says why in its `remark`
(cdr_services.TEST_REMARK). Finance, statements and exports leave them out; the OCPI GET
endpoints still serve them (the hub saw them).

The token: the one the hub returned for the self-test's real-time authorization, when the
self-test passes that `Authorization` (Gireve's test token: the session then reaches the
eMSP that owns it); else a CPO-side token naming our own party (`selftest_token`), type OTHER,
auth_method WHITELIST (no eMSP was asked), so no eMSP can be billed for it.

Three steps, each one transaction with its outbox messages, like a CSMS event. Energy is
simulated at TEST_POWER_W from the real times; each step is at least a second after the one
before (times leave in whole seconds).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from locations.models import EVSE

from . import session_services
from .cdr_tokens import AUTH_METHODS, cdr_token_of
from .charging_periods import Sample
from .enums import AuthMethod, TokenType
from .models import Authorization, Cdr, Session
from .session_state import latest_sample, whole_seconds

TEST_POWER_W = 11_000
STOP_REASON = "OCPI self-test"
TEST_UID = "OCPI-SELFTEST"


def selftest_token(evse: EVSE) -> dict:
    """OCPI CdrToken of a self-test without a hub token: our own party, never an eMSP's."""
    operator = evse.location.operator
    return {
        "country_code": operator.country_code,
        "party_id": operator.party_id,
        "uid": TEST_UID,
        "type": TokenType.OTHER,
        "contract_id": f"{operator.country_code}-{operator.party_id}-SELFTEST",
    }


def _from_authorization(evse: EVSE, authorization: Authorization) -> tuple[dict, str, str]:
    """CdrToken, auth_method and authorization_reference exactly as the hub gave them, as
    the CSMS bridge takes them (sessions.csms.transactions)."""
    if authorization.evse_id != evse.pk:
        raise ValidationError({"authorization": "It was given at another EVSE."})
    if not authorization.accepted or not authorization.token:
        raise ValidationError(
            {"authorization": f"The token was refused ({authorization.reason}): no charge."}
        )
    cdr_token = cdr_token_of(authorization.token, authorization.uid, authorization.type)
    if cdr_token is None:
        raise ValidationError(
            {"authorization": "The hub's token lacks country_code/party_id/contract_id."}
        )
    method = AUTH_METHODS.get(authorization.source, AuthMethod.AUTH_REQUEST)
    return cdr_token, method, authorization.authorization_reference


def _next_step(session: Session, now: dt.datetime | None) -> tuple[dt.datetime, int]:
    """The time of the next meter value (≥ 1 s after the last) and its register: the energy
    of TEST_POWER_W since the start, at least a Wh more than the last value."""
    last = latest_sample(session)
    last_at = last.at if last else session.start_date_time
    last_wh = last.wh if last else session.meter_start_wh
    at = max(whole_seconds(now or timezone.now()), last_at + dt.timedelta(seconds=1))
    seconds = (at - session.start_date_time).total_seconds()
    energy = round(seconds * TEST_POWER_W / 3600)
    return at, max(session.meter_start_wh + energy, last_wh + 1)


@transaction.atomic
def begin_test_charge(
    *, evse: EVSE, authorization: Authorization | None = None, now: dt.datetime | None = None
) -> Session:
    """The test session ACTIVE on `evse` (its first connector), PUT on its stream."""
    connector = evse.connectors.order_by("ocpi_id").first()
    if connector is None:
        raise ValidationError({"evse": f"EVSE {evse.uid} has no connector."})
    if authorization is not None:
        cdr_token, auth_method, reference = _from_authorization(evse, authorization)
    else:
        cdr_token, auth_method, reference = selftest_token(evse), AuthMethod.WHITELIST, ""
    started_at = whole_seconds(now or timezone.now())
    return session_services.start_session(
        evse=evse,
        connector=connector,
        started_at=started_at,
        meter_start_wh=0,
        cdr_token=cdr_token,
        auth_method=auth_method,
        authorization_reference=reference,
        is_test=True,
        now=started_at,
    )


def _test_session(session: Session) -> Session:
    if not session.is_test:
        raise ValidationError(f"Session {session.ocpi_id} is not a self-test charge.")
    return session


@transaction.atomic
def update_test_charge(session: Session, *, now: dt.datetime | None = None) -> Session:
    """One more meter value: an update on the stream (never throttled for a test)."""
    at, wh = _next_step(_test_session(session), now)
    return session_services.record_meter_values(
        session=session, samples=[Sample(at, wh, "CHARGING")], now=at
    )


@transaction.atomic
def finish_test_charge(session: Session, *, now: dt.datetime | None = None) -> Cdr:
    """Stopped with the EV gone: PUT COMPLETED, then its zero-cost CDR POST (or the CDR held
    with the reasons, when it fails a check: its `state` says so)."""
    at, wh = _next_step(_test_session(session), now)
    session = session_services.stop_transaction(
        session=session, stopped_at=at, meter_stop_wh=wh, reason=STOP_REASON, now=at
    )
    return Cdr.objects.get(session=session, credit=False, rebill_of__isnull=True)
