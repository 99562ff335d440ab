"""Every write to charging infrastructure goes through here (admin, commands, API, tests).

Each function runs in one transaction, validates with the models' own rules and keeps
`Location.gireve_missing` current, so that what the hub receives is always complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from roaming.models import Operator
from roaming.ocpi_io import run_import
from roaming.ocpi_json import same_for_receiver

from . import enums, push
from .models import EVSE, Connector, Location, OutOfOrderInterval
from .ocpi import connector_to_ocpi, evse_to_ocpi, location_to_ocpi
from .ocpi_io import LOCATIONS, LocationImportResult
from .selectors import locations_for_ocpi


def refresh_publishability(location: Location) -> list[str]:
    """Recompute what Gireve still misses (§3.5.1); not an OCPI change, so no touch."""
    fresh = locations_for_ocpi(Location.objects.filter(pk=location.pk)).get()
    missing = fresh.missing_for_gireve()
    if missing != location.gireve_missing or missing != fresh.gireve_missing:
        Location.objects.filter(pk=location.pk).update(gireve_missing=missing)
    location.gireve_missing = missing
    return missing


@transaction.atomic
def save_operator(*, operator: Operator) -> Operator:
    operator.full_clean()
    operator.save()
    for location in operator.locations.filter(operator_details__isnull=True):
        refresh_publishability(location)  # operator.name comes from here
        push.location_changed(location)
    return operator


def would_withdraw(location: Location) -> bool:
    """Saving `location` as edited would withdraw it from a hub that holds it shared: it is
    unpublished, or no longer complete for Gireve (§3.5.1). Screens ask before that."""
    if location.pk is None or not push.hub_holds(location):
        return False
    return not location.publish or bool(location.missing_for_gireve())


@transaction.atomic
def save_location(*, location: Location) -> Location:
    """Save; queue the location only when the hub would see a change (issue 19.7)."""
    location.full_clean()
    before = None
    if location.pk is not None:
        stored = Location.objects.select_related("operator").filter(pk=location.pk).first()
        before = stored and location_to_ocpi(stored, evses=False)
    if before is not None and same_for_receiver(before, location_to_ocpi(location, evses=False)):
        location.save(touch=False)  # fields the hub does not see (advenir_reporting)
        refresh_publishability(location)
        push.location_unchanged(location)
        return location
    location.save()
    refresh_publishability(location)
    push.location_changed(location)
    return location


def _refuse_leaving_removed(evse: EVSE, status: str, stored_status: str | None) -> None:
    """OCPI 2.2.1 mod_locations: REMOVED is how an EVSE is deleted, so it is final."""
    if stored_status == enums.Status.REMOVED and status != enums.Status.REMOVED:
        raise ValidationError(
            {
                "status": f"EVSE {evse} is REMOVED, which is final (OCPI: EVSEs are never "
                "deleted, REMOVED takes their place). Add a new EVSE instead."
            }
        )


_FIELD_OF = {"capabilities": "capabilities", "tariff_ids": "tariff_ids"}


def _refuse_holding_back(evse: EVSE, before: dict | None) -> None:
    """An EVSE the hub holds stays complete (issue 19.1): held back now, the hub would keep
    its last copy and go on showing it, with statuses we no longer send."""
    if before is None or not push.complete(before):
        return
    missing = evse.missing_for_gireve()
    if not missing:
        return
    if not push.hub_holds(evse.location):
        return
    errors: dict[str, list[str]] = {}
    for item in missing:
        errors.setdefault(_FIELD_OF.get(item, NON_FIELD_ERRORS), []).append(
            f"EVSE {evse} is on the hub: it cannot lose its {item} (Gireve §3.5.1 requires "
            "them; the hub would keep showing the EVSE as it was). Choose another value, or "
            "mark the EVSE REMOVED."
        )
    raise ValidationError(errors)


@transaction.atomic
def save_evse(*, evse: EVSE) -> EVSE:
    """Save; an EVSE incomplete for Gireve is held back (issue 19.1), an unchanged one queues
    nothing (issue 19.7)."""
    evse.full_clean()
    if evse.pk is not None:
        stored = EVSE.objects.filter(pk=evse.pk).values_list("status", flat=True).first()
        _refuse_leaving_removed(evse, evse.status, stored)
    before = push.snapshot(evse)
    _refuse_holding_back(evse, before)
    if before is not None and same_for_receiver(before, evse_to_ocpi(evse)):
        evse.save(touch=False)
        push.location_unchanged(evse.location)
        return evse
    evse.save()
    if before is not None and before["connectors"] and _tariffs_changed(before, evse):
        # OCPI: each connector reports the EVSE's tariff_ids, so their last_updated moves too.
        evse.connectors.update(last_updated=evse.last_updated)
    refresh_publishability(evse.location)
    push.evse_saved(evse, before)
    return evse


def _tariffs_changed(before: dict, evse: EVSE) -> bool:
    return before["connectors"][0].get("tariff_ids", []) != list(evse.tariff_ids)


@transaction.atomic
def save_connector(*, connector: Connector) -> Connector:
    """Save; an unchanged connector queues nothing (issue 19.7)."""
    connector.full_clean()
    stored = Connector.objects.filter(pk=connector.pk).first() if connector.pk else None
    if stored is not None and same_for_receiver(
        connector_to_ocpi(stored), connector_to_ocpi(connector)
    ):
        push.location_unchanged(connector.evse.location)
        return connector
    connector.save()
    refresh_publishability(connector.evse.location)
    push.evse_changed(connector.evse)
    return connector


@transaction.atomic
def delete_connector(*, connector: Connector) -> None:
    """Connectors may go (OCPI has no connector status); the EVSE then reports the change.

    Not the last one of an EVSE the hub holds: OCPI EVSE.connectors is 1..* (issue 19.1)."""
    evse = connector.evse
    before = push.snapshot(evse)
    connector.delete()
    last = not evse.connectors.exists() and before is not None and push.complete(before)
    if last and push.hub_holds(evse.location):
        raise ValidationError(
            f"EVSE {evse} is on the hub: its last connector cannot go (OCPI: an EVSE has "
            "at least one connector). Mark the EVSE REMOVED instead."
        )
    evse.save()  # OCPI: EVSE last_updated covers its connectors
    refresh_publishability(evse.location)
    push.evse_changed(evse)


# No savepoint of its own: every caller lets a refusal abort its whole transaction (the bridge,
# the admin action), and the status feed saves two statements per change.
@transaction.atomic(savepoint=False)
def set_evse_status(
    *, evse: EVSE, status: str, at: dt.datetime | None = None, locked: bool = False
) -> EVSE:
    """`at`: when the charge point saw the change (default now); dates out-of-order time.
    `locked`: `evse` is already row-locked in this transaction, read with
    select_related("location__operator") (the CSMS bridge's status feed): not read again."""
    if status not in enums.Status.values:
        raise ValidationError({"status": f"{status!r} is not an OCPI EVSE status."})
    if not locked:
        evse = (
            EVSE.objects.select_for_update(of=("self",))
            .select_related("location__operator")
            .get(pk=evse.pk)
        )
    if evse.status == status:
        return evse
    _refuse_leaving_removed(evse, status, evse.status)
    # The hot path of the charge points' status feed: the row's own rules only (a status
    # changes no id, so the uniqueness checks of full_clean, five queries, cannot fail).
    errors = evse.own_errors()
    if errors:
        raise ValidationError(errors)
    _track_out_of_order(evse, status, at or timezone.now())
    previous, evse.status = evse.status, status
    _save_status(evse)
    if enums.Status.REMOVED in (previous, status):
        refresh_publishability(evse.location)  # REMOVED EVSEs are left out of what Gireve needs
    push.evse_status_changed(evse)
    return evse


def _save_status(evse: EVSE) -> None:
    """Write the EVSE's status and last_updated, and its location's last_updated (a
    location's covers its EVSEs, as EVSE.save does): one statement on PostgreSQL."""
    if connection.vendor != "postgresql":
        evse.save(update_fields=["status"])
        return
    evse.last_updated = evse.location.last_updated = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH evse AS (UPDATE {EVSE._meta.db_table} SET status = %s, last_updated = %s"
            f" WHERE id = %s) UPDATE {Location._meta.db_table} SET last_updated = %s"
            " WHERE id = %s",
            [evse.status, evse.last_updated, evse.pk, evse.last_updated, evse.location_id],
        )


def _track_out_of_order(evse: EVSE, status: str, at: dt.datetime) -> None:
    """Gireve §3.9.2: open an interval on entering OUTOFORDER, close it on leaving."""
    if status == enums.Status.OUTOFORDER:
        OutOfOrderInterval.objects.create(evse=evse, started_at=at)
    elif evse.status == enums.Status.OUTOFORDER:
        OutOfOrderInterval.objects.filter(evse=evse, ended_at__isnull=True).update(ended_at=at)


def remove_evse(*, evse: EVSE) -> EVSE:
    """OCPI 2.2.1 mod_locations: EVSEs are never deleted, they get status REMOVED."""
    return set_evse_status(evse=evse, status=enums.Status.REMOVED)


@transaction.atomic
def unpublish_locations(*, locations: Iterable[Location]) -> int:
    count = 0
    for location in locations:
        if location.publish:
            location.publish = False
            location.save()
            push.location_changed(location)
            count += 1
    return count


def import_locations(
    data, *, create_operators: bool = False, label: str = ""
) -> LocationImportResult:
    """Create or update OCPI Locations (one object or a list); all or nothing.

    The mechanism is roaming.ocpi_io's; the bulk path is locations.ocpi_io's."""
    return run_import(LOCATIONS, data, label=label, create_operators=create_operators)
