"""What the hub receives when charging infrastructure changes (Gireve §3.5, OCPI mod_locations).

Called by locations.services inside its transaction, after the change and
`refresh_publishability`: the messages are built from the committed-to-be state and written
to the outbox (roaming.outbox) in the same transaction. One stream per location (its EVSEs
and connectors included) per platform, at client-owned URLs
/{country_code}/{party_id}/{location_id}[/{evse_uid}[/{connector_id}]]:
- a location the hub does not have yet (new, or publishable again) -> PUT location (whole);
- static location change -> PUT location; new EVSE or static EVSE/connector change -> PUT evse;
- EVSE status change -> PATCH evse {status, last_updated} (never twice the same: no change,
  no message); tariff_ids change -> PATCH each connector {tariff_ids, last_updated};
- an EVSE incomplete for Gireve (§3.5.1: no capabilities, no tariff_ids, no connector) is held
  back: left out of every location PUT and sent (PUT evse) once complete; the rest of its
  location stays shared (issue 19.1). An EVSE the hub holds may not become incomplete
  (services.save_evse refuses: the hub would keep a copy we no longer describe);
- unpublishable or unpublished locations are never pushed; a location the hub holds that
  stops being shared (set publish=False, or incomplete for Gireve §3.5.1: owner or operator
  name cleared) gets one PUT with publish=false (the hub withdraws it, instead of keeping a
  published copy whose statuses freeze), then nothing until it is shared again, when the
  whole location is PUT.
The stream's memo {"synced": bool} remembers whether the hub holds our whole location.
`whole_object` rebuilds what the hub lost when it answers a PATCH "unknown object"
(roaming.outbox.healing; registered in apps.py).
Imports push many locations at once (`locations_imported`): same messages, a few queries.
"""

from __future__ import annotations

from django.db.models import Prefetch

from roaming.models import Platform
from roaming.ocpi_time import format_datetime
from roaming.outbox import services as outbox
from roaming.outbox.models import Stream

from .models import EVSE, Connector, Location
from .ocpi import evse_to_ocpi, location_to_hub
from .selectors import locations_for_ocpi, roaming_locations, stream_key

MODULE = "locations"
# EVSE fields that change by PATCH rather than by a whole PUT (Gireve §3.5.2: dynamic).
DYNAMIC = {"status", "last_updated"}


_key = stream_key


def _path(location: Location, *ids: str) -> str:
    operator = location.operator
    return "/" + "/".join([operator.country_code, operator.party_id, location.ocpi_id, *ids])


def _fresh_location(location_id: int) -> Location:
    return locations_for_ocpi(Location.objects.filter(pk=location_id)).get()


def _fresh_evse(evse_id: int) -> EVSE:
    connectors = Prefetch("connectors", queryset=Connector.objects.order_by("pk"))
    return (
        EVSE.objects.select_related("location__operator")
        .prefetch_related(connectors)
        .get(pk=evse_id)
    )


def _shared(location: Location) -> bool:
    """Gireve §3.5.1: only complete, published locations go to the hub."""
    return location.publish and not location.gireve_missing


def _whole_put(location: Location, synced: bool, body) -> outbox.Outgoing | None:
    """The whole PUT `location` needs on a platform, if any (see the module docstring).

    `body()` is location_to_hub of a fresh read (locations_for_ocpi)."""
    if not (_shared(location) or synced):
        return None
    # Not shared but synced: OCPI 2.2.1 Location.publish=false, the hub withdraws it and we
    # go quiet (location_to_hub); the next whole PUT follows once it is shared again.
    memo = {"synced": _shared(location)}
    return outbox.Outgoing(
        _key(location.pk), "PUT", _path(location), body(), location.ocpi_id, memo
    )


