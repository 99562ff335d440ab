"""Reads of charging infrastructure, shaped for OCPI serialization."""

from django.db import connection, transaction
from django.db.models import CharField, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat

from roaming.models import Operator
from roaming.ocpi_json import RawJSON
from roaming.outbox.models import Stream
from roaming.validators import url_id_problem

from .models import EVSE, Connector, Location
from .ocpi import location_to_hub


def locations_for_ocpi(queryset: QuerySet[Location] | None = None) -> QuerySet[Location]:
    """Locations with everything `locations.ocpi.location_to_ocpi` reads, in 3 queries."""
    queryset = Location.objects.all() if queryset is None else queryset
    return queryset.select_related("operator").prefetch_related(
        Prefetch(
            "evses",
            queryset=EVSE.objects.order_by("pk").prefetch_related(
                Prefetch("connectors", queryset=Connector.objects.order_by("pk"))
            ),
        )
    )


def stream_key(location_pk: int) -> str:
    """The outbox stream of one location (its EVSEs and connectors) on each platform."""
    return f"location:{location_pk}"


def shared_locations(operator: Operator | None = None) -> QuerySet[Location]:
    """Locations shared with the hub: published and complete for Gireve (§3.5.1)."""
    queryset = Location.objects.filter(publish=True, gireve_missing=[])
    return queryset if operator is None else queryset.filter(operator=operator)


def sender_locations(operator: Operator | None = None, *, platform=None) -> QuerySet[Location]:
    """What our sender serves `platform` (GET /locations), no prefetch: the shared locations,
    and those it holds that were withdrawn since (served with publish=false, as the
    withdrawal PUT said). A location never sent is not served (issue 18.5: Gireve §3.5.4,
    publish=false means "do not display", not "never shared")."""
    held = Stream.objects.filter(
        platform=platform,
        key=Concat(Value("location:"), Cast(OuterRef("pk"), CharField())),
        memo__has_key="synced",
    )
    queryset = Location.objects.filter(Q(publish=True, gireve_missing=[]) | Exists(held))
    return queryset if operator is None else queryset.filter(operator=operator)


def roaming_locations(operator: Operator | None = None) -> QuerySet[Location]:
    """Locations shared with the hub, read for OCPI, oldest change first."""
    return locations_for_ocpi(shared_locations(operator)).order_by("last_updated", "pk")


# --- A sender page written by PostgreSQL --------------------------------------------------
# The objects of locations.ocpi.location_to_hub (the one definition, kept equal to this by
# tests/locations/test_ocpi_output.py), built in one query: a page of 100 locations and 300
# EVSEs costs no Python object per row. Optional fields left out when empty (json_strip_nulls
# of NULLIF), DateTimes in UTC with 'Z', lists in primary key order.


def _text(column: str) -> str:
    return f"NULLIF({column}, '')"


def _json(column: str) -> str:
    empty = ["'[]'", "'{}'", "'null'", "'\"\"'"]
    for value in empty:
        column = f"NULLIF({column}, {value}::jsonb)"
    return column


