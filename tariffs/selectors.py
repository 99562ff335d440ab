"""Reads of tariffs: what the hub sees, what pricing uses, and EVSE tariff groups."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from locations import enums as loc_enums
from locations.models import EVSE, Location
from roaming import countries
from roaming.models import Operator
from roaming.validators import url_id_problem

from .models import Tariff


def roaming_tariffs(operator: Operator | None = None) -> QuerySet[Tariff]:
    """Descriptions shared with the hub: with a start_date_time (Gireve §3.10.3), not withdrawn.

    One row per description, so a tariff id with three descriptions is listed three times
    (Gireve §3.10.4).
    """
    queryset = Tariff.objects.filter(start_date_time__isnull=False, withdrawn_at__isnull=True)
    if operator is not None:
        queryset = queryset.filter(operator=operator)
    return queryset.select_related("operator").order_by("last_updated", "pk")


def descriptions(operator: Operator, tariff_id: str) -> QuerySet[Tariff]:
    """Every description of one tariff id (ids compare case-insensitively)."""
    return Tariff.objects.filter(operator=operator, ocpi_id__iexact=tariff_id).select_related(
        "operator"
    )


def tariff_for_emsp(
    operator: Operator, tariff_id: str, emsp_country_code: str, emsp_party_id: str
) -> Tariff | None:
    """The description eMSP `cc*pid` gets for `tariff_id`: its own, else the default (§3.10.4).

    Drafts (no start_date_time) never apply; withdrawn descriptions still do, so that past
    sessions can be priced with the tariff they ran under.
    """
    candidates = descriptions(operator, tariff_id).filter(start_date_time__isnull=False)
    targeted = candidates.filter(
        target_operator_country_code__iexact=emsp_country_code,
        target_operator_party_id__iexact=emsp_party_id,
    ).first()
    return targeted or candidates.filter(target_operator_country_code="").first()


def known_tariff_ids(operator: Operator) -> set[str]:
    """Upper-cased ids of the operator's live (not withdrawn) tariffs, drafts included."""
    # .all() so that a prefetch (locations admin changelist) costs no query per row.
    return {t.ocpi_id.upper() for t in operator.tariffs.all() if t.withdrawn_at is None}


def unknown_tariff_ids(location: Location, known: set[str] | None = None) -> list[str]:
    """Tariff ids on the location's EVSEs that no live tariff of its operator defines.

    Reads `location.evses.all()` and `operator.tariffs.all()`: prefetch them for lists.
    """
    known = known_tariff_ids(location.operator) if known is None else known
    unknown: list[str] = []
    for evse in location.evses.all():
        if evse.status == loc_enums.Status.REMOVED:
            continue
        for tariff_id in evse.tariff_ids:
            if tariff_id.upper() not in known and tariff_id not in unknown:
                unknown.append(tariff_id)
    return unknown


# --- EVSE tariff groups ------------------------------------------------------

AC_TYPES = {"AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE"}
PHASES = {"AC_1_PHASE": 1, "AC_2_PHASE": 2, "AC_2_PHASE_SPLIT": 2, "AC_3_PHASE": 3, "DC": 1}

# Power classes of an EVSE, by its most powerful connector (W): (label, AC?, above, up to).
POWER_CLASSES = {
    "AC_UP_TO_22KW": ("AC, up to 22 kW", True, 0, 22_000),
    "AC_ABOVE_22KW": ("AC, above 22 kW (e.g. 43 kW)", True, 22_000, None),
    "DC_UP_TO_50KW": ("DC, up to 50 kW", False, 0, 50_000),
    "DC_ABOVE_50KW": ("DC, above 50 kW (high power)", False, 50_000, None),
}


def connector_power(connector) -> int:
    """OCPI max_electric_power (W), else voltage x amperage x phases (line-to-neutral V)."""
    if connector.max_electric_power:
        return connector.max_electric_power
    return connector.max_voltage * connector.max_amperage * PHASES.get(connector.power_type, 1)


def power_class(evse: EVSE) -> str | None:
    """The class of the EVSE's most powerful connector; DC wins over AC at equal power."""
    connectors = list(evse.connectors.all())
    if not connectors:
        return None
    best = max(connectors, key=lambda c: (connector_power(c), c.power_type == "DC"))
    power, is_ac = connector_power(best), best.power_type in AC_TYPES
    for name, (_, ac, above, up_to) in POWER_CLASSES.items():
        if ac == is_ac and power > above and (up_to is None or power <= up_to):
            return name
    return None


def evses_in_group(
    *,
    location: Location | None = None,
    operator: Operator | None = None,
    power_class_name: str | None = None,
) -> list[EVSE]:
    """EVSEs (not REMOVED) of a location, of an operator, optionally of one power class."""
    queryset = EVSE.objects.exclude(status=loc_enums.Status.REMOVED).select_related(
        "location__operator"
    )
    if location is not None:
        queryset = queryset.filter(location=location)
    if operator is not None:
        queryset = queryset.filter(location__operator=operator)
    if location is None and operator is None and power_class_name is None:
        return []
    evses = list(queryset.prefetch_related("connectors").order_by("location_id", "pk"))
    if power_class_name:
        evses = [evse for evse in evses if power_class(evse) == power_class_name]
    return evses


def referencing_evses(operator: Operator, tariff_id: str) -> QuerySet[EVSE]:
    """EVSEs (not REMOVED) of the operator whose tariff group names `tariff_id` (any case)."""
    candidates = (
        EVSE.objects.filter(location__operator=operator)
        .exclude(tariff_ids=[])
        .exclude(status=loc_enums.Status.REMOVED)
    )
    ids = [
        evse.pk
        for evse in candidates.only("pk", "tariff_ids")
        if tariff_id.upper() in {t.upper() for t in evse.tariff_ids}
    ]
    return EVSE.objects.filter(Q(pk__in=ids)).select_related("location__operator").order_by("pk")


def operator_time_zone(operator: Operator) -> str:
    """The time zone staff of this operator think in: that of most of its locations, else of
    its country (FR of FR*AB1), else the server's (1 query)."""
    row = (
        Location.objects.filter(operator=operator)
        .values("time_zone")
        .annotate(n=Count("pk"))
        .order_by("-n", "time_zone")
        .first()
    )
    if row:
        return row["time_zone"]
    return countries.TIME_ZONES_ALPHA2.get(operator.country_code.upper(), settings.TIME_ZONE)


def bad_url_ids() -> list[str]:
    """Tariff ids that cannot be path segments of OCPI URLs (issue 19.2), one line each."""
    stored = Tariff.objects.exclude(ocpi_id__regex=r"^[A-Za-z0-9._*-]+$").select_related("operator")
    seen = {(t.operator.emi3_id, t.ocpi_id) for t in stored}
    return [f"tariff {tid} ({emi3}): id {url_id_problem(tid)}" for emi3, tid in sorted(seen)]
