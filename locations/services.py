"""Every write to charging infrastructure goes through here (admin, commands, API, tests).

Each function runs in one transaction, validates with the models' own rules and keeps
`Location.gireve_missing` current, so that what the hub receives is always complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from roaming.models import Operator

from . import enums, push
from .models import EVSE, Connector, Location, OutOfOrderInterval
from .ocpi import LocationDataError, ParsedLocation, parse_location
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


@transaction.atomic
def save_location(*, location: Location) -> Location:
    location.full_clean()
    location.save()
    refresh_publishability(location)
    push.location_changed(location)
    return location


@transaction.atomic
def save_evse(*, evse: EVSE) -> EVSE:
    evse.full_clean()
    before = push.snapshot(evse)
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
    connector.full_clean()
    connector.save()
    refresh_publishability(connector.evse.location)
    push.evse_changed(connector.evse)
    return connector


@transaction.atomic
def delete_connector(*, connector: Connector) -> None:
    """Connectors may go (OCPI has no connector status); the EVSE then reports the change."""
    evse = connector.evse
    connector.delete()
    evse.save()  # OCPI: EVSE last_updated covers its connectors
    refresh_publishability(evse.location)
    push.evse_changed(evse)


@transaction.atomic
def set_evse_status(*, evse: EVSE, status: str, at: dt.datetime | None = None) -> EVSE:
    """`at`: when the charge point saw the change (default now); dates out-of-order time."""
    if status not in enums.Status.values:
        raise ValidationError({"status": f"{status!r} is not an OCPI EVSE status."})
    evse = EVSE.objects.select_for_update().select_related("location").get(pk=evse.pk)
    if evse.status == status:
        return evse
    _track_out_of_order(evse, status, at or timezone.now())
    evse.status = status
    evse.full_clean()
    evse.save()
    refresh_publishability(evse.location)
    push.evse_status_changed(evse)
    return evse


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


# --- import ----------------------------------------------------------------


class LocationImportError(ValueError):
    """The whole import was refused; `.errors` name location, EVSE, connector and field."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    removed_evses: int = 0
    warnings: list[str] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)


def _messages(label: str, error: ValidationError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return [f"{label}: {message}" for message in error.messages]
    lines = []
    for name, field_errors in error.message_dict.items():
        for message in field_errors:
            # JSON field messages already start with their path ("owner.name: ...").
            if name == "__all__" or message.startswith(name):
                lines.append(f"{label}: {message}")
            else:
                lines.append(f"{label}: {name}: {message}")
    return lines


def import_locations(data, *, create_operators: bool = False, label: str = "") -> ImportResult:
    """Create or update OCPI Locations (one object or a list); all or nothing."""
    objects = data if isinstance(data, list) else [data]
    prefix = f"{label}: " if label else ""
    errors: list[str] = []
    parsed: list[ParsedLocation] = []
    for obj in objects:
        try:
            parsed.append(parse_location(obj, label=prefix))
        except LocationDataError as exc:
            errors += exc.errors
    keys = [
        (p.country_code.upper(), p.party_id.upper(), p.fields["ocpi_id"].upper()) for p in parsed
    ]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        errors.append(f"{prefix}location {key[2]} of {key[0]}*{key[1]} appears twice.")
    if errors:
        raise LocationImportError(errors)

    result = ImportResult()
    with transaction.atomic():
        for location_data in parsed:
            errors += _import_location(location_data, create_operators, result)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise LocationImportError(errors)
    return result


def _find_operator(parsed: ParsedLocation, create: bool) -> Operator | None:
    operator = Operator.objects.party(parsed.country_code, parsed.party_id).first()
    if operator is None and create:
        name = (parsed.operator or {}).get("name") or f"{parsed.country_code}*{parsed.party_id}"
        operator = Operator(country_code=parsed.country_code, party_id=parsed.party_id, name=name)
        operator.full_clean()
        operator.save()
    return operator


def _import_location(parsed: ParsedLocation, create_operators: bool, result) -> list[str]:
    operator = _find_operator(parsed, create_operators)
    if operator is None:
        return [
            f"{parsed.label}: unknown operator {parsed.country_code}*{parsed.party_id} "
            "(create it in admin first, or import with --create-operators)."
        ]
    fields = dict(parsed.fields)
    if fields["operator_details"] == operator.business_details():
        fields["operator_details"] = None  # follows the Operator from now on
    location = Location.objects.filter(operator=operator, ocpi_id__iexact=fields["ocpi_id"]).first()
    created = location is None
    if created:
        location = Location(operator=operator)
    else:
        fields.pop("ocpi_id")  # CiString: never change the case of a stored id
    for name, value in fields.items():
        setattr(location, name, value)
    try:
        location.full_clean()
    except ValidationError as exc:
        return _messages(parsed.label, exc)
    location.save(touch=False)  # keep the file's last_updated

    errors: list[str] = []
    seen = set()
    existing = {evse.uid.upper(): evse for evse in location.evses.all()}
    for evse_data in parsed.evses:
        result.warnings += evse_data.warnings
        evse_fields = dict(evse_data.fields)
        evse = existing.get(evse_fields["uid"].upper())
        if evse is None:
            evse = EVSE(location=location)
        else:
            evse_fields.pop("uid")
        seen.add((evse.uid or evse_fields["uid"]).upper())
        for name, value in evse_fields.items():
            setattr(evse, name, value)
        try:
            evse.full_clean()
        except ValidationError as exc:
            errors += _messages(evse_data.label, exc)
            continue
        evse.save(touch=False)
        errors += _replace_connectors(evse, evse_data)
    for uid, evse in existing.items():
        if uid not in seen and evse.status != enums.Status.REMOVED:
            # Absent from the file: OCPI never deletes an EVSE, it becomes REMOVED.
            evse.status = enums.Status.REMOVED
            evse.save()
            result.removed_evses += 1
    if not errors:
        refresh_publishability(location)
        push.location_changed(location)
        result.locations.append(location)
        if created:
            result.created += 1
        else:
            result.updated += 1
    return errors


def _replace_connectors(evse: EVSE, evse_data) -> list[str]:
    existing = {c.ocpi_id.upper(): c for c in evse.connectors.all()}
    errors: list[str] = []
    kept = set()
    for connector_data in evse_data.connectors:
        connector_fields = dict(connector_data.fields)
        label = f"{evse_data.label}, connector {connector_fields['ocpi_id']}"
        connector = existing.get(connector_fields["ocpi_id"].upper())
        if connector is None:
            connector = Connector(evse=evse)
        else:
            connector_fields.pop("ocpi_id")
        kept.add((connector.ocpi_id or connector_fields["ocpi_id"]).upper())
        for name, value in connector_fields.items():
            setattr(connector, name, value)
        try:
            connector.full_clean()
        except ValidationError as exc:
            errors += _messages(label, exc)
            continue
        connector.save(touch=False)
    for key, connector in existing.items():
        if key not in kept:
            try:
                connector.delete()
            except ProtectedError:
                errors.append(
                    f"{evse_data.label}, connector {connector.ocpi_id}: is missing from the "
                    "file but still referenced (e.g. by sessions), so it cannot be removed."
                )
    return errors
