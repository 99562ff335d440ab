"""IOP's side of Gireve's qualification (§3.3): what the hub starts once a CPO is connected.

`hub.play_iop(location_id, evse_uid, party="FR*AB1")` runs, in a background thread:
1. Pull EVCI - FromIOP: GET the client's locations SENDER with a small `limit`, following
   `Link` page by page to the end (transport_and_format §Pagination), then GET the location
   and the EVSE;
2. Remote start - FromIOP: POST its commands/START_SESSION for that EVSE with an APP_USER
   token, a fresh authorization_reference and a response_url on the hub;
3. Remote stop - FromIOP: once a session PUT with that authorization_reference arrives (or
   after `hub.iop_session_wait` seconds, for the last session seen at that EVSE), POST
   STOP_SESSION for it.
Each step is appended to `hub.iop_play` as {"step", "method", "url", "status", "ocpi_status",
"answer", "at"}; the CommandResults arriving at the response_urls too ("start_session_result",
"stop_session_result"). The last step is "done" (after the STOP's result, or the wait).
Faults "pull_evci" and "commands" skip steps 1 and 2-3.
Besides those keys: GETs add `next_url` (the Link followed), `link` and `total`
(X-Total-Count); commands add `request` (the body sent) and `command_id`. A new play clears
`hub.iop_play`.

Every call goes as IOP sends it: the client's token C (base64, OCPI 2.2.1), X-Request-ID,
X-Correlation-ID, OCPI-from FR*107 and OCPI-to the CPO party.

`hub_simulator --play-iop` starts it when the hub answers a real-time authorize for
`tokens.QUALIFICATION_TOKEN` (`on_authorized`), at the EVSE its LocationReferences name.
"""

import secrets
import threading
import time
from datetime import UTC, datetime

import requests

from roaming.ocpi_time import format_datetime

from . import commands
from .server import envelope

Answer = tuple[int, dict, dict]
FROM_IOP = ("FR", "107")  # OCPI-from: IOP itself (Gireve §2.1.6, preproduction)
PAGE_LIMIT = 2  # small, so that a few locations already take several pages


def start(hub, location_id: str, evse_uid: str, *, party: str = "FR*AB1") -> threading.Thread:
    to = _party(party)
    with hub.lock:
        hub.iop_play = []  # one play at a time: what a self-test reads is this run's
    thread = threading.Thread(
        target=_play, args=(hub, location_id, evse_uid, to), name="iop-play", daemon=True
    )
    hub.iop_thread = thread
    thread.start()
    return thread


def _party(party: str) -> tuple[str, str]:
    parts = str(party).split("*")
    if len(parts) != 2 or not all(parts):
        raise ValueError(f'Name the CPO party as "FR*AB1", not {party!r}')
    return parts[0].upper(), parts[1].upper()


def _play(hub, location_id: str, evse_uid: str, to: tuple[str, str]) -> None:
    try:
        if "pull_evci" not in hub.broken:
            pull(hub, location_id, evse_uid, to)
        if "commands" not in hub.broken:
            start_and_stop(hub, location_id, evse_uid, to)
    except Exception as exc:  # a thread: the failure is evidence, not a traceback on stderr
        record(hub, "error", answer={"error": f"{type(exc).__name__}: {exc}"})
    record(hub, "done")


def record(hub, step: str, *, method=None, url=None, status=None, answer=None, **extra) -> dict:
    ocpi_status = answer.get("status_code") if isinstance(answer, dict) else None
    entry = {
        "step": step,
        "method": method,
        "url": url,
        "status": status,
        "ocpi_status": ocpi_status,
        "answer": answer,
        "at": format_datetime(datetime.now(UTC)),
        **extra,
    }
    with hub.lock:
        hub.iop_play.append(entry)
    return entry


def _get(hub, step: str, url: str, to) -> dict:
    try:
        response = hub.call("GET", url, to=to)  # OCPI-from FR*107 (HUB_ROLE)
    except requests.RequestException as exc:
        return record(hub, step, method="GET", url=url, answer={"error": str(exc)})
    return record(
        hub,
        step,
        method="GET",
        url=url,
        status=response.status_code,
        answer=_json(response),
        link=response.headers.get("Link"),
        total=response.headers.get("X-Total-Count"),
        next_url=response.links.get("next", {}).get("url"),
    )


