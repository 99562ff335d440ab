"""The simulated IOP itself (FR*107, role HUB): identity, lifecycle, faults, registration, routing.

It serves versions and 2.2.1 details and credentials (both registration ways: we register with
it using its token A, or it registers with us given our versions URL and our token A), routes
receiver calls to their modules (store, sessions, cdrs, commands, tokens) and records every
request.
Fault modes: "down" (listening socket closed: connection refused), "http500", "slow" (answers
after `delay` seconds) and "reject2001" (OCPI 2001 rejection); besides them, one broken
qualification use case or more (`break_use_case`, faults.py). It also plays what IOP starts
in qualification (`play_iop`, iop_play.py).

For delivery tests it also tracks requests in flight per pushed object (`in_flight`,
`overlaps`: inflight.py).

`token` is what we must send it (its token C, or its token B when it registered with us);
`client_token` is what it sends us.
"""

import contextlib
import copy
import itertools
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass

import requests

from . import cdrs, commands, credentials, faults, inflight, iop_play, sessions, store, tokens
from .server import (
    Server,
    b64,
    encodings,
    envelope,
    has_routing_headers,
    make_handler,
)
from .tokens import Authorization

RECEIVERS = ("locations", "sessions", "cdrs", "tariffs")
FAULTS = (None, "down", "http500", "slow", "reject2001")
HUB_ROLE = {
    "role": "HUB",
    "country_code": "FR",
    "party_id": "107",  # Gireve §2.1.6: FR*107 in preproduction
    "business_details": {"name": "GIREVE"},
}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    json: object
    time: float


