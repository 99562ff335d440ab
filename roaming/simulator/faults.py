"""Use-case faults: the hub breaks one qualification use case (Gireve §3.3) so that a self-test
can show it turning red with its evidence. `hub.break_use_case(name)` adds one to
`hub.broken`; they are orthogonal to the transport fault modes ("down", "http500", ...).

- "credentials": versions/details list another URL for `DRIFTED_MODULE` than the one the
  client stored (endpoints drifted since registration);
- "push_evci": location PUTs/PATCHes are answered 1000 but not kept (a GET: 404 or the old
  object);
- "push_tariffs": tariff PUTs answered 1000, not kept (a GET: 404);
- "rta": real-time authorize answers OCPI 3000 in an HTTP 200 envelope (`RTA_HTTP_500`: HTTP
  500 instead);
- "push_sessions": session PUTs/PATCHes answered 1000, not kept (a GET: 404);
- "push_cdrs": CDR POSTs refused with OCPI 2001;
- "pull_evci": play_iop skips its pull of the client's locations;
- "commands": play_iop never sends START_SESSION nor STOP_SESSION.
"""

from .server import envelope

Answer = tuple[int, dict, dict]
USE_CASE_FAULTS = (
    "credentials",
    "push_evci",
    "push_tariffs",
    "rta",
    "push_sessions",
    "push_cdrs",
    "pull_evci",
    "commands",
)
DRIFTED_MODULE = "locations"
RTA_HTTP_500 = "rta_http500"  # a variant of "rta", for tests of the HTTP-level failure
_NOT_KEPT = {"push_evci": "locations", "push_tariffs": "tariffs", "push_sessions": "sessions"}


def break_use_case(hub, name: str) -> None:
    if name not in (*USE_CASE_FAULTS, RTA_HTTP_500):
        raise ValueError(f"unknown use case {name!r}: one of {', '.join(USE_CASE_FAULTS)}")
    with hub.lock:
        hub.broken.add(name)


def drift(hub, endpoints: list[dict]) -> list[dict]:
    """The details' endpoints, with `DRIFTED_MODULE` moved when "credentials" is broken."""
    if "credentials" not in hub.broken:
        return endpoints
    return [
        {**e, "url": f"{hub.url}/2.2.1/moved/{e['identifier']}"}
        if e["identifier"] == DRIFTED_MODULE
        else e
        for e in endpoints
    ]


def answer(hub, method: str, parts: list[str], body) -> Answer | None:
    """The broken answer to a receiver call ("2.2.1", module, ...), None to answer as usual."""
    if not hub.broken or len(parts) < 2:
        return None
    module = parts[1]
    if module == "tokens" and parts[-1:] == ["authorize"] and method == "POST":
        if RTA_HTTP_500 in hub.broken:
            return 500, envelope(None, 3000, "Simulated fault: authorize failed"), {}
        if "rta" in hub.broken:
            return 200, envelope(None, 3000, "Simulated fault: eMSP unreachable"), {}
    if module == "cdrs" and method == "POST" and "push_cdrs" in hub.broken:
        return 200, envelope(None, 2001, "Simulated fault: CDR refused"), {}
    if method in ("PUT", "PATCH") and any(
        _NOT_KEPT[name] == module for name in hub.broken if name in _NOT_KEPT
    ):
        return 200, envelope(None), {}  # accepted, then lost
    return None
