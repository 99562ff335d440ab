"""HTTP plumbing of the hub simulator: threaded server, request handler, OCPI envelope."""

import base64
import contextlib
import json
import ssl
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from roaming.ocpi_time import format_datetime


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent pushes must not be reset by the backlog


def has_routing_headers(headers: dict) -> bool:
    lowered = {name.lower() for name, value in headers.items() if value}
    return all(
        f"ocpi-{way}-{part}" in lowered
        for way in ("from", "to")
        for part in ("country-code", "party-id")
    )


def envelope(data=None, status_code: int = 1000, message: str = "Success") -> dict:
    timestamp = format_datetime(datetime.now(UTC))
    return {
        "data": data,
        "status_code": status_code,
        "status_message": message,
        "timestamp": timestamp,
    }


def b64(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


def encodings(token: str) -> set[str]:
    return {token, b64(token)}


def make_handler(hub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real hub: pooled connections are used
        # Headers and body go in two writes: with Nagle on, every answer on a kept-alive
        # connection waited for the client's delayed ACK (~40 ms on Linux loopback).
        disable_nagle_algorithm = True

        def setup(self):
            super().setup()
            with hub.lock:
                hub.connections.add(self.connection)

        def finish(self):
            with hub.lock:
                hub.connections.discard(self.connection)
            super().finish()

        def _serve(self):
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            ticket = hub.enter(split.path, self.connection)
            try:
                status, payload, extra = hub.answer(
                    self.command, split.path, parse_qs(split.query), dict(self.headers), body
                )
            except BaseException:
                hub.leave(ticket)
                raise
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
            finally:
                hub.leave(ticket)
            hub.answered()  # what the hub does once its answer is out (e.g. play_iop)

        def handle(self):
            # TLS refused (e.g. no client certificate): the client sees the failure itself.
            with contextlib.suppress(ssl.SSLError, ConnectionResetError):
                super().handle()

        do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _serve

        def log_message(self, format, *args):
            pass

    return Handler
