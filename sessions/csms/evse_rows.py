"""The EVSE a bridge event names, with its location, operator and last report, in one
prepared statement (issue 21).

Why not the ORM: every status, authorize and transaction event starts here, and the ORM's
version of this one query (four models joined, the CSMS's scope as IN subqueries) cost
~3 ms of CPU per event, more than a health check's whole request. The statement text is
built once per shape; the scope rule is the same as `Csms.evses_in_scope`: the EVSE's
operator or its location is one the CSMS runs. Matches are case-insensitive, on the
expression indexes of `Location.ocpi_id` and `EVSE.uid` (UPPER), so the cost does not grow
with the number of EVSEs.
"""

from __future__ import annotations

import functools

from django.db import connection

from locations.models import EVSE, Connector, Location, Operator
from roaming import rows

from .models import Csms, EvseMapping, EvseStatusReport

# Reverse one-to-one relations an event may need with its EVSE (select_related names).
RELATED = {"csms_status": EvseStatusReport, "csms_mapping": EvseMapping}


def _scope() -> str:
    operators = Csms._meta.get_field("operators")
    locations = Csms._meta.get_field("locations")
    return (
        f"(l.operator_id IN (SELECT {operators.m2m_reverse_name()} FROM {operators.m2m_db_table()}"
        f" WHERE {operators.m2m_column_name()} = %(csms)s)"
        f" OR e.location_id IN (SELECT {locations.m2m_reverse_name()}"
        f" FROM {locations.m2m_db_table()} WHERE {locations.m2m_column_name()} = %(csms)s))"
    )


_BY_OCPI_IDS = "UPPER(l.ocpi_id) = UPPER(%(location)s) AND UPPER(e.uid) = UPPER(%(evse)s)"
_BY_PARTY = "UPPER(o.country_code) = UPPER(%(cc)s) AND UPPER(o.party_id) = UPPER(%(pid)s)"


@functools.cache
def _sql(*, by_pk: bool, by_party: bool, related: tuple[str, ...], lock: bool) -> str:
    select = [rows.columns(EVSE, "e"), rows.columns(Location, "l"), rows.columns(Operator, "o")]
    joins = [
        f"FROM {EVSE._meta.db_table} e",
        f"JOIN {Location._meta.db_table} l ON l.id = e.location_id",
        f"JOIN {Operator._meta.db_table} o ON o.id = l.operator_id",
    ]
    for n, name in enumerate(related):
        model = RELATED[name]
        select.append(rows.columns(model, f"r{n}"))
        joins.append(f"LEFT JOIN {model._meta.db_table} r{n} ON r{n}.evse_id = e.id")
    where = ["e.id = %(pk)s" if by_pk else _BY_OCPI_IDS]
    if by_party:
        where.append(_BY_PARTY)
    where.append(_scope())
    sql = f"SELECT {', '.join(select)} {' '.join(joins)} WHERE {' AND '.join(where)}"
    sql += " ORDER BY e.id LIMIT 2"
    return sql + " FOR UPDATE OF e" if lock else sql


def _exists_sql(by_party: bool) -> str:
    sql = (
        f"SELECT 1 FROM {EVSE._meta.db_table} e"
        f" JOIN {Location._meta.db_table} l ON l.id = e.location_id"
        f" JOIN {Operator._meta.db_table} o ON o.id = l.operator_id WHERE {_BY_OCPI_IDS}"
    )
    return f"{sql} AND {_BY_PARTY}" if by_party else sql


def in_scope(
    csms: Csms, *, pk=None, ref: dict | None = None, lock: bool = False, related=()
) -> list[EVSE]:
    """Up to two EVSEs this CSMS runs, named by `pk` or by OCPI ids in `ref` (location_id,
    evse_uid, optional country_code and party_id), with location, operator and `related`
    loaded; `lock`: row-locked until the end of the transaction."""
    related = tuple(related)
    by_party = bool(ref and ref.get("country_code") and ref.get("party_id"))
    params = {"csms": csms.pk, "pk": pk}
    if ref is not None:
        params |= {"location": ref["location_id"], "evse": ref["evse_uid"]}
        if by_party:
            params |= {"cc": ref["country_code"], "pid": ref["party_id"]}
    lock = lock and connection.features.has_select_for_update
    sql = _sql(by_pk=ref is None, by_party=by_party, related=related, lock=lock)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_evse(row, related) for row in cursor.fetchall()]


def _evse(row, related: tuple[str, ...]) -> EVSE:
    models = [EVSE, Location, Operator, *(RELATED[name] for name in related)]
    evse, location, operator, *others = rows.split(row, *models)
    location.operator = operator
    evse.location = location
    for name, other in zip(related, others, strict=True):
        relation = EVSE._meta.get_field(name)
        relation.set_cached_value(evse, other)  # None: accessing it raises DoesNotExist
        if other is not None:
            relation.field.set_cached_value(other, evse)
    return evse


def exists(ref: dict) -> bool:
    """Whether any EVSE, run by any CSMS, has these OCPI ids (403 rather than 404)."""
    by_party = bool(ref.get("country_code") and ref.get("party_id"))
    params = {"location": ref["location_id"], "evse": ref["evse_uid"]}
    if by_party:
        params |= {"cc": ref["country_code"], "pid": ref["party_id"]}
    with connection.cursor() as cursor:
        cursor.execute(_exists_sql(by_party), params)
        return cursor.fetchone() is not None


def has_connector(evse: EVSE, connector_id: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Connector._meta.db_table}"
            " WHERE evse_id = %s AND UPPER(ocpi_id) = UPPER(%s)",
            [evse.pk, connector_id],
        )
        return cursor.fetchone() is not None
