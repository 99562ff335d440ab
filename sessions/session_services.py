"""Writes of charging sessions and CDRs, from the CSMS events (roaming-workflow §3.5, §4).

Each service is one transaction: the session changes, its periods and cost are derived
again from the samples, and the hub's messages are queued with it (sessions.session_push).
The CDR is built in the transaction that completes the session (Gireve §3.9.1: "directly at
the end of the charging-session"), checked (sessions.cdr_checks), then queued behind the
COMPLETED PUT or held for a person. Bad input raises ValidationError and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from locations.models import EVSE, Connector
from roaming.ocpi_time import format_datetime, parse_datetime
from tariffs import enums as tariff_enums
from tariffs import selectors as tariff_selectors
from tariffs.models import Tariff
from tariffs.ocpi import tariff_to_ocpi
from tariffs.pricing import PricingError, compile_tariff, parse_session, price_session

from . import cdr_checks, session_push
from .charging_periods import Sample, boundaries_of, build_periods, without_session_dimensions
from .enums import AuthMethod, SessionStatus, TokenType
from .models import Cdr, Session
from .session_ocpi import CDR_TOKEN_FIELDS, cdr_location_to_ocpi, cdr_to_ocpi

logger = logging.getLogger(__name__)

# OCPI 2.2.1 CdrToken field lengths (mod_cdrs CdrToken class).
_TOKEN_LENGTHS = {"country_code": 2, "party_id": 3, "uid": 36, "contract_id": 36}


def _seconds(moment: dt.datetime) -> dt.datetime:
    """Whole seconds: the precision times leave with (roaming.ocpi_time), so what is priced
    is exactly what the hub receives."""
    if moment.tzinfo is None:
        raise ValidationError("Times must carry a time zone (UTC on the wire).")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


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


def tariff_at_start(
    evse: EVSE, started_at: dt.datetime, emsp: tuple[str, str] | None
) -> Tariff | None:
    """The EVSE's tariff valid at `started_at`, in the description eMSP `emsp` gets.

    Gireve §3.10.3: a tariff applies from its start_date_time (drafts never); §3.10.4: the
    description targeted at the eMSP, else the default one. The EVSE's tariff_ids are tried
    in order (after "change prices from a date" they name the old and the new tariff);
    PROFILE_* and AD_HOC_PAYMENT tariffs are not for roaming (Gireve §2.3.2).
    """
    operator = evse.location.operator
    for tariff_id in evse.tariff_ids:
        candidates = tariff_selectors.descriptions(operator, tariff_id).filter(
            start_date_time__lte=started_at, type__in=tariff_enums.FORWARDED_TYPES
        )
        candidates = [c for c in candidates if not c.end_date_time or c.end_date_time > started_at]
        targeted = [
            c
            for c in candidates
            if emsp
            and c.target_operator_country_code.upper() == emsp[0].upper()
            and c.target_operator_party_id.upper() == emsp[1].upper()
        ]
        default = [c for c in candidates if not c.is_targeted]
        if targeted or default:
            return (targeted or default)[0]
    return None


# --- the session's derived state -------------------------------------------------------


def _samples(session: Session) -> list[Sample]:
    return [Sample.from_json(data) for data in session.samples]


def _out_of_order(session: Session) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(parse_datetime(a), parse_datetime(b)) for a, b in session.out_of_order]


def _derive(session: Session, *, session_dimensions: bool = True):
    """Periods, kwh and the live total_cost from the samples (pricing engine, the eMSP's
    tariff as at the start). Returns the Periods."""
    samples = _samples(session)
    end = session.end_date_time or max(
        [session.start_date_time, *(s.at for s in samples)], default=session.start_date_time
    )
    compiled = _compiled(session)
    periods = build_periods(
        start=session.start_date_time,
        end=end,
        meter_start_wh=session.meter_start_wh,
        samples=samples,
        time_zone=session.time_zone,
        boundaries=boundaries_of(compiled),
        out_of_order=_out_of_order(session),
        tariff_id=session.tariff["id"] if session.tariff else None,
        session_dimensions=session_dimensions,
    )
    if session_dimensions:
        session.charging_periods = periods.periods
        session.kwh = periods.total_energy
        session.total_cost = _price(session, compiled, periods.periods, end)
    return periods


def _compiled(session: Session):
    """The session's tariff compiled; None without a tariff or when the engine refuses it
    (the session still ends and is PUT; its CDR is then held by the checks)."""
    if not session.tariff:
        return None
    try:
        return compile_tariff(session.tariff)
    except PricingError as error:
        logger.error("Session %s: its tariff cannot be priced: %s", session.ocpi_id, error)
        return None


def _price(session: Session, compiled, periods: list[dict], end: dt.datetime) -> dict | None:
    if not session.tariff:
        return {"excl_vat": 0, "incl_vat": 0}
    if compiled is None:
        return None
    try:
        parsed = parse_session(
            periods, format_datetime(session.start_date_time), format_datetime(end)
        )
        return price_session(compiled, parsed, session.time_zone).cost_fields()["total_cost"]
    except PricingError as error:
        # An estimate only: the CDR checks hold the CDR if the engine still refuses it.
        logger.warning("Session %s cannot be priced: %s", session.ocpi_id, error)
        return None


def _locked(session: Session) -> Session:
    return (
        Session.objects.select_related("operator")
        .select_for_update(of=("self",))
        .get(pk=session.pk)
    )


def _touch(session: Session, now: dt.datetime) -> None:
    """OCPI last_updated: strictly increasing per session (roaming-workflow §3.4)."""
    now = _seconds(now)
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
    now: dt.datetime | None = None,
) -> Session | None:
    """A transaction started after an allowed authorization (or a remote start) with the EV
    plugged: the session is ACTIVE and PUT at once (Gireve §3.8.1).

    `cdr_token`, `auth_method`, `authorization_reference`: exactly as the hub gave them
    (AuthorizationInfo / StartSession, Gireve §3.6.1). `cdr_token=None` is a non-roaming
    charge: on an Advenir station it is reported anonymised (Gireve §3.8.5), elsewhere it
    is none of the hub's business (None is returned, nothing is stored).
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
    started_at = _seconds(started_at)
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
        tariff=tariff_to_ocpi(tariff) if tariff else None,
        status=SessionStatus.ACTIVE,
    )
    _derive(session)
    _touch(session, now or timezone.now())
    session.save()
    session_push.session_started(session, now=now)
    return session