class HubSimulator:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = "hub-token-c",
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.host, self.port = host, port
        self.ssl_context = ssl_context  # serve HTTPS (and require client certificates if set so)
        # (cert, key) it presents when calling the client, as IOP does (Gireve §2.1.2).
        self.client_cert: tuple[str, str] | None = None
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
        self.authorizations: dict[str, Authorization | str] = {}  # uid -> answer (tokens.py)
        self.authorize_requests: list[dict] = []
        self.command_results: dict[str, dict] = {}  # command id -> last CommandResult
        self.command_results_received: dict[str, list[dict]] = {}
        self.commands_sent: list[commands.SentCommand] = []  # commands it sent a CPO
        self.session_history: dict[str, list[dict]] = {}  # "sessions/cc/pid/id" -> versions
        self.cdr_posts: dict[str, int] = {}  # "cdrs/cc/pid/id" -> POSTs received
        self.fault: str | None = None
        self.fault_module: str | None = None
        self.delay = 0.0
        self.broken: set[str] = set()  # use cases broken (faults.USE_CASE_FAULTS)
        self.iop_play: list[dict] = []  # steps of the last play_iop (iop_play.py)
        self.iop_commands: dict[str, str] = {}  # command id it sent -> its result's step
        self.iop_page_limit = iop_play.PAGE_LIMIT
        self.iop_session_wait = 20.0  # seconds play_iop waits for the started session
        self.iop_thread: threading.Thread | None = None
        self.play_iop_on_authorize = False  # --play-iop
        self.lock = threading.Lock()
        self._server: Server | None = None
        self.connections: set[socket.socket] = set()
        self.in_flight: dict[str, set[int]] = {}  # object key -> tickets still awaited
        self.overlaps: list[tuple[str, str, float]] = []  # (object key, path, time)
        self._tickets = itertools.count(1)
        self._local = threading.local()  # the handler thread's connection and ticket

    # --- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{self.host}:{self.port}/ocpi"

    @property
    def versions_url(self) -> str:
        return f"{self.url}/versions"

    def endpoints(self) -> list[dict]:
        base = f"{self.url}/2.2.1"
        endpoints = [{"identifier": m, "role": "RECEIVER", "url": f"{base}/{m}"} for m in RECEIVERS]
        endpoints += [
            {"identifier": "tokens", "role": "SENDER", "url": f"{base}/tokens"},
            {"identifier": "commands", "role": "SENDER", "url": f"{base}/commands"},
            {"identifier": "credentials", "role": "SENDER", "url": f"{base}/credentials"},
            {"identifier": "credentials", "role": "RECEIVER", "url": f"{base}/credentials"},
        ]
        return faults.drift(self, endpoints)

    def start(self) -> "HubSimulator":
        server = Server((self.host, self.port), make_handler(self))
        if self.ssl_context is not None:
            # Handshake in the handler thread, so one stalled client cannot block accept().
            server.socket = self.ssl_context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
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
        with self.lock:
            connections, self.connections = self.connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def set_fault(self, mode: str | None, *, delay: float = 0.0, module: str | None = None) -> None:
        """`module`: "reject2001" only for that OCPI module (e.g. "cdrs": the hub's reference
        data lacks something our CDRs name), every other call answered as usual."""
        if mode not in FAULTS:
            raise ValueError(f"unknown fault mode {mode!r}")
        if mode == "down" and self._server is not None:
            self.stop()
        elif mode != "down" and self._server is None:
            self.start()  # rebinds the same port
        self.fault, self.delay, self.fault_module = mode, delay, module

    def break_use_case(self, name: str) -> None:
        """Break one qualification use case (faults.USE_CASE_FAULTS): the self-test must
        report it red. `broken.clear()` repairs them all."""
        faults.break_use_case(self, name)

    # --- requests in flight per pushed object (inflight.py) --------------------------

    @staticmethod
    def object_key(path: str) -> str | None:
        """ "locations/FR/AB1/LOC1" for a receiver call on that object or below it."""
        return inflight.object_key(path, RECEIVERS)

    def enter(self, path: str, connection=None) -> tuple[str, int] | None:
        """Called by the handler when a request arrives; returns its ticket for `leave`."""
        return inflight.enter(self, path, connection)

    def leave(self, ticket: tuple[str, int] | None) -> None:
        """The answer was written, or the client hung up (idempotent)."""
        inflight.leave(self, ticket)

    # --- what tests read -------------------------------------------------------

    def requests_to(self, module: str, method: str | None = None) -> list[Recorded]:
        prefix = f"/ocpi/2.2.1/{module}"
        with self.lock:
            return [
                r
                for r in self.received
                if r.path.startswith(prefix) and (method is None or r.method == method)
            ]

    def command_response_url(self, command_id: str) -> str:
        """The response_url to put in a command sent to a CPO: results land in command_results."""
        return commands.response_url(self, command_id)

    def results_of(self, command_id: str) -> list[dict]:
        """Every CommandResult received for a command, in arrival order."""
        with self.lock:
            return list(self.command_results_received.get(command_id, []))

    def session(self, country_code: str, party_id: str, session_id: str) -> dict | None:
        """The hub's final copy of a session we pushed (None: never PUT)."""
        with self.lock:
            key = f"sessions/{country_code}/{party_id}/{session_id}"
            return copy.deepcopy(self.objects.get(key))

    def cdr(self, country_code: str, party_id: str, cdr_id: str) -> dict | None:
        """The CDR we POSTed, as the hub keeps it (None: never received)."""
        with self.lock:
            return copy.deepcopy(self.objects.get(f"cdrs/{country_code}/{party_id}/{cdr_id}"))

    # --- what tests set ----------------------------------------------------------

    def authorize_as(self, uid: str, allowed: str = "ALLOWED", **options) -> None:
        """How real-time authorize answers for `uid` (tokens.Authorization: an AllowedType or
        tokens.UNKNOWN, unknown_http=404|200, delay=seconds, info=DisplayText)."""
        self.authorizations[uid] = Authorization(allowed=allowed, **options)

    def forget(self, path: str) -> bool:
        """Lose "locations/cc/pid/id[/evse_uid[/connector_id]]" (or any stored object), as a
        hub whose copy was purged: PATCHes below it are then answered 404 / 2003."""
        return store.forget(self, path)

    # --- the hub calling us --------------------------------------------------

    def register_with(self, versions_url: str, token_a: str) -> dict:
        """Register FromIOP: read their versions with token A, POST our credentials with a
        fresh token B (the one they must send us), keep their token C. Returns their answer."""
        details = self.read_details(versions_url, token_a)
        credentials_url = _endpoint(details, "credentials")
        token_b = "hub-token-b-" + secrets.token_hex(8)
        body = {"token": token_b, "url": self.versions_url, "roles": [HUB_ROLE]}
        # They read our versions with token B while handling the POST: it must work already.
        previous, self.token, self.unregistered = self.token, token_b, False
        answer = requests.post(
            credentials_url,
            json=body,
            headers=self.call_headers(token_a),
            timeout=10,
            cert=self.client_cert,
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
        return requests.request(
            method, url, json=json_body, headers=headers, timeout=10, cert=self.client_cert
        )

    @staticmethod
    def call_headers(token: str) -> dict:
        request_id = secrets.token_hex(16)
        return {
            "Authorization": "Token " + b64(token),
            "X-Request-ID": request_id,
            "X-Correlation-ID": request_id,
        }

    def read_details(self, versions_url: str, token: str) -> dict:
        call = dict(headers=self.call_headers(token), timeout=10, cert=self.client_cert)
        versions = requests.get(versions_url, **call).json()
        chosen = next(v for v in versions["data"] if v["version"] == "2.2.1")
        return requests.get(chosen["url"], **call).json()["data"]

    def send_command(self, command: str, body: dict, *, to, **options) -> "commands.SentCommand":
        """Forward an eMSP's command to the client: POST {its commands RECEIVER}/{command}
        with a fresh response_url (commands.send: `sender`, `url`, `command_id`)."""
        return commands.send(self, command, body, to=to, **options)

    def play_iop(self, location_id: str, evse_uid: str, *, party: str = "FR*AB1"):
        """Start, in a thread (returned), what IOP starts in qualification: pull the client's
        locations, START_SESSION then STOP_SESSION at that EVSE; steps in `iop_play`."""
        return iop_play.start(self, location_id, evse_uid, party=party)

    def after_answer(self, action) -> None:
        """Run `action` once the answer being written has been sent (`answered`)."""
        self._local.after = action

    def answered(self) -> None:
        action, self._local.after = getattr(self._local, "after", None), None
        if action is not None:
            action()

    # --- the hub answering -----------------------------------------------------

    def answer(
        self, method: str, path: str, query: dict, headers: dict, body
    ) -> tuple[int, dict, dict]:
        """(HTTP status, OCPI envelope, extra headers) for one request."""
        with self.lock:
            # A copy: the stored object is merged into by later PATCHes, the record must not be.
            recorded = Recorded(method, path, query, headers, copy.deepcopy(body), time.monotonic())
            self.received.append(recorded)
        if path.startswith("/simulator/commands"):  # for people, on loopback: no token
            return commands.control(self, method, [p for p in path.split("/") if p][2:], body)
        if path.rstrip("/") == "/simulator/play-iop":
            return iop_play.control(self, method, body)
        if self.fault == "slow":
            inflight.sleep(self, self.delay)
        if self.fault == "http500":
            return 500, envelope(None, 3000, "Simulated server error"), {}
        parts = [p for p in path.split("/") if p][1:]  # drop "ocpi"
        sent = headers.get("Authorization", "").split(" ")[-1]
        platform_level = parts[-1:] in (["versions"], ["2.2.1"], ["credentials"])
        if sent in encodings(self.registration_token) and platform_level:
            if parts == ["2.2.1", "credentials"] and method == "POST":
                return credentials.register(self, body)
            if parts[-1] == "credentials":
                return 405, envelope(None, 2000, "Token A: POST only"), {}
        elif self.unregistered or sent not in encodings(self.token):
            return 401, envelope(None, 2000, "Unknown token"), {}
        if parts == ["versions"]:
            offered = [{"version": v, "url": f"{self.url}/{v}"} for v in self.versions]
            return 200, envelope(offered), {}
        if parts == ["2.2.1"]:
            return 200, envelope({"version": "2.2.1", "endpoints": self.endpoints()}), {}
        if parts == ["2.2.1", "credentials"]:
            return credentials.handle(self, method, body)
        if parts[:3] == ["2.2.1", "commands", "results"] and len(parts) == 4 and method == "POST":
            received = commands.receive(self, parts[3], body)
            if received[1]["status_code"] == 1000:
                iop_play.result_received(self, parts[3], body)
            return received
        if self.require_routing_headers and not has_routing_headers(headers):
            return 400, envelope(None, 2001, "Missing OCPI-from/OCPI-to headers (§2.1.3)"), {}
        if self.fault == "reject2001" and self.fault_module in (None, *parts[1:2]):
            return 200, envelope(None, 2001, "Simulated rejection: invalid data"), {}
        if (broken := faults.answer(self, method, parts, body)) is not None:
            return broken
        if parts[:2] == ["2.2.1", "tokens"]:
            if method == "GET" and len(parts) == 2:
                return tokens.tokens_page(self, query)
            if method == "POST" and len(parts) == 4 and parts[3] == "authorize":
                answer = tokens.authorize(self, parts[2], query, body)
                iop_play.on_authorized(self, parts[2], body, headers, answer[0])
                return answer
        if len(parts) >= 2 and parts[1] == "sessions":
            return sessions.handle(self, method, parts[2:], body)
        if len(parts) >= 2 and parts[1] == "cdrs":
            return cdrs.handle(self, method, parts[2:], body)
        if len(parts) >= 2 and parts[1] in RECEIVERS:
            return store.handle(self, method, parts[1], parts[2:], body)
        return 404, envelope(None, 2000, "Unknown path"), {}

    def credentials(self) -> dict:
        return {"token": self.token, "url": self.versions_url, "roles": [HUB_ROLE]}


def _endpoint(details: dict, identifier: str) -> str:
    return next(e["url"] for e in details["endpoints"] if e["identifier"] == identifier)
