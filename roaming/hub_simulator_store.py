"""Receiver-side storage of the hub simulator: what it keeps of the objects we push.

Locations follow OCPI PUT/PATCH semantics down to EVSEs and connectors; sessions and tariffs
are kept per client-owned URL; CDRs are POSTed and answered with the URL to GET them back.
"""

from .hub_simulator_server import envelope


def store_request(hub, method: str, module: str, ids: list[str], body) -> tuple[int, dict, dict]:
    """A receiver call (client-owned URL /{cc}/{pid}/{id}[/{evse_uid}[/{connector_id}]])."""
    if module == "cdrs" and method == "POST" and not ids and isinstance(body, dict):
        # OCPI mod_cdrs: POST to the endpoint, answer Location = where to GET it back.
        ids = [str(body.get("country_code")), str(body.get("party_id")), str(body.get("id"))]
        with hub.lock:
            hub.objects["/".join(["cdrs", *ids])] = body
        return 200, envelope(None), {"Location": f"{hub.url}/2.2.1/cdrs/{'/'.join(ids)}"}
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
            return _merge(hub.objects.get(key), method, ids[3:], body)
    return 405, envelope(None, 2000, f"{method} not allowed here"), {}


def _merge(location, method: str, ids: list[str], body: dict) -> tuple[int, dict, dict]:
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
