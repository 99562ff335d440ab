"""Cached lookups of the bridge's hot path: API key → CSMS, OCPP ids → EVSE (issue 21).

Every event needs both, and they change only when an operator edits a CSMS or a mapping, so
they are kept in the shared cache (Redis in production: every web process sees an
invalidation) and dropped when they change: `Csms.save/delete` and `EvseMapping.save/delete`
call `forget_*` now and again after commit (a request reading between the two would
otherwise cache the old row again). TTL bounds what a write bypassing the models
(queryset.update) could leave behind. What an EVSE's scope is stays in the EVSE's own query
(IN subqueries on the CSMS's operators and locations): no extra query to cache.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from roaming.models import hash_token

TTL = 60  # seconds


def _key_entry(key_hash: str) -> str:
    return f"csms:key:{key_hash}"


def _mapping_entry(csms_id: int, charge_point_id: str, connector_id: int) -> str:
    return f"csms:map:{csms_id}:{charge_point_id.upper()}:{connector_id}"


def csms_for_key(key: str):
    """The active CSMS holding `key`, or None; no query when cached."""
    from .models import KEY_PREFIX, Csms

    if not key.startswith(KEY_PREFIX):
        return None
    key_hash = hash_token(key)
    fields = cache.get(_key_entry(key_hash))
    if fields is None:
        fields = (
            Csms.objects.filter(active=True, key_hash=key_hash)
            .values(*[f.attname for f in Csms._meta.concrete_fields])
            .first()
        ) or {}
        cache.set(_key_entry(key_hash), fields, TTL)
    return Csms.from_db("default", list(fields), list(fields.values())) if fields else None


def mapped_evse_id(csms_id: int, charge_point_id: str, connector_id: int) -> int | None:
    """The EVSE id an OCPP (charge point, connector) names at this CSMS, or None."""
    from .models import EvseMapping

    entry = _mapping_entry(csms_id, charge_point_id, connector_id)
    evse_id = cache.get(entry)
    if evse_id is None:
        evse_id = (
            EvseMapping.objects.filter(
                csms_id=csms_id,
                charge_point_id__iexact=charge_point_id,
                connector_id=connector_id,
            )
            .values_list("evse_id", flat=True)
            .first()
        ) or 0
        cache.set(entry, evse_id, TTL)
    return evse_id or None


def _now_and_after_commit(entries: list[str]) -> None:
    cache.delete_many(entries)
    transaction.on_commit(lambda: cache.delete_many(entries))


def forget_csms(key_hashes) -> None:
    _now_and_after_commit([_key_entry(h) for h in key_hashes if h])


def forget_mapping(csms_id: int, charge_point_id: str, connector_id: int) -> None:
    _now_and_after_commit([_mapping_entry(csms_id, charge_point_id, connector_id)])