@transaction.atomic
def record_meter_values(
    *, session: Session, samples: Iterable[Sample], now: dt.datetime | None = None
) -> Session:
    """Meter values (late ones with their real times too): periods and cost are derived
    again; the hub gets an update, at most one per SESSION_UPDATE_MIN_SECONDS."""
    session = _locked(session)
    if session.status != SessionStatus.ACTIVE or session.stopped_at is not None:
        raise ValidationError(f"Session {session.ocpi_id} is no longer charging.")
    _merge_samples(session, samples)
    _derive(session)
    _touch(session, now or timezone.now())
    session.save()
    session_push.session_updated(session, now=now)
    return session


def _merge_samples(session: Session, samples: Iterable[Sample]) -> None:
    by_time = {data["at"]: data for data in session.samples}
    for sample in samples:
        if not isinstance(sample.wh, int) or sample.wh < 0:
            raise ValidationError("A meter value needs a non-negative Wh register.")
        at = _seconds(sample.at)
        if at < session.start_date_time:
            raise ValidationError("A meter value is older than the session start.")
        fixed = Sample(at, sample.wh, sample.state, sample.power_w, sample.current_a, sample.soc)
        by_time[format_datetime(at)] = fixed.to_json()  # a replay replaces, never adds
    session.samples = [by_time[key] for key in sorted(by_time)]


def _set_out_of_order(session: Session, intervals) -> None:
    """The EVSE's out-of-order intervals (Gireve §3.9.2), from the CSMS status feed."""
    cleaned = []
    for start, end in intervals or ():
        start, end = _seconds(start), _seconds(end)
        if end < start:
            raise ValidationError("An out-of-order interval ends before it starts.")
        cleaned.append([format_datetime(start), format_datetime(end)])
    if cleaned:
        session.out_of_order = cleaned


