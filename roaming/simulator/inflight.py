"""Requests in flight per pushed object, for delivery tests: the unit is one outbox stream's
object (module/cc/pid/id). A request arriving while another one for the same object is still
awaited by its client is recorded in `hub.overlaps` (two deliverers of one stream at once). A
request whose client hung up (read timeout, killed worker) no longer counts as awaited.
"""

import select
import socket
import ssl
import time


def object_key(path: str, receivers) -> str | None:
    """ "locations/FR/AB1/LOC1" for a receiver call on that object or below it."""
    parts = [p for p in path.split("/") if p][2:]  # drop "ocpi", "2.2.1"
    if len(parts) >= 4 and parts[0] in receivers:
        return "/".join(parts[:4])
    return None


def enter(hub, path: str, connection=None) -> tuple[str, int] | None:
    hub._local.connection, hub._local.ticket = connection, None
    key = hub.object_key(path)
    if key is None:
        return None
    with hub.lock:
        if hub.in_flight.get(key):
            hub.overlaps.append((key, path, time.monotonic()))
        ticket = (key, next(hub._tickets))
        hub.in_flight.setdefault(key, set()).add(ticket[1])
    hub._local.ticket = ticket
    return ticket


def leave(hub, ticket: tuple[str, int] | None) -> None:
    if ticket is None:
        return
    with hub.lock:
        tickets = hub.in_flight.get(ticket[0])
        if tickets is not None:
            tickets.discard(ticket[1])
            if not tickets:
                del hub.in_flight[ticket[0]]


def sleep(hub, delay: float) -> None:
    """Sleep `delay` (fault "slow"), noticing when the client hangs up meanwhile."""
    connection = getattr(hub._local, "connection", None)
    if isinstance(connection, ssl.SSLSocket):
        connection = None  # no MSG_PEEK on TLS sockets: just sleep
    deadline = time.monotonic() + delay
    while (left := deadline - time.monotonic()) > 0:
        if connection is None:
            time.sleep(left)
            break
        readable, _, _ = select.select([connection], [], [], min(left, 0.05))
        try:
            hung_up = bool(readable) and not connection.recv(1, socket.MSG_PEEK)
        except OSError:
            hung_up = True
        if hung_up:
            # Still answers (and stores) after the delay, as a slow hub would.
            leave(hub, getattr(hub._local, "ticket", None))
            connection = None
