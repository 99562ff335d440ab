"""Command results receiver: the response_url the hub puts in commands it sends a CPO
(OCPI 2.2.1 mod_commands: the CPO POSTs a CommandResult there once the charger answered).

Every result is kept in arrival order in `hub.command_results_received[command_id]`; the last
one per command in `hub.command_results[command_id]`.
"""

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