@transaction.atomic
def stop_transaction(
    *,
    session: Session,
    stopped_at: dt.datetime,
    meter_stop_wh: int,
    reason: str = "",
    ev_still_plugged: bool = False,
    out_of_order: Iterable[tuple[dt.datetime, dt.datetime]] = (),
    now: dt.datetime | None = None,
) -> Session:
    """The transaction stopped. With the EV gone the session is COMPLETED and its CDR
    built now; with the EV still plugged, what follows is parking until `ev_left`."""
    session = _locked(session)
    if session.status != SessionStatus.ACTIVE or session.stopped_at is not None:
        raise ValidationError(f"Session {session.ocpi_id} was already stopped.")
    stopped_at = _seconds(stopped_at)
    if stopped_at < session.start_date_time:
        raise ValidationError("stopped_at is before the session start.")
    state = "EV_IDLE" if ev_still_plugged else "CHARGING"
    _merge_samples(session, [Sample(stopped_at, meter_stop_wh, state)])
    _set_out_of_order(session, out_of_order)
    session.stopped_at, session.stop_reason = stopped_at, reason[:64]
    if not ev_still_plugged:
        return _complete(session, end=stopped_at, now=now)
    _derive(session)
    _touch(session, now or timezone.now())
    session.save()
    session_push.session_updated(session, now=now)
    return session


@transaction.atomic
def ev_left(
    *,
    session: Session,
    left_at: dt.datetime,
    out_of_order: Iterable[tuple[dt.datetime, dt.datetime]] = (),
    now: dt.datetime | None = None,
) -> Session:
    """The EV left: the end of parking, so of the session (OCPI end_date_time includes it)."""
    session = _locked(session)
    if session.status != SessionStatus.ACTIVE:
        raise ValidationError(f"Session {session.ocpi_id} is not active.")
    left_at = _seconds(left_at)
    last = max([s.at for s in _samples(session)], default=session.start_date_time)
    if left_at < last:
        raise ValidationError("left_at is before the last meter value.")
    if session.stopped_at is None:
        # Unplugged without a stop event: the transaction ends here, at the last register.
        register = max([s.wh for s in _samples(session)], default=session.meter_start_wh)
        _merge_samples(session, [Sample(left_at, register)])
        session.stopped_at = left_at
    _set_out_of_order(session, out_of_order)
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
    _derive(session)
    _touch(session, now or timezone.now())
    session.save()
    session_push.session_ended(session, now=now)
    _issue_cdr(session, cdr_id=session.ocpi_id, created=session.last_updated)
    return session


# --- CDRs ------------------------------------------------------------------------------


def _issue_cdr(
    session: Session,
    *,
    cdr_id: str,
    created: dt.datetime,
    rebill_of: Cdr | None = None,
    reason: str = "",
    user=None,
) -> Cdr:
    """Build, check and save a CDR from the session; queue it, or hold it with the reasons."""
    periods = _derive(session, session_dimensions=False)
    costs = _cdr_costs(session, periods.periods)
    data = cdr_to_ocpi(
        session=session,
        cdr_id=cdr_id,
        charging_periods=without_session_dimensions(periods.periods),
        totals=periods,
        costs=costs,
        created=created,
    )
    errors = cdr_checks.cdr_errors(
        data,
        cdr_token=session.cdr_token,
        session_total_cost=None if rebill_of else session.total_cost,
        time_zone=session.time_zone,
    )
    cdr = _save_cdr(session, data, errors=errors, rebill_of=rebill_of, reason=reason, user=user)
    if cdr.state == Cdr.State.QUEUED:
        session_push.cdr_queued(cdr)
    else:
        logger.error("CDR %s held: %s", cdr.ocpi_id, "; ".join(errors))
    return cdr


def _cdr_costs(session: Session, periods: list[dict]) -> dict:
    if not session.tariff:
        return {"total_cost": {"excl_vat": 0, "incl_vat": 0}}
    try:
        compiled = compile_tariff(session.tariff)
        parsed = parse_session(
            periods,
            format_datetime(session.start_date_time),
            format_datetime(session.end_date_time),
        )
        return price_session(compiled, parsed, session.time_zone).cost_fields()
    except PricingError:
        # The checks say why (the engine refuses it again there); the CDR is held.
        return {"total_cost": {"excl_vat": 0}}


def _save_cdr(session, data, *, errors, rebill_of=None, reason="", user=None, credit_of=None):
    cdr = Cdr(
        session=session,
        operator=session.operator,
        ocpi_id=data["id"],
        data=data,
        state=Cdr.State.HELD if errors else Cdr.State.QUEUED,
        held_reason="\n".join(errors),
        credit=bool(data.get("credit")),
        credit_reference=credit_of,
        rebill_of=rebill_of,
        reason=reason,
        created_by=user,
        emsp_country_code=data["cdr_token"]["country_code"],
        emsp_party_id=data["cdr_token"]["party_id"],
        currency=data["currency"],
        total_cost_excl_vat=data["total_cost"]["excl_vat"],
        total_energy=data["total_energy"],
        start_date_time=parse_datetime(data["start_date_time"]),
        end_date_time=parse_datetime(data["end_date_time"]),
    )
    cdr.save()
    return cdr