def _json(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return {"raw": response.text[:500]}


def sender_url(hub, identifier: str) -> str | None:
    return next(
        (
            e["url"]
            for e in hub.client_endpoints
            if e.get("identifier") == identifier and e.get("role") == "SENDER"
        ),
        None,
    )


def pull(hub, location_id: str, evse_uid: str, to) -> None:
    """Pull EVCI: every page of the client's locations, then the one location and EVSE."""
    base = sender_url(hub, "locations")
    if base is None:
        record(hub, "pull_evci", answer={"error": "No locations SENDER: register first"})
        return
    url, seen = f"{base.rstrip('/')}?offset=0&limit={hub.iop_page_limit}", set()
    while url and url not in seen:  # a Link back to a page already read would loop forever
        seen.add(url)
        url = _get(hub, "pull_evci", url, to)["next_url"]
    location_url = f"{base.rstrip('/')}/{location_id}"
    _get(hub, "pull_evci_location", location_url, to)
    _get(hub, "pull_evci_evse", f"{location_url}/{evse_uid}", to)


def start_and_stop(hub, location_id: str, evse_uid: str, to) -> None:
    reference = "IOP-QUAL-" + secrets.token_hex(6)
    body = {
        "token": commands.APP_TOKEN,
        "location_id": location_id,
        "evse_uid": evse_uid,
        "authorization_reference": reference,
    }
    sent = _send(hub, "START_SESSION", body, to)
    if sent is None:
        return
    session_id = _await_session(hub, reference, location_id, evse_uid)
    if session_id is None:
        record(hub, "stop_session", answer={"error": f"No session seen at {evse_uid}"})
        return
    stopped = _send(hub, "STOP_SESSION", {"session_id": session_id}, to)
    if stopped is not None:
        _await_result(hub, stopped.command_id)


def _await_result(hub, command_id: str) -> None:
    """Wait (up to `hub.iop_session_wait`) for the STOP's CommandResult, so that "done"
    comes after everything play_iop was owed."""
    deadline = time.monotonic() + hub.iop_session_wait
    while not hub.results_of(command_id) and time.monotonic() < deadline:
        time.sleep(0.1)


def _send(hub, command: str, body: dict, to):
    step = command.lower()
    try:
        sent = commands.send(hub, command, body, to=to, sender=FROM_IOP)
    except (LookupError, requests.RequestException) as exc:
        record(hub, step, method="POST", request=body, answer={"error": str(exc)})
        return None
    with hub.lock:
        hub.iop_commands[sent.command_id] = f"{step}_result"
    url = f"{commands.commands_url(hub).rstrip('/')}/{command}"
    record(
        hub,
        step,
        method="POST",
        url=url,
        status=sent.http_status,
        answer=sent.answer,
        request=sent.body,
        command_id=sent.command_id,
    )
    return sent


def _await_session(hub, reference: str, location_id: str, evse_uid: str) -> str | None:
    """The session the start began (its authorization_reference), else after the wait the
    last one seen at that EVSE."""
    deadline = time.monotonic() + hub.iop_session_wait
    while True:
        with hub.lock:
            sessions = [s for key, s in hub.objects.items() if key.startswith("sessions/") and s]
        for session in sessions:
            if session.get("authorization_reference") == reference:
                return session.get("id")
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    at_evse = [
        s for s in sessions if s.get("location_id") == location_id and s.get("evse_uid") == evse_uid
    ]
    return at_evse[-1].get("id") if at_evse else None


def result_received(hub, command_id: str, body: dict) -> None:
    """A CommandResult arrived at a response_url: recorded if play_iop sent the command."""
    with hub.lock:
        step = hub.iop_commands.get(command_id)
    if step is not None:
        url = commands.response_url(hub, command_id)
        record(hub, step, method="POST", url=url, answer=body, command_id=command_id)


def on_authorized(hub, uid: str, body, headers: dict, status: int) -> None:
    """After answering an authorize for the qualification token (--play-iop): play IOP's
    side at the EVSE its LocationReferences name, for the CPO that asked."""
    from .tokens import QUALIFICATION_TOKEN

    if not hub.play_iop_on_authorize or uid != QUALIFICATION_TOKEN["uid"] or status != 200:
        return
    if not isinstance(body, dict) or not body.get("evse_uids"):
        return
    sender = {k.lower(): v for k, v in headers.items()}
    party = f"{sender.get('ocpi-from-country-code')}*{sender.get('ocpi-from-party-id')}"
    location_id, evse_uid = body["location_id"], body["evse_uids"][0]
    hub.after_answer(lambda: start(hub, location_id, evse_uid, party=party))


def control(hub, method: str, body) -> Answer:
    """POST /simulator/play-iop {"location_id", "evse_uid", "to": "FR*AB1"} (loopback, no
    token); GET /simulator/play-iop lists the steps so far."""
    if method == "GET":
        with hub.lock:
            return 200, envelope(list(hub.iop_play)), {}
    fields = ("location_id", "evse_uid", "to")
    if (
        method != "POST"
        or not isinstance(body, dict)
        or not all(isinstance(body.get(f), str) and body[f] for f in fields)
    ):
        message = 'POST {"location_id": "...", "evse_uid": "...", "to": "FR*AB1"}'
        return 400, envelope(None, 2001, message), {}
    if not hub.client_endpoints:
        return 409, envelope(None, 2000, "Not registered with a platform yet"), {}
    try:
        start(hub, body["location_id"], body["evse_uid"], party=body["to"])
    except ValueError as exc:
        return 400, envelope(None, 2001, str(exc)), {}
    return 200, envelope({"started": True}), {}
