"""A real HTTP server on loopback that plays Gireve's IOP (FR*107, role HUB) for tests and people.

It serves versions and 2.2.1 details and credentials (both registration ways: we register with
it using its token A, or it registers with us given our versions URL and our token A),
receiver endpoints for locations, sessions, cdrs and tariffs that store what they get (PUT/PATCH
merge semantics for locations, EVSEs and connectors), a tokens SENDER list (paginated with
Link) and real-time authorize, a receiver for command results, and records every request.
Fault modes: "down" (listening socket closed: connection refused), "http500", "slow" (answers
after `delay` seconds) and "reject2001" (OCPI 2001 rejection).

`token` is what we must send it (its token C, or its token B when it registered with us);
`client_token` is what it sends us.
"""

import base64
import contextlib
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

RECEIVERS = ("locations", "sessions", "cdrs", "tariffs")
FAULTS = (None, "down", "http500", "slow", "reject2001")
HUB_ROLE = {
    "role": "HUB",
    "country_code": "FR",
    "party_id": "107",  # Gireve §2.1.6: FR*107 in preproduction
    "business_details": {"name": "GIREVE"},
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent pushes must not be reset by the backlog


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    json: object
    time: float


class HubSimulator:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, token: str = "hub-token-c"):
        self.host, self.port = host, port
        self.token = token  # the token we must send it
        self.registration_token = "hub-token-a"  # token A it gives us for Register ToIOP
        self.client_token: str | None = None  # the token it sends us
        self.client_versions_url: str | None = None
        self.client_endpoints: list[dict] = []
        self.registered_credentials: dict | None = None
        self.unregistered = False
        self.versions = ["2.2.1"]  # the OCPI versions it offers
        self.require_routing_headers = True  # Gireve §2.1.3: From/To mandatory but credentials
        self.received: list[Recorded] = []
        self.objects: dict[str, dict] = {}  # "module/cc/pid/id" -> object, EVSEs inside locations
        self.tokens: list[dict] = []  # its tokens SENDER list
        self.authorizations: dict[str, str] = {}  # uid -> allowed (ALLOWED, BLOCKED, ...)
        self.command_results: dict[str, dict] = {}
        self.fault: str | None = None
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._connections: set[socket.socket] = set()

    # --- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/ocpi"

    @property
    def versions_url(self) -> str:
        return f"{self.url}/versions"

    def endpoints(self) -> list[dict]:
        base = f"{self.url}/2.2.1"
        endpoints = [{"identifier": m, "role": "RECEIVER", "url": f"{base}/{m}"} for m in RECEIVERS]
        return endpoints + [
            {"identifier": "tokens", "role": "SENDER", "url": f"{base}/tokens"},
            {"identifier": "commands", "role": "SENDER", "url": f"{base}/commands"},
            {"identifier": "credentials", "role": "SENDER", "url": f"{base}/credentials"},
            {"identifier": "credentials", "role": "RECEIVER", "url": f"{base}/credentials"},
        ]

    def start(self) -> "HubSimulator":
        server = _Server((self.host, self.port), _handler(self))
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the listening socket and every kept-alive connection: callers are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def set_fault(self, mode: str | None, *, delay: float = 0.0) -> None:
        if mode not in FAULTS:
            raise ValueError(f"unknown fault mode {mode!r}")
        if mode == "down" and self._server is not None:
            self.stop()
        elif mode != "down" and self._server is None:
            self.start()  # rebinds the same port
        self.fault, self.delay = mode, delay

    # --- what tests read -------------------------------------------------------

    def requests_to(self, module: str, method: str | None = None) -> list[Recorded]:
        prefix = f"/ocpi/2.2.1/{module}"
        with self._lock:
            return [
                r
                for r in self.received
                if r.path.startswith(prefix) and (method is None or r.method == method)
            ]

    def command_response_url(self, command_id: str) -> str:
        """The response_url to put in a command sent to a CPO: results land in command_results."""
        return f"{self.url}/2.2.1/commands/results/{command_id}"

    # --- the hub calling us --------------------------------------------------

    def register_with(self, versions_url: str, token_a: str) -> dict:
        """Register FromIOP: read their versions with token A, POST our credentials with a
        fresh token B (the one they must send us), keep their token C. Returns their answer."""
        details = self._read_details(versions_url, token_a)
        credentials_url = _endpoint(details, "credentials")
        token_b = "hub-token-b-" + secrets.token_hex(8)
        body = {"token": token_b, "url": self.versions_url, "roles": [HUB_ROLE]}
        # They read our versions with token B while handling the POST: it must work already.
        previous, self.token, self.unregistered = self.token, token_b, False
        answer = requests.post(
            credentials_url, json=body, headers=self.call_headers(token_a), timeout=10
        ).json()
        if answer.get("status_code") != 1000:
            self.token = previous
            return answer
        self.client_token = answer["data"]["token"]
        self.registered_credentials = answer["data"]
        self.client_versions_url = versions_url
        self.client_endpoints = details["endpoints"]
        return answer

    def update_registration(self) -> dict:
        """PUT new credentials to the client (credentials §PUT): a new token for it to send."""
        credentials_url = _endpoint({"endpoints": self.client_endpoints}, "credentials")
        token_b = "hub-token-b-" + secrets.token_hex(8)
        body = {"token": token_b, "url": self.versions_url, "roles": [HUB_ROLE]}
        previous, self.token = self.token, token_b
        answer = self.call("PUT", credentials_url, json_body=body).json()
        if answer.get("status_code") != 1000:
            self.token = previous
            return answer
        self.client_token = answer["data"]["token"]
        self.registered_credentials = answer["data"]
        return answer

    def call(self, method: str, url: str, *, json_body=None, to=None) -> requests.Response:
        """Call the client platform with the token it gave us; `to` = (country_code, party_id)."""
        headers = self.call_headers(self.client_token or "")
        if to is not None:
            headers |= {
                "OCPI-from-country-code": HUB_ROLE["country_code"],
                "OCPI-from-party-id": HUB_ROLE["party_id"],
                "OCPI-to-country-code": to[0],
                "OCPI-to-party-id": to[1],
            }
        return requests.request(method, url, json=json_body, headers=headers, timeout=10)

    @staticmethod
    def call_headers(token: str) -> dict:
        request_id = secrets.token_hex(16)
        return {
            "Authorization": "Token " + _b64(token),
            "X-Request-ID": request_id,
            "X-Correlation-ID": request_id,
        }

    def _read_details(self, versions_url: str, token: str) -> dict:
        versions = requests.get(versions_url, headers=self.call_headers(token), timeout=10).json()
        chosen = next(v for v in versions["data"] if v["version"] == "2.2.1")
        return requests.get(chosen["url"], headers=self.call_headers(token), timeout=10).json()[
            "data"
        ]

    # --- the hub answering -----------------------------------------------------

    def answer(
        self, method: str, path: str, query: dict, headers: dict, body
    ) -> tuple[int, dict, dict]:
        """(HTTP status, OCPI envelope, extra headers) for one request."""
        with self._lock:
            self.received.append(Recorded(method, path, query, headers, body, time.monotonic()))
        if self.fault == "slow":
            time.sleep(self.delay)
        if self.fault == "http500":
            return 500, envelope(None, 3000, "Simulated server error"), {}
        parts = [p for p in path.split("/") if p][1:]  # drop "ocpi"
        sent = headers.get("Authorization", "").split(" ")[-1]
        platform_level = parts[-1:] in (["versions"], ["2.2.1"], ["credentials"])
        if sent in _encodings(self.registration_token) and platform_level:
            if parts == ["2.2.1", "credentials"] and method == "POST":
                return self._register(body)
            if parts[-1] == "credentials":
                return 405, envelope(None, 2000, "Token A: POST only"), {}
        elif self.unregistered or sent not in _encodings(self.token):
            return 401, envelope(None, 2000, "Unknown token"), {}
        if parts == ["versions"]:
            offered = [{"version": v, "url": f"{self.url}/{v}"} for v in self.versions]
            return 200, envelope(offered), {}
        if parts == ["2.2.1"]:
            return 200, envelope({"version": "2.2.1", "endpoints": self.endpoints()}), {}
        if parts == ["2.2.1", "credentials"]:
            return self._credentials(method, body)
        if parts[:3] == ["2.2.1", "commands", "results"] and len(parts) == 4 and method == "POST":
            with self._lock:
                self.command_results[parts[3]] = body
            return 200, envelope(None), {}
        if self.require_routing_headers and not _has_routing_headers(headers):
            return 400, envelope(None, 2001, "Missing OCPI-from/OCPI-to headers (§2.1.3)"), {}
        if self.fault == "reject2001":
            return 200, envelope(None, 2001, "Simulated rejection: invalid data"), {}
        if parts[:2] == ["2.2.1", "tokens"]:
            if method == "GET" and len(parts) == 2:
                return self._tokens_page(query)
            if method == "POST" and len(parts) == 4 and parts[3] == "authorize":
                return self._authorize(parts[2], query, body)
        if len(parts) >= 2 and parts[1] in RECEIVERS:
            return self._store(method, parts[1], parts[2:], body)
        return 404, envelope(None, 2000, "Unknown path"), {}

    def _register(self, body) -> tuple[int, dict, dict]:
        """credentials POST with token A (Register ToIOP): read their API with their token."""
        try:
            details = self._read_details(body["url"], body["token"])
            endpoints = details["endpoints"]
        except (requests.RequestException, ValueError, KeyError, TypeError, StopIteration):
            return 200, envelope(None, 3001, "Unable to use the client's API"), {}
        with self._lock:
            self.registered_credentials = body
            self.client_token = body["token"]
            self.client_versions_url = body["url"]
            self.client_endpoints = endpoints
            self.unregistered = False
        return 200, envelope(self.credentials()), {}

    def _credentials(self, method: str, body) -> tuple[int, dict, dict]:
        if method == "GET":
            return 200, envelope(self.credentials()), {}
        if method == "DELETE":
            self.unregistered = True
            return 200, envelope(None), {}
        if method == "PUT":  # update: fetch their endpoints again, issue a new token C
            try:
                details = self._read_details(body["url"], body["token"])
            except (requests.RequestException, ValueError, KeyError, TypeError, StopIteration):
                return 200, envelope(None, 3001, "Unable to use the client's API"), {}
            with self._lock:
                self.registered_credentials = body
                self.client_token = body["token"]
                self.client_endpoints = details["endpoints"]
                self.token = "hub-token-c-" + secrets.token_hex(8)
            return 200, envelope(self.credentials()), {}
        return 405, envelope(None, 2000, "Already registered: use PUT"), {}

    def credentials(self) -> dict:
        return {"token": self.token, "url": self.versions_url, "roles": [HUB_ROLE]}

    def _store(self, method: str, module: str, ids: list[str], body) -> tuple[int, dict, dict]:
        if module == "cdrs" and method == "POST" and not ids and isinstance(body, dict):
            # OCPI mod_cdrs: POST to the endpoint, answer Location = where to GET it back.
            ids = [str(body.get("country_code")), str(body.get("party_id")), str(body.get("id"))]
            with self._lock:
                self.objects["/".join(["cdrs", *ids])] = body
            return 200, envelope(None), {"Location": f"{self.url}/2.2.1/cdrs/{'/'.join(ids)}"}
        if len(ids) < 3 or (module != "locations" and len(ids) != 3) or len(ids) > 5:
            return 404, envelope(None, 2000, "Unknown path"), {}
        key = "/".join([module, *ids[:3]])
        with self._lock:
            if method == "GET":
                found = _child(self.objects.get(key), ids[3:])
                if found is None:
                    return 404, envelope(None, 2003, "Unknown object"), {}
                return 200, envelope(found), {}
            if method == "DELETE" and module == "tariffs":
                self.objects.pop(key, None)
                return 200, envelope(None), {}
            if method == "PUT" and len(ids) == 3:
                self.objects[key] = body
                return 200, envelope(None), {}
            if method in ("PUT", "PATCH") and isinstance(body, dict):
                target = _child(self.objects.get(key), ids[3:])
                if target is None and method == "PUT":
                    parent = _child(self.objects.get(key), ids[3:-1])
                    if parent is not None:
                        children = "evses" if len(ids) == 4 else "connectors"
                        parent.setdefault(children, []).append(body)
                        return 200, envelope(None), {}
                if target is None:
                    return 404, envelope(None, 2003, "Unknown object"), {}
                if method == "PUT":
                    target.clear()
                target.update(body)
                return 200, envelope(None), {}
        return 405, envelope(None, 2000, f"{method} not allowed here"), {}

    def _tokens_page(self, query: dict) -> tuple[int, dict, dict]:
        offset = int(query.get("offset", ["0"])[0])
        limit = min(int(query.get("limit", ["1000"])[0]), 1000)  # Gireve §2.1.9: tokens 1000
        page = self.tokens[offset : offset + limit]
        headers = {"X-Total-Count": str(len(self.tokens)), "X-Limit": str(limit)}
        if offset + limit < len(self.tokens):
            # An opaque cursor, as a hub may add: the client must follow Link verbatim.
            cursor = f"offset={offset + limit}&limit={limit}&cursor={secrets.token_hex(4)}"
            headers["Link"] = f'<{self.url}/2.2.1/tokens?{cursor}>; rel="next"'
        return 200, envelope(page), headers

    def _authorize(self, uid: str, query: dict, body) -> tuple[int, dict, dict]:
        # Gireve §3.6.2: LocationReferences are mandatory in POST authorize.
        if not isinstance(body, dict) or not body.get("location_id"):
            return 200, envelope(None, 2002, "LocationReferences required (§3.6.2)"), {}
        token = next((t for t in self.tokens if t.get("uid") == uid), None)
        allowed = self.authorizations.get(uid) or ("ALLOWED" if token else None)
        if allowed is None:
            return 404, envelope(None, 2004, "Unknown token"), {}
        token = token or {"uid": uid, "type": query.get("type", ["RFID"])[0]}
        info = {"allowed": allowed, "token": token, "authorization_reference": secrets.token_hex(8)}
        return 200, envelope(info), {}