@dataclass
class Correction:
    credit: Cdr
    rebill: Cdr | None


@transaction.atomic
def credit_cdr(
    *, cdr: Cdr, reason: str, user, rebill_tariff_id: str | None = None, rebill: bool = False
) -> Correction:
    """OCPI 2.2.1 mod_cdrs Credit CDRs (Gireve §3.9.3): a credit CDR for `cdr` and, with
    `rebill` (or a `rebill_tariff_id`), a corrected CDR with a new id; both on the session's
    stream. Gireve today ignores the credit and forwards the re-bill: the eMSP gets a
    second CDR for the session and no credit (roaming-workflow §4.4).
    """
    if not reason.strip():
        raise ValidationError("A reason is required to credit a CDR.")
    cdr = Cdr.objects.select_for_update().select_related("session__operator").get(pk=cdr.pk)
    if cdr.credit:
        raise ValidationError(f"{cdr.ocpi_id} is a credit CDR: it cannot be credited.")
    if cdr.state != Cdr.State.QUEUED:
        raise ValidationError(f"{cdr.ocpi_id} was never sent (held): nothing to credit.")
    if cdr.credits.exists():
        raise ValidationError(f"{cdr.ocpi_id} was already credited.")
    session = cdr.session
    now = _seconds(timezone.now())
    credits = Cdr.objects.filter(session=session, credit=True).count()
    # mod_cdrs: "SHALL have a different CDR.id", e.g. the original id + "-C" (≤ 39).
    credit_id = f"{cdr.ocpi_id}-C" if credits == 0 else f"{cdr.ocpi_id}-C{credits + 1}"
    data = dict(cdr.data)
    # "The Credit CDR will contain all the data of the original CDR. Only the values in the
    # total_cost field SHALL contain the negative amounts."
    data["total_cost"] = {name: -value for name, value in data["total_cost"].items()}
    data.update(id=credit_id, credit=True, credit_reference_id=cdr.ocpi_id)
    data["last_updated"] = format_datetime(now)
    errors = [] if len(credit_id) <= cdr_checks.MAX_CREDIT_ID else ["credit id too long"]
    credit = _save_cdr(session, data, errors=errors, reason=reason, user=user, credit_of=cdr)
    session_push.cdr_queued(credit)
    record_staff_action(user=user, action="credit_cdr", obj=credit, reason=reason)
    corrected = None
    if rebill or rebill_tariff_id:
        if rebill_tariff_id:
            _retariff(session, rebill_tariff_id)
        rebills = Cdr.objects.filter(session=session, credit=False).count()
        corrected = _issue_cdr(
            session,
            cdr_id=f"{session.ocpi_id}-R{rebills}",
            created=now,
            rebill_of=cdr,
            reason=reason,
            user=user,
        )
        record_staff_action(user=user, action="rebill_cdr", obj=corrected, reason=reason)
    return Correction(credit, corrected)


def _retariff(session: Session, tariff_id: str) -> None:
    """Re-bill under another tariff id: its description for the session's eMSP (§3.10.4),
    valid at the session start (§3.10.3). The session row keeps its original tariff."""
    token = session.cdr_token
    emsp = (
        None
        if session.origin == Session.Origin.ADVENIR
        else (
            token["country_code"],
            token["party_id"],
        )
    )
    evse = EVSE(location=session.location, tariff_ids=[tariff_id])
    tariff = tariff_at_start(evse, session.start_date_time, emsp)
    if tariff is None:
        raise ValidationError(
            {"tariff": f"No tariff {tariff_id} valid at {session.start_date_time} for {emsp}."}
        )
    session.tariff = tariff_to_ocpi(tariff)
    session.currency = tariff.currency


def record_staff_action(*, user, action: str, obj, reason: str) -> None:
    """THE call site for the audit trail of credit/re-bill (every staff action leaves an
    entry). roaming.audit is not on this branch: the lead wires `roaming.audit.record`
    here; until then the entry goes to the log."""
    logger.warning("AUDIT %s by %s on %s: %s", action, getattr(user, "username", user), obj, reason)
