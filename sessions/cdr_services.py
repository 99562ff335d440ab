"""Writes of CDRs: the one built when a session completes, credit and re-bill CDRs.

OCPI 2.2.1 mod_cdrs: a CDR is "the full and final" record and "cannot be changed or
replaced once sent"; it is checked first (sessions.cdr_checks) and held for a person when it
fails, else queued on the session's stream behind the COMPLETED PUT (sessions.session_push).
Corrections are a credit CDR and a new CDR (Gireve §3.9.3).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from locations.models import EVSE
from roaming import audit
from roaming.ocpi_time import format_datetime, parse_datetime
from tariffs.ocpi import tariff_to_ocpi
from tariffs.pricing import PricingError, compile_tariff_once, parse_session, price_session

from . import cdr_checks, session_push
from .charging_periods import without_session_dimensions
from .models import Cdr, Session
from .session_ocpi import cdr_to_ocpi
from .session_state import derive, tariff_at_start, whole_seconds

logger = logging.getLogger(__name__)

# The remark of a self-test CDR (sessions.test_charge): what an eMSP reading it learns.
TEST_REMARK = "OCPI self-test charge (hub qualification): never billed, every cost is zero."
_ZERO_COST = {"total_cost": {"excl_vat": 0, "incl_vat": 0}}


def issue_cdr(
    session: Session,
    *,
    cdr_id: str,
    created: dt.datetime,
    rebill_of: Cdr | None = None,
    reason: str = "",
    user=None,
) -> Cdr:
    """Build, check and save a CDR from the session; queue it, or hold it with the reasons."""
    periods = derive(session, session_dimensions=False)
    # A self-test charge runs under no tariff (session_services.start_session): zero costs.
    costs = _ZERO_COST if session.is_test else _cdr_costs(session, periods.periods)
    data = cdr_to_ocpi(
        session=session,
        cdr_id=cdr_id,
        charging_periods=without_session_dimensions(periods.periods),
        totals=periods,
        costs=costs,
        created=created,
        remark=TEST_REMARK if session.is_test else "",
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
        compiled = compile_tariff_once(session.tariff)
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
        is_test=session.is_test,
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
    if cdr.is_test:
        raise ValidationError(f"{cdr.ocpi_id} is a self-test CDR: never billed, nothing to credit.")
    if cdr.state != Cdr.State.QUEUED:
        raise ValidationError(f"{cdr.ocpi_id} was never sent (held): nothing to credit.")
    if cdr.credits.exists():
        raise ValidationError(f"{cdr.ocpi_id} was already credited.")
    session = cdr.session
    now = whole_seconds(timezone.now())
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
    audit.record(actor=user, action="credit_cdr", objects=[credit], detail=reason)
    corrected = None
    if rebill or rebill_tariff_id:
        if rebill_tariff_id:
            _retariff(session, rebill_tariff_id)
        rebills = Cdr.objects.filter(session=session, credit=False).count()
        corrected = issue_cdr(
            session,
            cdr_id=f"{session.ocpi_id}-R{rebills}",
            created=now,
            rebill_of=cdr,
            reason=reason,
            user=user,
        )
        audit.record(actor=user, action="rebill_cdr", objects=[corrected], detail=reason)
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
        # In words (audit 2, E4): not "for ('NL', 'EMP')" at a "+00:00" time.
        zone = session.time_zone or "UTC"
        start = session.start_date_time.astimezone(ZoneInfo(zone))
        whose = f"eMSP {emsp[0]}*{emsp[1]}" if emsp else "Advenir sessions"
        raise ValidationError(
            {
                "tariff": f"Tariff {tariff_id} has no description for {whose} valid when the "
                f"session started ({start:%Y-%m-%d %H:%M} ({zone}))."
            }
        )
    session.tariff = tariff_to_ocpi(tariff)
    session.currency = tariff.currency
