"""The platform's call to a CSMS command endpoint (roaming-workflow §7 P2/P3), signed.

    POST {Csms.command_url}
    Content-Type: application/json
    X-Platform-Timestamp: 1767225600                  (Unix seconds, when it was signed)
    X-Platform-Signature: sha256=<hex HMAC-SHA256(Csms.command_secret, "{timestamp}.{body}")>
    X-Command-ID: <command_id>

The CSMS checks the signature over the exact bytes and refuses a timestamp older or newer
than COMMAND_SIGNATURE_MAX_AGE_SECONDS (a replayed request), then answers at once, before the
charge point does: HTTP 200 `{"accepted": true|false, "message": "…"}`. The charge point's
own answer comes later on the bridge API (`POST /api/csms/v1/command-result`). Anything else
(network error, timeout, non-2xx, another body) is a failed attempt: `results.call_csms`
retries it while the command's result is not due yet, with the same command_id (the CSMS
must treat a repeated command_id as the same command).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
import uuid

import requests

from roaming import message_log
from roaming.ocpi_time import format_datetime
from sessions.enums import CommandType

from .models import Command

SIGNATURE_HEADER = "X-Platform-Signature"
TIMESTAMP_HEADER = "X-Platform-Timestamp"


@dataclasses.dataclass
class Answer:
    http_status: int | None = None
    body: dict | None = None
    error: str = ""

    @property
    def accepted(self) -> bool:
        return bool(self.body and self.body.get("accepted") is True)

    @property
    def message(self) -> str:
        return str((self.body or {}).get("message") or "")[:1000]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of "{timestamp}.{body}", hex, as the header carries it."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def command_body(command: Command, *, charge_point_id: str, ocpp_connector_id) -> dict:
    """What the CSMS needs: our command id, the EVSE in OCPI and (if mapped) OCPP ids, and
    the token (start) or transaction (stop)."""
    body = {
        "command_id": str(command.command_id),
        "type": command.type,
        "expires_at": format_datetime(command.result_due_at),
        "location_id": command.location.ocpi_id,
        "evse_uid": command.evse.uid,
        "connector_id": command.connector.ocpi_id if command.connector else None,
        "charge_point_id": charge_point_id or None,
        "ocpp_connector_id": ocpp_connector_id,
    }
    if command.type == CommandType.START_SESSION:
        body |= {
            "id_tag": command.id_tag,
            "token": command.token,
            "authorization_reference": command.authorization_reference or None,
            # The CSMS names it in transaction-started: the session is then the command's.
            "remote_start_id": command.remote_start_id,
        }
    else:
        body |= {
            "session_id": command.session.ocpi_id,
            "transaction_id": command.session.transaction_id or None,
        }
    return body


def send(command: Command, *, charge_point_id: str, ocpp_connector_id, timeout: float) -> Answer:
    """One signed POST to the command's CSMS, logged (module "csms"); never raises."""
    csms = command.csms
    raw = json.dumps(
        command_body(command, charge_point_id=charge_point_id, ocpp_connector_id=ocpp_connector_id),
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(csms.command_secret, timestamp, raw),
        "X-Command-ID": str(command.command_id),
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": command.correlation_id,
    }
    started = time.monotonic()
    answer, response = Answer(), None
    try:
        response = requests.post(csms.command_url, data=raw, headers=headers, timeout=timeout)
        answer.http_status = response.status_code
        answer.body = response.json() if response.content else None
        if not (200 <= response.status_code < 300):
            answer.error = f"HTTP {response.status_code}"
        elif not isinstance(answer.body, dict) or not isinstance(answer.body.get("accepted"), bool):
            answer.error = 'the answer is not {"accepted": true|false}'
    except ValueError:
        answer.error = "the answer is not JSON"
    except requests.RequestException as exc:
        answer.error = f"{type(exc).__name__}: {exc}"
    if answer.error:
        answer.body = answer.body if isinstance(answer.body, dict) else None
    message_log.record(
        direction="OUT",
        method="POST",
        url=csms.command_url,
        module="csms",
        request_headers={**headers, SIGNATURE_HEADER: "sha256=…", "CSMS": str(csms)},
        request_body=raw,
        http_status=answer.http_status,
        response_body=response.content if response is not None else b"",
        duration_ms=int((time.monotonic() - started) * 1000),
        request_id=headers["X-Request-ID"],
        correlation_id=command.correlation_id,
        object_id=str(command.command_id),
        error=answer.error,
    )
    return answer