def _push(location: Location, changes=None, *, platforms: list[Platform] | None = None) -> int:
    """Queue `changes()` (list of (method, path, body)) for platforms that hold the whole
    location, else the whole PUT or withdrawal of `_whole_put`."""
    platforms = outbox.hub_platforms(MODULE) if platforms is None else platforms
    key, queued, built, whole = _key(location.pk), 0, None, None

    def body() -> dict:
        nonlocal whole
        whole = whole or location_to_hub(_fresh_location(location.pk))
        return whole

    for platform in platforms:
        # Locked once: the memo read and the enqueue are one step for concurrent producers.
        streams = outbox.locked_streams(platform=platform, stream_keys=[key], module=MODULE)
        synced = streams[key].memo.get("synced")
        if _shared(location) and synced and changes is not None:
            built = changes() if built is None else built
            items = [outbox.Outgoing(key, m, p, b, location.ocpi_id) for m, p, b in built]
        else:
            put = _whole_put(location, synced, body)
            items = [put] if put else []
        queued += outbox.enqueue_many(
            platform=platform, module=MODULE, items=items, streams=streams
        )
    return queued


def locations_imported(locations: list[Location], *, unchanged: list[Location] = ()) -> int:
    """`location_changed` for many locations read by locations_for_ocpi (publishability
    refreshed), with a few queries per platform whatever their number (imports); those in
    `unchanged` (the file changed nothing) as `location_unchanged`. Delivery starts at the
    next sweep rather than with one broker publish per location."""
    same = {id(location) for location in unchanged}
    queued = 0
    for platform in outbox.hub_platforms(MODULE):
        streams = outbox.locked_streams(
            platform=platform, stream_keys=[_key(loc.pk) for loc in locations], module=MODULE
        )
        items = []
        for location in locations:
            synced = streams[_key(location.pk)].memo.get("synced")
            if id(location) in same and synced and _shared(location):
                continue  # the hub holds it as it is (issue 19.7)
            put = _whole_put(location, synced, lambda loc=location: location_to_hub(loc))
            if put is not None:
                items.append(put)
        queued += outbox.enqueue_many(platform=platform, module=MODULE, items=items, kick_now=False)
    return queued


def hub_holds(location: Location) -> bool:
    """Whether a hub platform holds this location shared (its last whole PUT was published)."""
    # "synced" is written with every whole PUT and withdrawal (messages may be purged).
    return Stream.objects.filter(key=_key(location.pk), module=MODULE, memo__synced=True).exists()


def hub_state(location: Location) -> str:
    """For ops on the location page: what the hub holds of this location, and what next."""
    memos = list(
        Stream.objects.filter(
            key=_key(location.pk), module=MODULE, memo__has_key="synced"
        ).values_list("memo", flat=True)
    )
    if any(memo["synced"] for memo in memos):
        return "On the hub: every change is pushed."
    if memos:
        state = "Withdrawn from the hub (sent with publish=false)."
    else:
        state = "Not on the hub: it was never pushed to the hub."
    if not location.publish:
        return state + " Sent whole once published."
    if location.gireve_missing:
        return state + " Sent whole once complete for Gireve."
    return state


def location_changed(location: Location) -> int:
    """Static change, import, publish switch, operator details: PUT the whole location."""
    return _push(location)


def location_unchanged(location: Location) -> int:
    """A save the hub could not see (issue 19.7): nothing where the hub holds the location
    as it is; only a platform that lacks the shared location (or holds it shared while it
    no longer is) gets the whole PUT or withdrawal."""
    return _push(location, list)


def evse_changed(evse: EVSE) -> int:
    """New EVSE, static EVSE change or connector change: PUT the whole EVSE (nothing while it
    is held back, incomplete for Gireve)."""

    def changes():
        fresh = _fresh_evse(evse.pk)
        if fresh.missing_for_gireve():
            return []
        return [("PUT", _path(fresh.location, fresh.uid), evse_to_ocpi(fresh))]

    return _push(evse.location, changes)


def evse_status_changed(evse: EVSE) -> int:
    """OCPI 2.2.1 mod_locations: PATCH {status, last_updated} in real time (a held-back EVSE
    is not at the hub: nothing)."""

    def changes():
        if evse.missing_for_gireve():
            return []
        body = {"status": evse.status, "last_updated": format_datetime(evse.last_updated)}
        return [("PATCH", _path(evse.location, evse.uid), body)]

    return _push(evse.location, changes)


