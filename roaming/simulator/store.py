"""Receivers for the objects a CPO owns and pushes whole: locations (with EVSEs and connectors)
and tariffs, kept in `hub.objects` under "module/cc/pid/id".

Locations follow OCPI 2.2.1 mod_locations PUT/PATCH semantics down to EVSEs and connectors;
tariffs are PUT and DELETEd whole (mod_tariffs). `forget` plays a hub that lost its copy
(Gireve: the IOP purged it, or never integrated it), so a PATCH is answered 404 / 2003.
"""

from .server import envelope

Answer = tuple[int, dict, dict]


def handle(hub, method: str, module: str, ids: list[str], body) -> Answer:
    """A receiver call at a client-owned URL /{cc}/{pid}/{id}[/{evse_uid}[/{connector_id}]]."""
    if len(ids) < 3 or (module != "locations" and len(ids) != 3) or len(ids) > 5:
        return 404, envelope(None, 2000, "Unknown path"), {}
    key = "/".join([module, *ids[:3]])
    with hub.lock:
        if method == "GET":
            found = child(hub.objects.get(key), ids[3:])
            if found is None:
                return 404, envelope(None, 2003, "Unknown object"), {}
            return 200, envelope(found), {}
        if method == "DELETE" and module == "tariffs":
            hub.objects.pop(key, None)
            return 200, envelope(None), {}
        if method == "PUT" and len(ids) == 3:
            hub.objects[key] = body
            return 200, envelope(None), {}
        if method in ("PUT", "PATCH") and isinstance(body, dict):
            return merge(hub.objects.get(key), method, ids[3:], body)
    return 405, envelope(None, 2000, f"{method} not allowed here"), {}


def forget(hub, path: str) -> bool:
    """Drop "locations/cc/pid/id[/evse_uid[/connector_id]]" (or any "module/cc/pid/id") from
    the hub's copy, as a hub that lost it. Returns whether there was something to drop."""
    parts = [p for p in path.strip("/").split("/") if p]
    key, ids = "/".join(parts[:4]), parts[4:]
    with hub.lock:
        if not ids:
            return hub.objects.pop(key, None) is not None
        parent = child(hub.objects.get(key), ids[:-1])
        if parent is None:
            return False
        children, id_field = ("evses", "uid") if len(ids) == 1 else ("connectors", "id")
        kept = [c for c in parent.get(children) or [] if c.get(id_field) != ids[-1]]
        dropped = len(kept) != len(parent.get(children) or [])
        parent[children] = kept
        return dropped


def merge(location, method: str, ids: list[str], body: dict) -> Answer:
    """PUT replaces (or adds) the addressed object, PATCH updates its given fields."""
    target = child(location, ids)
    if target is None and method == "PUT" and ids:
        parent = child(location, ids[:-1])
        if parent is not None:
            parent.setdefault("evses" if len(ids) == 1 else "connectors", []).append(body)
            _touch_parents(location, ids, body)
            return 200, envelope(None), {}
    if target is None:
        return 404, envelope(None, 2003, "Unknown object"), {}
    if method == "PUT":
        target.clear()
    target.update(body)
    _touch_parents(location, ids, body)
    return 200, envelope(None), {}


def _touch_parents(location, ids: list[str], body: dict) -> None:
    """OCPI 2.2.1 mod_locations: a PUT/PATCH of an EVSE or connector also sets the new
    last_updated on its parent EVSE and Location."""
    if "last_updated" not in body:
        return
    for depth in range(len(ids)):
        child(location, ids[:depth])["last_updated"] = body["last_updated"]


def child(obj, ids: list[str]):
    """The object itself (ids = []), an EVSE ([uid]) or a connector ([uid, id]) in a location."""
    for depth, wanted in enumerate(ids):
        if not isinstance(obj, dict):
            return None
        children, key = ("evses", "uid") if depth == 0 else ("connectors", "id")
        obj = next((c for c in obj.get(children) or [] if c.get(key) == wanted), None)
    return obj