def _time(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


_CONNECTOR = f"""json_build_object(
    'id', c.ocpi_id, 'standard', c.standard, 'format', c.format, 'power_type', c.power_type,
    'max_voltage', c.max_voltage, 'max_amperage', c.max_amperage,
    'max_electric_power', c.max_electric_power, 'tariff_ids', {_json("e.tariff_ids")},
    'terms_and_conditions', {_text("c.terms_and_conditions")},
    'last_updated', {_time("c.last_updated")})"""

_EVSE = f"""json_build_object(
    'uid', e.uid, 'evse_id', {_text("e.evse_id")}, 'status', e.status,
    'status_schedule', {_json("e.status_schedule")}, 'capabilities', {_json("e.capabilities")},
    'connectors', (SELECT COALESCE(json_agg({_CONNECTOR} ORDER BY c.id), '[]'::json)
                   FROM {Connector._meta.db_table} c WHERE c.evse_id = e.id),
    'floor_level', {_text("e.floor_level")},
    'coordinates', CASE WHEN e.latitude <> '' AND e.longitude <> ''
        THEN json_build_object('latitude', e.latitude, 'longitude', e.longitude) END,
    'physical_reference', {_text("e.physical_reference")},
    'directions', {_json("e.directions")},
    'parking_restrictions', {_json("e.parking_restrictions")},
    'images', {_json("e.images")}, 'last_updated', {_time("e.last_updated")})"""

# location_to_hub: publish=false (withdrawn) unless shared; EVSEs complete for Gireve only
# (EVSE.missing_for_gireve: held back otherwise).
_SHARED = "(l.publish AND l.gireve_missing = '[]'::jsonb)"
_EVSE_SHAREABLE = f"""(EXISTS (SELECT 1 FROM {Connector._meta.db_table} k WHERE k.evse_id = e.id)
    AND (e.status = 'REMOVED'
         OR (e.capabilities <> '[]'::jsonb AND e.tariff_ids <> '[]'::jsonb)))"""

_LOCATION = f"""json_build_object(
    'country_code', o.country_code, 'party_id', o.party_id, 'id', l.ocpi_id,
    'publish', {_SHARED}, 'publish_allowed_to', {_json("l.publish_allowed_to")},
    'name', {_text("l.name")}, 'address', l.address, 'city', l.city,
    'postal_code', {_text("l.postal_code")}, 'state', {_text("l.state")},
    'country', l.country,
    'coordinates', json_build_object('latitude', l.latitude, 'longitude', l.longitude),
    'related_locations', {_json("l.related_locations")},
    'parking_type', {_text("l.parking_type")},
    'evses', (SELECT COALESCE(json_agg({_EVSE} ORDER BY e.id), '[]'::json)
              FROM {EVSE._meta.db_table} e WHERE e.location_id = l.id AND {_EVSE_SHAREABLE}),
    'directions', {_json("l.directions")},
    'operator', COALESCE({_json("l.operator_details")}::json, json_build_object(
        'name', o.name, 'website', {_text("o.website")}, 'logo', {_json("o.logo")})),
    'suboperator', {_json("l.suboperator")}, 'owner', {_json("l.owner")},
    'facilities', {_json("l.facilities")}, 'time_zone', l.time_zone,
    'opening_times', {_json("l.opening_times")},
    'charging_when_closed', l.charging_when_closed, 'images', {_json("l.images")},
    'energy_mix', {_json("l.energy_mix")}, 'last_updated', {_time("l.last_updated")})"""

_PAGE_SQL = f"""SELECT json_strip_nulls({_LOCATION})::text
    FROM {Location._meta.db_table} l JOIN {Operator._meta.db_table} o ON o.id = l.operator_id
    WHERE l.id = ANY(%s) ORDER BY l.id"""


def locations_ocpi_json(pks: list[int]) -> list:
    """OCPI Location objects (as location_to_hub) in primary key order: 1 query on PostgreSQL
    (and the JIT switch), 3 through location_to_hub elsewhere (the embedded SQLite run)."""
    if not pks:
        return []
    if connection.vendor != "postgresql":
        locations = locations_for_ocpi(Location.objects.filter(pk__in=pks)).order_by("pk")
        return [location_to_hub(location) for location in locations]
    with transaction.atomic(), connection.cursor() as cursor:
        # Estimates on a freshly loaded table can pass jit_above_cost: compiling the plan
        # then takes seconds for a query of milliseconds (found by bench/ocpi_senders.py).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_PAGE_SQL, [list(pks)])
        return [RawJSON(text) for (text,) in cursor.fetchall()]


# --- ids that would break OCPI URLs (issue 19.2) --------------------------------------
_SAFE_ID = r"^[A-Za-z0-9._*-]+$"  # roaming.validators.URL_ID_RE, in PostgreSQL's words


def bad_url_ids() -> list[str]:
    """Stored ids that cannot be path segments of OCPI URLs (saved before the rule): one
    line each, for `manage.py report_bad_ids`. 4 queries (EVSE tariff ids read in Python)."""
    lines = [
        f"location {loc.ocpi_id} ({loc.operator.emi3_id}): id {url_id_problem(loc.ocpi_id)}"
        for loc in Location.objects.exclude(ocpi_id__regex=_SAFE_ID).select_related("operator")
    ]
    evses = EVSE.objects.select_related("location").order_by("pk")
    for evse in evses.exclude(uid__regex=_SAFE_ID):
        lines.append(
            f"EVSE {evse.uid} of location {evse.location.ocpi_id}: uid {url_id_problem(evse.uid)}"
        )
    for evse in evses.exclude(tariff_ids=[]).only("uid", "tariff_ids", "location__ocpi_id"):
        for tariff_id in evse.tariff_ids:
            if url_id_problem(tariff_id):
                lines.append(
                    f"EVSE {evse.uid} of location {evse.location.ocpi_id}: tariff_ids: "
                    f"{url_id_problem(tariff_id)}"
                )
    connectors = Connector.objects.exclude(ocpi_id__regex=_SAFE_ID).select_related("evse__location")
    for connector in connectors:
        lines.append(
            f"connector {connector.ocpi_id} of EVSE {connector.evse.uid}, location "
            f"{connector.evse.location.ocpi_id}: id {url_id_problem(connector.ocpi_id)}"
        )
    return lines
