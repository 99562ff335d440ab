"""OCPI Location files in and out (import_locations, export_locations), on roaming.ocpi_io.

A national network in one file (10,000 locations, 30,000 EVSEs) must import in minutes, all
or nothing, so the import reads what exists in a few queries, validates every row in memory
(`own_errors`, the rules the admin applies, minus the ones that compare rows, checked here
for the whole file), writes with bulk statements, then refreshes publishability and queues
the pushes (locations.push.locations_imported) in chunks. Same outcome as saving one
location at a time through locations.services:
- ids match case-insensitively and keep their stored case (OCPI CiString);
- the file's last_updated is kept; an EVSE absent from the file becomes REMOVED (OCPI never
  deletes one) and touches its location; connectors absent from the file are deleted;
- EVSE tariff_ids are the first connector's (Gireve §3.5.5), with a warning when they differ;
- each location gets the whole PUT (or withdrawal) locations.push.location_changed queues.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from roaming.models import Operator
from roaming.ocpi_io import ImportRefused, ImportResult, Kind, error_lines
from roaming.outbox.models import Stream

from . import enums, push
from .models import EVSE, Connector, Location, evse_missing, normalized_evse_id
from .ocpi import ParsedEVSE, ParsedLocation, location_to_ocpi, parse_location
from .selectors import locations_for_ocpi, stream_key

CHUNK = 500  # locations per publishability/push round (3 reads, 1 update, 1 insert)


@dataclass
class LocationImportResult(ImportResult):
    removed_evses: int = 0


class LocationsKind(Kind):
    name = "locations"

    def parse(self, obj, *, label: str) -> ParsedLocation:
        return parse_location(obj, label=label)

    def key(self, parsed: ParsedLocation) -> tuple[str, ...]:
        ids = (parsed.country_code, parsed.party_id, parsed.fields["ocpi_id"])
        return tuple(i.upper() for i in ids)

    def twice(self, key: tuple) -> str:
        return f"location {key[2]} of {key[0]}*{key[1]} appears twice."

    def save(self, parsed: list[ParsedLocation], *, create_operators: bool = False):
        return _Import(parsed, create_operators).run()

    def export(self, operator: Operator | None):
        queryset = Location.objects.all()
        if operator is not None:
            queryset = queryset.filter(operator=operator)
        for location in locations_for_ocpi(queryset).iterator(chunk_size=CHUNK):
            yield location_to_ocpi(location)

    def report(self, result: LocationImportResult, label: str) -> list[str]:
        lines = [
            f"{label}: {result.created} location(s) created, {result.updated} updated, "
            f"{result.removed_evses} EVSE(s) marked REMOVED."
        ]
        for location in result.objects:
            if location.gireve_missing:
                lines.append(
                    f"  {location.ocpi_id}: not publishable to Gireve, missing "
                    + "; ".join(location.gireve_missing)
                )
            for evse, missing in location.held_back_evses():
                lines.append(
                    f"  {location.ocpi_id}, EVSE {evse}: held back from the hub, missing "
                    + "; ".join(missing)
                )
        return lines


LOCATIONS = LocationsKind()


def _row_errors(label: str, instance, parent: str) -> list[str]:
    """full_clean() without its queries: the parent is attached in memory and the checks
    that compare rows (unique ids, evse_id clash) are made for the whole file."""
    errors: dict[str, list[str]] = {}
    try:
        instance.clean_fields(exclude=[parent])
    except ValidationError as exc:
        errors = exc.message_dict
    own = instance.own_errors() if hasattr(instance, "own_errors") else {}
    for name, messages in own.items():
        errors.setdefault(name, []).extend(messages)
    return error_lines(label, ValidationError(errors)) if errors else []


class _Import:
    """One all-or-nothing import (inside run_import's transaction)."""

    def __init__(self, parsed: list[ParsedLocation], create_operators: bool):
        self.parsed = parsed
        self.create_operators = create_operators
        self.result = LocationImportResult()
        self.errors: list[str] = []
        self.now = timezone.now()
        self.locations: list[Location] = []
        self.evses: list[tuple[EVSE, ParsedEVSE]] = []  # from the file, in file order
        self.removed: list[EVSE] = []
        self.connectors: list[Connector] = []
        self.gone_connectors: list[tuple[Connector, str]] = []  # (connector, EVSE label)
        self.refused_operators: set[tuple[str, str]] = set()  # --create-operators failed

    def run(self) -> LocationImportResult:
        operators = self._operators()
        existing = self._existing(operators)
        for parsed in self.parsed:
            pair = (parsed.country_code.upper(), parsed.party_id.upper())
            operator = operators.get(pair)
            if operator is None and pair not in self.refused_operators:
                self.errors.append(
                    f"{parsed.label}: unknown operator {parsed.country_code}*{parsed.party_id} "
                    "(create it in admin first, or import with --create-operators)."
                )
            if operator is None:
                continue
            self._build(parsed, operator, existing)
        self._check_evse_ids(operators)
        self._check_hub_held_evses()
        if self.errors:
            raise ImportRefused(self.errors)
        self._write()
        if self.errors:
            raise ImportRefused(self.errors)
        self._publish()
        return self.result

    # --- read ----------------------------------------------------------------

    def _operators(self) -> dict[tuple[str, str], Operator]:
        operators = {}
        for parsed in self.parsed:
            pair = (parsed.country_code.upper(), parsed.party_id.upper())
            if pair in operators:
                continue
            operator = Operator.objects.party(parsed.country_code, parsed.party_id).first()
            if operator is None and self.create_operators:
                name = (parsed.operator or {}).get("name") or "*".join(pair)
                operator = Operator(
                    country_code=parsed.country_code, party_id=parsed.party_id, name=name
                )
                try:
                    operator.full_clean()
                except ValidationError as exc:
                    self.errors += error_lines(f"{parsed.label}: operator", exc)
                    self.refused_operators.add(pair)
                    operator = None
                else:
                    operator.save()
            operators[pair] = operator
        return {pair: operator for pair, operator in operators.items() if operator is not None}

    def _existing(self, operators: dict) -> dict:
        """{(operator pk, ID): location} with `_evses` {UID: evse} and their `_connectors`."""
        wanted = defaultdict(list)
        for parsed in self.parsed:
            wanted[(parsed.country_code.upper(), parsed.party_id.upper())].append(
                parsed.fields["ocpi_id"].upper()
            )
        by_pk = {operator.pk: operator for operator in operators.values()}
        locations = {}
        for pair, operator in operators.items():
            for ids in _chunks(wanted[pair]):
                query = Location.objects.annotate(upper_id=Upper("ocpi_id")).filter(
                    operator=operator, upper_id__in=ids
                )
                for location in query:
                    _remember(location)
                    location._stored_missing = location.gireve_missing
                    location.operator = by_pk[location.operator_id]
                    location._evses = {}
                    locations[(operator.pk, location.upper_id)] = location
        by_location = {location.pk: location for location in locations.values()}
        evses = {}
        for pks in _chunks(list(by_location)):
            for evse in EVSE.objects.filter(location__in=pks).order_by("pk"):
                _remember(evse)
                evse.location = by_location[evse.location_id]
                evse._connectors = {}
                evse.location._evses[evse.uid.upper()] = evse
                evses[evse.pk] = evse
        for pks in _chunks(list(evses)):
            for connector in Connector.objects.filter(evse__in=pks).order_by("pk"):
                _remember(connector)
                connector.evse = evses[connector.evse_id]
                connector.evse._connectors[connector.ocpi_id.upper()] = connector
        return locations

    # --- build and check in memory -------------------------------------------

    def _build(self, parsed: ParsedLocation, operator: Operator, existing: dict) -> None:
        fields = dict(parsed.fields)
        if fields["operator_details"] == operator.business_details():
            fields["operator_details"] = None  # follows the Operator from now on
        location = existing.get((operator.pk, fields["ocpi_id"].upper()))
        if location is None:
            location = Location(operator=operator)
            location._evses = {}
            self.result.created += 1
        else:
            fields.pop("ocpi_id")  # CiString: never change the case of a stored id
            self.result.updated += 1
        for name, value in fields.items():
            setattr(location, name, value)
        errors = _row_errors(parsed.label, location, "operator")
        if errors:
            self.errors += errors
            return
        self.locations.append(location)
        seen = set()
        for evse_data in parsed.evses:
            self.result.warnings += evse_data.warnings
            evse_fields = dict(evse_data.fields)
            uid = evse_fields["uid"].upper()
            seen.add(uid)
            evse = location._evses.get(uid)
            if evse is None:
                evse = EVSE(location=location)
                evse._connectors = {}
            else:
                evse_fields.pop("uid")
                evse._was_complete = not evse_missing(evse, has_connector=bool(evse._connectors))
            for name, value in evse_fields.items():
                setattr(evse, name, value)
            errors = _row_errors(evse_data.label, evse, "location")
            if errors:
                self.errors += errors
                continue
            self.evses.append((evse, evse_data))
            location._evses[uid] = evse
            self._build_connectors(evse, evse_data)
        for uid, evse in location._evses.items():
            if uid not in seen and evse.status != enums.Status.REMOVED:
                # Absent from the file: OCPI never deletes an EVSE, it becomes REMOVED,
                # and like any EVSE save that touches its location.
                evse.status = enums.Status.REMOVED
                evse.last_updated = location.last_updated = self.now
                self.removed.append(evse)
                self.result.removed_evses += 1

    def _build_connectors(self, evse: EVSE, evse_data: ParsedEVSE) -> None:
        kept = set()
        for connector_data in evse_data.connectors:
            fields = dict(connector_data.fields)
            label = f"{evse_data.label}, connector {fields['ocpi_id']}"
            connector = evse._connectors.get(fields["ocpi_id"].upper())
            kept.add(fields["ocpi_id"].upper())
            if connector is None:
                connector = Connector(evse=evse)
            else:
                fields.pop("ocpi_id")
            for name, value in fields.items():
                setattr(connector, name, value)
            errors = _row_errors(label, connector, "evse")
            if errors:
                self.errors += errors
                continue
            self.connectors.append(connector)
            evse._connectors[connector.ocpi_id.upper()] = connector
        for key in [key for key in evse._connectors if key not in kept]:
            self.gone_connectors.append((evse._connectors.pop(key), evse_data.label))

    def _check_evse_ids(self, operators: dict) -> None:
        """EVSE.evse_id_clash for the file: an eMI3 id names one EVSE of its operator
        once the import is done (REMOVED ones aside)."""
        touched = {evse.pk for evse, _ in self.evses if evse.pk} | {e.pk for e in self.removed}
        others = (
            EVSE.objects.filter(location__operator__in=list(operators.values()))
            .exclude(status=enums.Status.REMOVED)
            .exclude(evse_id="")
            .annotate(normalized=Replace(Upper("evse_id"), Value("*"), Value("")))
            .values_list("pk", "location__operator_id", "normalized")
        )
        taken = {(operator, key) for pk, operator, key in others if pk not in touched}
        for evse, evse_data in self.evses:
            if not evse.evse_id or evse.status == enums.Status.REMOVED:
                continue
            key = (evse.location.operator_id, normalized_evse_id(evse.evse_id))
            if key in taken:
                message = evse.clash_message(evse.location.operator)
                self.errors += error_lines(evse_data.label, ValidationError({"evse_id": message}))
            taken.add(key)

    def _check_hub_held_evses(self) -> None:
        """services.save_evse's rule for the file (issue 19.1): an EVSE the hub holds may
        not become incomplete, or the hub would go on showing a copy we no longer send."""
        losing = []
        for evse, evse_data in self.evses:
            if getattr(evse, "_was_complete", False):
                missing = evse_missing(evse, has_connector=bool(evse._connectors))
                if missing:
                    losing.append((evse, evse_data, missing))
        if not losing:
            return
        keys = {stream_key(evse.location.pk) for evse, _, _ in losing}
        held = set(
            Stream.objects.filter(key__in=keys, memo__synced=True).values_list("key", flat=True)
        )
        for evse, evse_data, missing in losing:
            if stream_key(evse.location.pk) in held:
                self.errors.append(
                    f"{evse_data.label}: {', '.join(missing)}: the hub holds this EVSE, which "
                    "cannot lose them (Gireve §3.5.1); give them, or set its status REMOVED."
                )

    # --- write -----------------------------------------------------------------

    def _write(self) -> None:
        self.changed = self._changed_locations()
        # bulk_create fills each child's parent id from its (now saved) parent.
        _bulk_save(Location, self.locations)
        _bulk_save(EVSE, [evse for evse, _ in self.evses], also=self.removed)
        self._delete_gone_connectors()
        _bulk_save(Connector, self.connectors)
        self.result.objects = self.locations

    def _changed_locations(self) -> set[int]:
        """id() of each location the file changes, itself or below (issue 19.7: the others
        are sent only to a platform that lacks them). Read before the writes."""
        changed = {id(loc) for loc in self.locations if _differs(loc)}
        changed |= {id(evse.location) for evse, _ in self.evses if _differs(evse)}
        changed |= {id(evse.location) for evse in self.removed}
        changed |= {id(c.evse.location) for c in self.connectors if _differs(c)}
        changed |= {id(c.evse.location) for c, _ in self.gone_connectors}
        return changed

    def _delete_gone_connectors(self) -> None:
        if not self.gone_connectors:
            return
        try:
            with transaction.atomic():
                Connector.objects.filter(pk__in=[c.pk for c, _ in self.gone_connectors]).delete()
            return
        except ProtectedError:
            pass
        for connector, label in self.gone_connectors:  # find which ones, to name them
            try:
                with transaction.atomic():
                    connector.delete()
            except ProtectedError:
                self.errors.append(
                    f"{label}, connector {connector.ocpi_id}: is missing from the file but "
                    "still referenced (e.g. by sessions), so it cannot be removed."
                )

    def _publish(self) -> None:
        """refresh_publishability and push.location_changed, CHUNK locations at a time,
        from the rows in memory: they are what was written (a re-read cost a third of
        the import)."""
        for start in range(0, len(self.locations), CHUNK):
            chunk = self.locations[start : start + CHUNK]
            stale = []
            for location in chunk:
                _as_read_for_ocpi(location)
                location.gireve_missing = location.missing_for_gireve()
                if location.gireve_missing != getattr(location, "_stored_missing", []):
                    stale.append(location)
            Location.objects.bulk_update(stale, ["gireve_missing"], batch_size=CHUNK)
            unchanged = [loc for loc in chunk if id(loc) not in self.changed]
            push.locations_imported(chunk, unchanged=unchanged)


def _as_read_for_ocpi(location: Location) -> None:
    """Give `location` the related rows locations_for_ocpi would prefetch (EVSEs and their
    connectors by pk), so that missing_for_gireve and location_to_ocpi read no row."""
    evses = sorted(location._evses.values(), key=lambda evse: evse.pk)
    _prefetched(location, "evses", evses)
    for evse in evses:
        _prefetched(evse, "connectors", sorted(evse._connectors.values(), key=lambda c: c.pk))


def _prefetched(instance, name: str, rows: list) -> None:
    # What django.db.models.query.prefetch_one_level stores for a prefetched relation.
    queryset = getattr(instance, name).all()
    queryset._result_cache, queryset._prefetch_done = rows, True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def _chunks(items: list, size: int = 10000):
    """Keep IN lists well below PostgreSQL's 65,535 parameters per statement."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _differs(instance) -> bool:
    """New, or a field the file changes, last_updated aside (as services compare the OCPI
    JSON without it: the hub would see nothing new)."""
    if instance.pk is None:
        return True
    return any(
        getattr(instance, f.attname) != instance._stored[f.attname]
        for f in _fields(type(instance))
        if f.name != "last_updated"
    )


def _remember(instance) -> None:
    """What the row holds in the database, to update only the fields the file changes."""
    instance._stored = {f.attname: getattr(instance, f.attname) for f in _fields(type(instance))}


def _fields(model) -> list:
    # Ids and parent never change (OCPI); gireve_missing is refreshed after the writes.
    frozen = {"operator", "location", "evse", "ocpi_id", "uid", "gireve_missing"}
    return [f for f in model._meta.concrete_fields if f.name not in frozen and not f.primary_key]


def _bulk_save(model, objects: list, also: list = ()) -> None:
    """Insert the new rows; update the others (and `also`) where the file changes them, one
    bulk_update per set of changed fields (a re-import of the same file updates nothing)."""
    stored = [obj for obj in objects if obj.pk is not None] + list(also)
    model.objects.bulk_create([obj for obj in objects if obj.pk is None], batch_size=CHUNK)
    groups = defaultdict(list)
    for obj in stored:
        changed = tuple(
            f.name for f in _fields(model) if getattr(obj, f.attname) != obj._stored[f.attname]
        )
        if changed:
            groups[changed].append(obj)
    for names, group in groups.items():
        model.objects.bulk_update(group, names, batch_size=CHUNK)
