"""A CSMS command endpoint on loopback, for tests and the README walkthrough
(`manage.py csms_double`): it checks our signature, answers at once, then plays the charge
point on the bridge API over HTTP, as a CSMS would (sessions.csms.simulator.CsmsSimulator).

Modes (`double.mode`, settable while it runs):
- "accepts": accepted; the charge point accepts (command-result ACCEPTED); after a START the
  EV plugs in (transaction-started), after a STOP the transaction stops and the EV leaves;
- "refuses": {"accepted": false} (charge point offline);
- "silent": accepted, then the charge point never answers (no command-result);
- "late": accepted, the charge point answers ACCEPTED only after `late_seconds`;
- "no_ev": accepted and ACCEPTED, but the EV never plugs in (no transaction).
A command id seen before gets the same answer and nothing is done twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sessions.csms.simulator import ChargePoint, CsmsSimulator

MODES = ("accepts", "refuses", "silent", "late", "no_ev")
METER_START_WH = 1000
ENERGY_WH = 7400


@dataclass
class Received:
    body: dict | None
    headers: dict
    verified: bool
    answer: dict | None


@dataclass
class Transaction:
    transaction_id: str
    charge_point: ChargePoint
    connector_id: str | None
    id_tag: str
    meter_start_wh: int = METER_START_WH
    started_at: float = field(default_factory=time.time)


@dataclass
class CsmsDouble:
    bridge_url: str  # e.g. http://127.0.0.1:8000/api/csms/v1
    api_key: str
    secret: str
    mode: str = "accepts"
    host: str = "127.0.0.1"
    port: int = 0
    think: float = 0.2  # seconds between our answer and the charge point's
    late_seconds: float = 70.0
    max_age: int = 300  # signed timestamps older or newer are refused (replays)
    out: object = print
    received: list[Received] = field(default_factory=list)
    reports: list[tuple[str, dict, int, dict]] = field(default_factory=list)
    transactions: dict[str, Transaction] = field(default_factory=dict)  # by transaction id

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.lock = threading.Lock()
        self.answers: dict[str, dict] = {}  # command id -> our answer
        self.bridge = CsmsSimulator(self.bridge_url, self.api_key, out=lambda line: None)
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle ---------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/commands"

    def start(self) -> CsmsDouble:
        server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        server.daemon_threads = True
        self._server, self.port = server, server.server_address[1]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_idle(self, timeout: float = 30) -> None:
        """Wait until every charge point reaction started so far has been sent."""
        for thread in list(self._threads):
            thread.join(timeout)

    # --- the command endpoint ------------------------------------------------------

    def verified(self, headers: dict, raw: bytes) -> bool:
        timestamp = headers.get("X-Platform-Timestamp", "")
        sent = headers.get("X-Platform-Signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.max_age:
            return False
        mac = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
        return hmac.compare_digest(sent, "sha256=" + mac.hexdigest())

    def receive(self, headers: dict, raw: bytes) -> tuple[int, dict]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not self.verified(headers, raw):
            self.received.append(Received(body, headers, False, None))
            return 401, {"detail": "bad signature or timestamp"}
        if not isinstance(body, dict) or "command_id" not in body:
            self.received.append(Received(body, headers, True, None))
            return 400, {"detail": "not a command"}
        with self.lock:
            seen = self.answers.get(body["command_id"])
            if seen is None:
                seen = self.answers[body["command_id"]] = self._answer(body)
                react = seen["accepted"]
            else:
                react = False
        self.received.append(Received(body, headers, True, seen))
        self.out(f"CSMS double: {body.get('type')} {body.get('evse_uid')} → {seen}")
        if react:
            thread = threading.Thread(target=self._charge_point, args=(body,), daemon=True)
            self._threads.append(thread)
            thread.start()
        return 200, seen

    def _answer(self, body: dict) -> dict:
        if self.mode == "refuses":
            return {"accepted": False, "message": "Charge point offline"}
        return {"accepted": True}

    # --- the charge point --------------------------------------------------------------

    def _charge_point(self, command: dict) -> None:
        mode = self.mode
        time.sleep(self.think)
        if mode == "silent":
            return
        if mode == "late":
            time.sleep(self.late_seconds)
        self.report("command-result", self._result_event(command, "ACCEPTED"))
        if mode in ("late", "no_ev"):
            return
        if command["type"] == "START_SESSION":
            self.plug_in(command)
        elif command["type"] == "STOP_SESSION":
            self.stop_transaction(command)

    def _result_event(self, command: dict, result: str) -> dict:
        event = CsmsSimulator.event(self._charge_point_of(command))
        return {
            "event_id": event["event_id"],
            "timestamp": event["timestamp"],
            "command_id": command["command_id"],
            "result": result,
        }

    @staticmethod
    def _charge_point_of(command: dict) -> ChargePoint:
        return ChargePoint(command["location_id"], command["evse_uid"])

    def report(self, endpoint: str, body: dict) -> dict:
        reply = self.bridge.post(endpoint, body)
        with self.lock:
            self.reports.append((endpoint, body, reply.status, reply.body))
        self.out(f"CSMS double: {endpoint} → {reply.status} {reply.body}")
        return reply.body

    def plug_in(self, command: dict) -> Transaction:
        """The EV plugs in: the transaction starts with the remote-started id tag."""
        transaction = Transaction(
            transaction_id=f"TX-{self.port}-{next(self._ids)}",
            charge_point=self._charge_point_of(command),
            connector_id=command.get("connector_id"),
            id_tag=command["id_tag"],
        )
        with self.lock:
            self.transactions[transaction.transaction_id] = transaction
        self.report("transaction-started", self.started_event(transaction, command))
        return transaction

    def started_event(self, transaction: Transaction, command: dict) -> dict:
        event = CsmsSimulator.event(
            transaction.charge_point,
            connector_id=transaction.connector_id,
            transaction_id=transaction.transaction_id,
            id_tag=transaction.id_tag,
            token_type=command.get("token", {}).get("type", "RFID"),
            meter_start_wh=transaction.meter_start_wh,
        )
        event["timestamp"] = _stamp(transaction.started_at)
        if command.get("remote_start_id"):
            event["remote_start_id"] = command["remote_start_id"]
        return event

    def stop_transaction(self, command: dict) -> None:
        """The charge point stops the transaction (one it started or a badge's) and the
        driver unplugs."""
        transaction_id = command.get("transaction_id") or ""
        with self.lock:
            transaction = self.transactions.pop(transaction_id, None)
        if transaction is None:  # a badge's, started before the double knew it
            transaction = Transaction(
                transaction_id,
                self._charge_point_of(command),
                command.get("connector_id"),
                "",
                started_at=time.time() - 60,
            )
        self.report("transaction-stopped", self.stopped_event(transaction))
        left = {
            "event_id": str(uuid.uuid4()),
            "timestamp": _stamp(max(time.time(), transaction.started_at + 2)),
            "transaction_id": transaction_id,
        }
        self.report("ev-left", left)

    def stopped_event(self, transaction: Transaction) -> dict:
        # Stopped remotely: the EV stays plugged until the driver unplugs it (ev-left).
        return {
            "event_id": str(uuid.uuid4()),
            "timestamp": _stamp(max(time.time(), transaction.started_at + 1)),
            "transaction_id": transaction.transaction_id,
            "meter_stop_wh": transaction.meter_start_wh + ENERGY_WH,
            "reason": "Remote",
            "ev_still_plugged": True,
        }


def _stamp(moment: float) -> str:
    """A charge point time, UTC with milliseconds. A remote stop within the second of its
    start would be a session of no duration: the double's stops come a second later at least
    (seconds ahead of our clock are tolerated, sessions.csms MAX_CLOCK_AHEAD)."""
    at = dt.datetime.fromtimestamp(moment, dt.UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _handler(double: CsmsDouble):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, answer = double.receive(dict(self.headers), raw)
            data = json.dumps(answer).encode()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, format, *args):
            pass

    return Handler