def _child(obj, ids: list[str]):
    """The EVSE (ids = [uid]) or connector ([uid, id]) inside a stored location."""
    for depth, wanted in enumerate(ids):
        if not isinstance(obj, dict):
            return None
        children, key = ("evses", "uid") if depth == 0 else ("connectors", "id")
        obj = next((c for c in obj.get(children) or [] if c.get(key) == wanted), None)
    return obj


def _endpoint(details: dict, identifier: str) -> str:
    return next(e["url"] for e in details["endpoints"] if e["identifier"] == identifier)


def _has_routing_headers(headers: dict) -> bool:
    lowered = {name.lower() for name, value in headers.items() if value}
    return all(
        f"ocpi-{way}-{part}" in lowered
        for way in ("from", "to")
        for part in ("country-code", "party-id")
    )


def envelope(data=None, status_code: int = 1000, message: str = "Success") -> dict:
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "data": data,
        "status_code": status_code,
        "status_message": message,
        "timestamp": timestamp,
    }


def _b64(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


def _encodings(token: str) -> set[str]:
    return {token, _b64(token)}


def _handler(hub: HubSimulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real hub: pooled connections are used

        def setup(self):
            super().setup()
            with hub._lock:
                hub._connections.add(self.connection)

        def finish(self):
            with hub._lock:
                hub._connections.discard(self.connection)
            super().finish()

        def _serve(self):
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            status, payload, extra = hub.answer(
                self.command, split.path, parse_qs(split.query), dict(self.headers), body
            )
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name in ("X-Request-ID", "X-Correlation-ID"):
                    if self.headers.get(name):
                        self.send_header(name, self.headers[name])
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (read timeout): nothing to answer

        do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _serve

        def log_message(self, format, *args):
            pass

    return Handler
