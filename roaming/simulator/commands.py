"""Command results receiver: the response_url the hub puts in commands it sends a CPO
(OCPI 2.2.1 mod_commands: the CPO POSTs a CommandResult there once the charger answered).

Every result is kept in arrival order in `hub.command_results_received[command_id]`; the last
one per command in `hub.command_results[command_id]`.

It also plays IOP forwarding an eMSP app's command to a CPO: `send` (tests:
`hub.send_command(...)`), and `control` for people, `POST /simulator/commands/START_SESSION`
on the simulator itself (README "Walkthrough: remote start and stop from an eMSP app").
"""

import secrets
from dataclasses import dataclass

import requests

from .server import envelope

Answer = tuple[int, dict, dict]
RESULT_TYPES = (
    "ACCEPTED",
    "CANCELED_RESERVATION",
    "EVSE_OCCUPIED",
    "EVSE_INOPERATIVE",
    "FAILED",
    "NOT_SUPPORTED",
    "REJECTED",
    "TIMEOUT",
    "UNKNOWN_RESERVATION",
)


def response_url(hub, command_id: str) -> str:
    return f"{hub.url}/2.2.1/commands/results/{command_id}"


def receive(hub, command_id: str, body) -> Answer:
    """POST {response_url}: a CommandResult ({result, message?})."""
    if not isinstance(body, dict) or body.get("result") not in RESULT_TYPES:
        return 200, envelope(None, 2001, f"result must be one of {RESULT_TYPES}"), {}
    with hub.lock:
        hub.command_results[command_id] = body
        hub.command_results_received.setdefault(command_id, []).append(body)
    return 200, envelope(None), {}


# --- the hub sending commands to a CPO (as IOP forwards an eMSP app's request) -------------

# An eMSP app user's token (mod_commands: APP_USER tokens exist only in commands).
APP_TOKEN = {
    "country_code": "DE",
    "party_id": "TNM",
    "uid": "APP-USER-4711",
    "type": "APP_USER",
    "contract_id": "DE-TNM-C12345678-X",
    "issuer": "TheNewMotion",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2026-01-01T00:00:00Z",
}


@dataclass
class SentCommand:
    """A command the hub sent: its id (the last segment of its response_url), the body, and
    the CPO's answer (HTTP status and OCPI envelope)."""

    command_id: str
    command: str
    body: dict
    correlation_id: str
    http_status: int
    answer: dict

    @property
    def response(self) -> dict | None:
        """The CommandResponse, if the CPO gave one."""
        return self.answer.get("data") if isinstance(self.answer, dict) else None


def commands_url(hub) -> str | None:
    """The client's commands RECEIVER, as read at registration."""
    return next(
        (
            e["url"]
            for e in hub.client_endpoints
            if e.get("identifier") == "commands" and e.get("role") == "RECEIVER"
        ),
        None,
    )


def send(
    hub,
    command: str,
    body: dict,
    *,
    to: tuple[str, str],
    sender: tuple[str, str] | None = None,
    url: str | None = None,
    command_id: str | None = None,
) -> SentCommand:
    """POST {commands RECEIVER}/{command} to the client with a fresh response_url (unless the
    body has one); `sender` is the eMSP named in OCPI-from (default: the token's owner)."""
    base = url or commands_url(hub)
    if base is None:
        raise LookupError("No commands RECEIVER known: register the client first (or pass url)")
    command_id = command_id or secrets.token_hex(8)
    body = {"response_url": response_url(hub, command_id), **body}
    token = body.get("token") or {}
    sender = sender or (token.get("country_code", "FR"), token.get("party_id", "107"))
    headers = hub.call_headers(hub.client_token or "") | {
        "OCPI-from-country-code": sender[0],
        "OCPI-from-party-id": sender[1],
        "OCPI-to-country-code": to[0],
        "OCPI-to-party-id": to[1],
    }
    response = requests.post(
        f"{base.rstrip('/')}/{command}",
        json=body,
        headers=headers,
        timeout=10,
        cert=hub.client_cert,
    )
    try:
        answer = response.json()
    except ValueError:
        answer = {"raw": response.text[:500]}
    sent = SentCommand(
        command_id=body["response_url"].rsplit("/", 1)[-1],
        command=command,
        body=body,
        correlation_id=headers["X-Correlation-ID"],
        http_status=response.status_code,
        answer=answer,
    )
    with hub.lock:
        hub.commands_sent.append(sent)
    return sent


def control(hub, method: str, parts: list[str], body) -> Answer:
    """For people (README walkthrough), on loopback without a token:
    POST /simulator/commands/{COMMAND} {"to": "FR*AB1", ...StartSession/StopSession fields}
    sends it (START_SESSION gets APP_TOKEN unless a token is given) and answers what the CPO
    said with the command id; GET /simulator/commands/results lists the results received."""
    if method == "GET" and parts == ["results"]:
        with hub.lock:
            return 200, envelope(dict(hub.command_results_received)), {}
    if method != "POST" or len(parts) != 1 or not isinstance(body, dict):
        return (
            404,
            envelope(None, 2000, "POST /simulator/commands/{COMMAND} or GET .../results"),
            {},
        )
    body = dict(body)
    to = str(body.pop("to", "")).split("*")
    if len(to) != 2:
        return 400, envelope(None, 2001, 'Name our operator: "to": "FR*AB1"'), {}
    if parts[0] == "START_SESSION":
        body.setdefault("token", APP_TOKEN)
    try:
        sent = send(hub, parts[0], body, to=(to[0], to[1]))
    except (LookupError, requests.RequestException) as exc:
        return 502, envelope(None, 3000, str(exc)), {}
    answer = {"command_id": sent.command_id, "http_status": sent.http_status, "answer": sent.answer}
    return 200, envelope(answer), {}
