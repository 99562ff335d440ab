"""A session's derived state: the tariff it runs under, its periods, kwh and live cost.

Shared by sessions.session_services (CSMS events) and sessions.cdr_services (CDRs, credit
and re-bill): both derive periods and prices from the stored samples the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from locations.models import EVSE
from roaming.ocpi_time import format_datetime, parse_datetime
from tariffs import enums as tariff_enums
from tariffs import selectors as tariff_selectors
from tariffs.models import Tariff
from tariffs.pricing import PricingError, compile_tariff_once, parse_session, price_session

from .charging_periods import Periods, Sample, boundaries_of, build_periods, counted_wh
from .live_periods import LivePeriods
from .models import MeterSample, Session

logger = logging.getLogger(__name__)


def whole_seconds(moment: dt.datetime) -> dt.datetime:
    """Whole seconds: the precision times leave with (roaming.ocpi_time), so what is priced
    is exactly what the hub receives."""
    if moment.tzinfo is None:
        raise ValidationError("Times must carry a time zone (UTC on the wire).")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


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


COLUMNS = ("at", "wh", "state", "power_w", "current_a", "soc")


def samples_of(session: Session, *, after: dt.datetime | None = None) -> list[Sample]:
    """The session's samples in time order (all, or those after `after`): one query."""
    if session.pk is None:
        return []
    rows = MeterSample.objects.filter(session_id=session.pk)
    if after is not None:
        rows = rows.filter(at__gt=after)
    return [Sample(*row) for row in rows.order_by("at").values_list(*COLUMNS)]


def latest_sample(session: Session) -> Sample | None:
    row = (
        MeterSample.objects.filter(session_id=session.pk)
        .order_by("-at")
        .values_list(*COLUMNS)
        .first()
    )
    return Sample(*row) if row else None


def store_samples(session: Session, samples: list[Sample]) -> None:
    """Append the samples (whole seconds, one per second); a second reading of a second
    already stored replaces it (the CSMS corrected it). One statement."""
    MeterSample.objects.bulk_create(
        [
            MeterSample(session_id=session.pk, **{name: getattr(s, name) for name in COLUMNS})
            for s in samples
        ],
        update_conflicts=True,
        unique_fields=["session", "at"],
        update_fields=["wh", "state", "power_w", "current_a", "soc"],
    )


def energy_points(session: Session) -> list[tuple[dt.datetime, Decimal]]:
    """(time, kWh counted since the start) at each sample, by the meter register rule
    (charging_periods.counted_wh: a reset adds nothing, counting goes on after it)."""
    points, counted, before = [], 0, session.meter_start_wh
    for sample in sorted(samples_of(session), key=lambda s: s.at):
        counted += counted_wh(before, sample.wh)
        before = sample.wh
        points.append((sample.at, Decimal(counted) / 1000))
    return points


def _out_of_order(session: Session) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(parse_datetime(a), parse_datetime(b)) for a, b in session.out_of_order]


def derive(session: Session, *, session_dimensions: bool = True) -> Periods:
    """Periods, kwh and the live total_cost from the samples (pricing engine, the eMSP's
    tariff as at the start). Returns the Periods."""
    samples = samples_of(session)
    end = session.end_date_time or max(
        [session.start_date_time, *(s.at for s in samples)], default=session.start_date_time
    )
    compiled = compiled_tariff(session)
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
        session.meter_resets = periods.resets
        session.kwh = periods.total_energy
        session.total_cost = _price(session, compiled, periods.periods, end)
    return periods


def live_state_of(session: Session) -> dict:
    """The live state of a session just started (LivePeriods: nothing after the start yet)."""
    return LivePeriods.start(
        start=session.start_date_time, meter_start_wh=session.meter_start_wh
    ).to_json()


def advance(session: Session, samples: list[Sample]) -> None:
    """Periods, kwh, resets and the live total_cost of an ACTIVE session after `samples`
    (stored already, whole seconds, one per second): only the open tail is computed again
    (sessions.live_periods). Samples after the last one: no read at all; a late or replaced
    one: the stored samples after the snapshot before it are read and folded again (one
    query). Equal to `derive` (tests/sessions/test_live_periods.py)."""
    compiled = compiled_tariff(session)
    boundaries = boundaries_of(compiled)
    tariff_id = session.tariff["id"] if session.tariff else None
    samples = sorted(samples, key=lambda s: s.at)
    live = LivePeriods.from_json(session.live_state)
    if live is None:  # no live state (sessions from before the samples table): all of them
        live = LivePeriods.start(
            start=session.start_date_time, meter_start_wh=session.meter_start_wh
        )
        samples = samples_of(session)
    elif samples and int(samples[0].at.timestamp()) <= live.last_at:
        samples = samples_of(session, after=live.rewind(samples[0].at))
    zone = ZoneInfo(session.time_zone)
    for sample in samples:
        live.add(sample, boundaries, zone, tariff_id)
    periods = live.periods(boundaries, tariff_id)
    session.live_state = live.to_json()
    session.charging_periods = periods.periods
    session.kwh = periods.total_energy
    session.meter_resets = periods.resets
    session.total_cost = _price(session, compiled, periods.periods, live.end)


def compiled_tariff(session: Session):
    """The session's tariff compiled; None without a tariff or when the engine refuses it
    (the session still ends and is PUT; its CDR is then held by the checks)."""
    if not session.tariff:
        return None
    try:
        return compile_tariff_once(session.tariff)  # once per tariff version
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