def evse_tariffs_changed(evse: EVSE) -> int:
    """Gireve §3.5.3: tariff_ids live on the EVSE; every connector reports them (PATCH)."""

    def changes():
        fresh = _fresh_evse(evse.pk)
        if fresh.missing_for_gireve():
            return []
        return [
            (
                "PATCH",
                _path(fresh.location, fresh.uid, connector.ocpi_id),
                {
                    "tariff_ids": list(fresh.tariff_ids),
                    "last_updated": format_datetime(connector.last_updated),
                },
            )
            for connector in fresh.connectors.all()
        ]

    return _push(evse.location, changes)


def snapshot(evse: EVSE) -> dict | None:
    """The EVSE as stored, in OCPI, read before a save (None: new EVSE)."""
    if evse.pk is None or not EVSE.objects.filter(pk=evse.pk).exists():
        return None
    return evse_to_ocpi(_fresh_evse(evse.pk))


def complete(obj: dict) -> bool:
    """An OCPI EVSE object is complete for Gireve (as EVSE.missing_for_gireve, on JSON)."""
    if not obj["connectors"]:
        return False
    if obj["status"] == "REMOVED":
        return True
    return bool(obj.get("capabilities")) and bool(obj["connectors"][0].get("tariff_ids"))


def _static(obj: dict) -> dict:
    obj = {k: v for k, v in obj.items() if k not in DYNAMIC}
    obj["connectors"] = [
        {k: v for k, v in c.items() if k not in ("tariff_ids", "last_updated")}
        for c in obj.get("connectors", [])
    ]
    return obj


def evse_saved(evse: EVSE, before: dict | None) -> int:
    """Pick the smallest message for what changed between `before` and now: nothing for a
    held-back EVSE, its whole PUT once it becomes complete."""
    after = evse_to_ocpi(_fresh_evse(evse.pk))
    if not complete(after):
        return _push(evse.location, list)  # held back: only a hub without the location hears
    if before is None or not complete(before):
        return evse_changed(evse)
    if _static(before) != _static(after):
        return evse_changed(evse)
    tariffs = [c.get("tariff_ids") for c in before["connectors"]]
    queued = 0
    if before["status"] != after["status"]:
        queued += evse_status_changed(evse)
    if tariffs != [c.get("tariff_ids") for c in after["connectors"]]:
        queued += evse_tariffs_changed(evse)
    return queued


def whole_object(stream_key: str, missing_path: str) -> list[tuple[str, str, dict]]:
    """The PUT giving the hub back `missing_path` of a location stream, from current data:
    the whole location, or the whole EVSE when only it (or one of its connectors) is missing.
    [] when the location is gone or no longer shared (nothing to rebuild)."""
    location = locations_for_ocpi(Location.objects.filter(pk=stream_key.split(":")[1])).first()
    if location is None or not _shared(location):
        return []
    ids = [p for p in missing_path.split("/") if p][3:]  # below /{cc}/{pid}/{location_id}
    if not ids:
        return [("PUT", _path(location), location_to_hub(location))]
    evse = next((e for e in location.evses.all() if e.uid == ids[0]), None)
    if evse is None or evse.missing_for_gireve():
        return []
    return [("PUT", _path(location, evse.uid), evse_to_ocpi(_fresh_evse(evse.pk)))]


def push_all(*, platform: Platform) -> int:
    """Whole PUT of every shared location to `platform` (after (re)registration Gireve
    needs the whole EVCI), through the same streams so that order is kept."""
    count = 0
    for location in roaming_locations().iterator(chunk_size=200):
        outbox.enqueue(
            platform=platform,
            stream_key=_key(location.pk),
            module=MODULE,
            method="PUT",
            path=_path(location),
            body=location_to_hub(location),
            object_id=location.ocpi_id,
            memo={"synced": True},
        )
        count += 1
    return count


def known_to_hub(location: Location) -> bool:
    """Shared now, or ever queued to a platform: the hub may hold it, so it is never deleted
    (mod_locations: "There is no way to entirely delete Locations, EVSEs and Connectors")."""
    if _shared(location):
        return True
    return Stream.objects.filter(key=_key(location.pk)).exists()
