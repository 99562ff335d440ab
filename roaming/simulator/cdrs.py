"""CDR receiver (OCPI 2.2.1 mod_cdrs, eMSP interface, reached through the hub): POST a CDR
to the module's base URL, answered with a `Location` header where it can be read back by GET.

CDRs are immutable (mod_cdrs): a second POST of the same id (a retry after a lost answer)
keeps the first copy and gets the same Location, and is counted in `hub.cdr_posts`.
"""

from .server import envelope

Answer = tuple[int, dict, dict]


def handle(hub, method: str, ids: list[str], body) -> Answer:
    if method == "POST" and not ids:
        return _post(hub, body)
    if method == "GET" and len(ids) == 3:
        with hub.lock:
            stored = hub.objects.get("/".join(["cdrs", *ids]))
        if stored is None:
            return 404, envelope(None, 2003, "Unknown object"), {}
        return 200, envelope(stored), {}
    return 405, envelope(None, 2000, f"{method} not allowed here"), {}


def _post(hub, body) -> Answer:
    if not isinstance(body, dict) or not all(
        isinstance(body.get(field), str) and body[field]
        for field in ("country_code", "party_id", "id")
    ):
        return 200, envelope(None, 2001, "country_code, party_id and id required"), {}
    ids = [body["country_code"], body["party_id"], body["id"]]
    key = "/".join(["cdrs", *ids])
    with hub.lock:
        hub.objects.setdefault(key, body)
        hub.cdr_posts[key] = hub.cdr_posts.get(key, 0) + 1
    # mod_cdrs POST: the response SHALL contain the Location header with the CDR's URL.
    return 200, envelope(None), {"Location": f"{hub.url}/2.2.1/cdrs/{'/'.join(ids)}"}
