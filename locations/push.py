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
- unpublishable or unpublished locations are never pushed; a location the hub has that is
  set publish=False gets one PUT with publish=false (the hub withdraws it), then nothing.
The stream's memo {"synced": bool} remembers whether the hub holds our whole location.
`whole_object` rebuilds what the hub lost when it answers a PATCH "unknown object"
(roaming.outbox.healing; registered in apps.py).
"""

from __future__ import annotations

from django.db.models import Prefetch

from roaming.models import Platform
from roaming.ocpi_time import format_datetime
from roaming.outbox import services as outbox

from .models import EVSE, Connector, Location
from .ocpi import evse_to_ocpi, location_to_ocpi
from .selectors import locations_for_ocpi, roaming_locations

MODULE = "locations"
# EVSE fields that change by PATCH rather than by a whole PUT (Gireve §3.5.2: dynamic).
DYNAMIC = {"status", "last_updated"}


def _key(location_id: int) -> str:
    return f"location:{location_id}"


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


def _push(location: Location, changes=None, *, platforms: list[Platform] | None = None) -> int:
    """Queue `changes()` (list of (method, path, body)) for platforms that hold the whole
    location, else a whole PUT; withdraw or stop as described in the module docstring."""
    platforms = outbox.hub_platforms(MODULE) if platforms is None else platforms
    key, queued, whole, built = _key(location.pk), 0, None, None
    for platform in platforms:
        synced = outbox.stream_memo(platform=platform, stream_key=key, module=MODULE).get("synced")
        if _shared(location) and synced and changes is not None:
            built = changes() if built is None else built
            messages, memo = built, None
        elif _shared(location) or (synced and not location.publish):
            # OCPI 2.2.1 Location.publish=false: the hub withdraws it; we then go quiet.
            whole = whole or location_to_ocpi(_fresh_location(location.pk))
            messages, memo = [("PUT", _path(location), whole)], {"synced": whole["publish"]}
        else:
            if synced:  # unpublishable now: stop; the whole PUT follows when it is complete
                outbox.set_stream_memo(
                    platform=platform, stream_key=key, module=MODULE, memo={"synced": False}
                )
            continue
        for method, path, body in messages:
            outbox.enqueue(
                platform=platform,
                stream_key=key,
                module=MODULE,
                method=method,
                path=path,
                body=body,
                object_id=location.ocpi_id,
                memo=memo,
            )
            queued += 1
    return queued


def location_changed(location: Location) -> int:
    """Static change, import, publish switch, operator details: PUT the whole location."""
    return _push(location)


def evse_changed(evse: EVSE) -> int:
    """New EVSE, static EVSE change or connector change: PUT the whole EVSE."""

    def changes():
        fresh = _fresh_evse(evse.pk)
        return [("PUT", _path(fresh.location, fresh.uid), evse_to_ocpi(fresh))]

    return _push(evse.location, changes)


def evse_status_changed(evse: EVSE) -> int:
    """OCPI 2.2.1 mod_locations: PATCH {status, last_updated} in real time."""

    def changes():
        body = {"status": evse.status, "last_updated": format_datetime(evse.last_updated)}
        return [("PATCH", _path(evse.location, evse.uid), body)]

    return _push(evse.location, changes)


def evse_tariffs_changed(evse: EVSE) -> int:
    """Gireve §3.5.3: tariff_ids live on the EVSE; every connector reports them (PATCH)."""

    def changes():
        fresh = _fresh_evse(evse.pk)
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
    """The EVSE as the hub last got it from us, read before a save (None: new EVSE)."""
    if evse.pk is None or not EVSE.objects.filter(pk=evse.pk).exists():
        return None
    return evse_to_ocpi(_fresh_evse(evse.pk))


def _static(obj: dict) -> dict:
    obj = {k: v for k, v in obj.items() if k not in DYNAMIC}
    obj["connectors"] = [
        {k: v for k, v in c.items() if k not in ("tariff_ids", "last_updated")}
        for c in obj.get("connectors", [])
    ]
    return obj


def evse_saved(evse: EVSE, before: dict | None) -> int:
    """Pick the smallest message for what changed between `before` and now."""
    if before is None:
        return evse_changed(evse)
    after = evse_to_ocpi(_fresh_evse(evse.pk))
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
        return [("PUT", _path(location), location_to_ocpi(location))]
    evse = next((e for e in location.evses.all() if e.uid == ids[0]), None)
    if evse is None:
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
            body=location_to_ocpi(location),
            object_id=location.ocpi_id,
            memo={"synced": True},
        )
        count += 1
    return count
