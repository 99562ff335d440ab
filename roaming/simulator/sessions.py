"""Sessions receiver (OCPI 2.2.1 mod_sessions, eMSP interface, reached through the hub):
PUT a whole Session, PATCH some of its fields (charging_periods are added, as OCPI says),
GET it back at /{cc}/{pid}/{session_id}.

Gireve §3.8: the CPO pushes a session when it starts and its updates until COMPLETED. Every
version the hub held is kept in `hub.session_history[key]`, so a test reads both the final
session (`hub.session(cc, pid, id)`) and the way there.
"""

import copy

from .server import envelope

Answer = tuple[int, dict, dict]


def handle(hub, method: str, ids: list[str], body) -> Answer:
    if len(ids) != 3:
        return 404, envelope(None, 2000, "Unknown path"), {}
    key = "/".join(["sessions", *ids])
    with hub.lock:
        stored = hub.objects.get(key)
        if method == "GET":
            if stored is None:
                return 404, envelope(None, 2003, "Unknown object"), {}
            return 200, envelope(stored), {}
        if method not in ("PUT", "PATCH") or not isinstance(body, dict):
            return 405, envelope(None, 2000, f"{method} not allowed here"), {}
        if method == "PATCH":
            if stored is None:
                # mod_sessions: the CPO PUTs a session before it PATCHes it.
                return 404, envelope(None, 2003, "Unknown object"), {}
            if "last_updated" not in body:
                # mod_sessions PATCH: "Any request to the PATCH method SHALL contain the
                # last_updated field."
                return 200, envelope(None, 2001, "last_updated missing in PATCH"), {}
            # mod_sessions PATCH: charging_periods "SHALL be processed as a request to add"
            # them; omitted or empty: no change.
            held, added = stored.get("charging_periods"), body.get("charging_periods") or []
            stored = {**stored, **body}
            if held is not None or added:
                stored["charging_periods"] = [*(held or []), *added]
        else:
            stored = body
        hub.objects[key] = stored
        hub.session_history.setdefault(key, []).append(copy.deepcopy(stored))
    return 200, envelope(None), {}
