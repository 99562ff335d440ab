"""A real HTTP server on loopback that plays Gireve's IOP (FR*107) for tests and people.

It serves versions and 2.2.1 details, receiver endpoints for locations, sessions, cdrs and
tariffs that store what they get, a tokens SENDER list (paginated with Link), records every
request, and has fault modes: "down" (socket closed: connection refused), "http500",
"slow" (answers after `delay` seconds) and "reject2001" (OCPI 2001 rejection).
"""

import base64
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

RECEIVERS = ("locations", "sessions", "cdrs", "tariffs")
FAULTS = (None, "down", "http500", "slow", "reject2001")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    json: object
    time: float


class HubSimulator:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, token: str = "hub-token-c"):
        self.host, self.port = host, port
        self.token = token  # the token we must send (their token C)
        self.registration_token = "hub-token-a"  # token A it gives us for Register ToIOP
        self.registered_credentials: dict | None = None
        self.received: list[Recorded] = []
        self.objects: dict[str, dict] = {}
        self.tokens: list[dict] = []
        self.fault: str | None = None
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

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
            {"identifier": "credentials", "role": "RECEIVER", "url": f"{base}/credentials"},
        ]

    def start(self) -> "HubSimulator":
        self._server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def set_fault(self, mode: str | None, *, delay: float = 0.0) -> None:
        if mode not in FAULTS:
            raise ValueError(f"unknown fault mode {mode!r}")
        if mode == "down" and self._server is not None:
            self.stop()
        elif mode != "down" and self._server is None:
            self.start()  # rebinds the same port
        self.fault, self.delay = mode, delay

    def answer(
        self, method: str, path: str, query: dict, headers: dict, body
    ) -> tuple[int, dict, dict]:
        """(HTTP status, OCPI envelope, extra headers) for one request."""
        with self._lock:
            self.received.append(Recorded(method, path, headers, body, time.monotonic()))
        if self.fault == "slow":
            time.sleep(self.delay)
        if self.fault == "http500":
            return 500, envelope(None, 3000, "Simulated server error"), {}
        parts = [p for p in path.split("/") if p][1:]  # drop "ocpi"
        sent = headers.get("Authorization", "").split(" ")[-1]
        registering = parts[-1:] in (["versions"], ["2.2.1"], ["credentials"])
        if sent in _encodings(self.registration_token) and registering:
            if parts == ["2.2.1", "credentials"] and method == "POST":
                return self._register(body)
        elif sent not in _encodings(self.token):
            return 401, envelope(None, 2000, "Unknown token"), {}
        if self.fault == "reject2001":
            return 200, envelope(None, 2001, "Simulated rejection: invalid data"), {}
        if parts == ["versions"]:
            return 200, envelope([{"version": "2.2.1", "url": f"{self.url}/2.2.1"}]), {}
        if parts == ["2.2.1"]:
            return 200, envelope({"version": "2.2.1", "endpoints": self.endpoints()}), {}
        if parts[:2] == ["2.2.1", "tokens"] and method == "GET":
            return self._tokens_page(query)
        if len(parts) >= 5 and parts[1] in RECEIVERS:
            return self._store(method, "/".join(parts[1:]), body)
        return 404, envelope(None, 2000, "Unknown path"), {}

    def _register(self, body) -> tuple[int, dict, dict]:
        """credentials POST with our token A: check their versions with their token B."""
        try:
            reply = requests.get(
                body["url"],
                headers={"Authorization": "Token " + _b64(body["token"])},
                timeout=5,
            )
            ok = reply.ok and reply.json().get("status_code") == 1000
        except (requests.RequestException, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            return 200, envelope(None, 3001, "Unable to use the client's API"), {}
        self.registered_credentials = body
        ours = {
            "token": self.token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": "HUB",
                    "country_code": "FR",
                    "party_id": "107",
                    "business_details": {"name": "GIREVE"},
                }
            ],
        }
        return 200, envelope(ours), {}

    def _store(self, method: str, key: str, body) -> tuple[int, dict, dict]:
        with self._lock:
            if method == "PUT":
                self.objects[key] = body
            elif method == "PATCH":
                self.objects.setdefault(key, {}).update(body or {})
            elif method == "DELETE":
                self.objects.pop(key, None)
            elif method == "GET":
                return 200, envelope(self.objects.get(key)), {}
        return 200, envelope(None), {}

    def _tokens_page(self, query: dict) -> tuple[int, dict, dict]:
        offset = int(query.get("offset", ["0"])[0])
        limit = min(int(query.get("limit", ["1000"])[0]), 1000)  # Gireve §2.1.9: tokens 1000
        page = self.tokens[offset : offset + limit]
        headers = {"X-Total-Count": str(len(self.tokens)), "X-Limit": str(limit)}
        if offset + limit < len(self.tokens):
            headers["Link"] = (
                f'<{self.url}/2.2.1/tokens?offset={offset + limit}&limit={limit}>; rel="next"'
            )
        return 200, envelope(page), headers


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
