"""A minimal fast OCPI receiver for benchmarks: answers every PUT/PATCH/POST with status 1000.

Run in its own process (python bench/receiver.py PORT) so it does not compete with the
measured code for the GIL. It keeps (arrival time, method, path, last_updated) of each
request; GET /__stats returns them as JSON, DELETE /__stats forgets them. An outage is
played by stopping this process (connection refused) and starting it again.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = json.dumps(
    {
        "data": None,
        "status_code": 1000,
        "status_message": "Success",
        "timestamp": "2026-01-01T00:00:00Z",
    }
).encode()

records: list[tuple[float, str, str, str]] = []
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: with Nagle on, each answer waits for the client's
    # delayed ACK (~40 ms on Linux loopback).
    disable_nagle_algorithm = True

    def _answer(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _receive(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else {}
        stamp = body.get("last_updated", "") if isinstance(body, dict) else ""
        with lock:
            records.append((time.time(), self.command, self.path, stamp))
        self._answer(200, ANSWER)

    do_PUT = do_PATCH = do_POST = _receive

    def do_GET(self):
        if self.path == "/__stats":
            with lock:
                data = json.dumps(records).encode()
            self._answer(200, data)
        else:
            self._answer(404, b"{}")

    def do_DELETE(self):
        with lock:
            records.clear()
        self._answer(200, b"{}")

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
