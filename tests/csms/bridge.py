"""Calls to the CSMS bridge API as a CSMS makes them (Django test client, JSON bodies)."""

import datetime as dt
import json
import uuid

from django.test import Client

# The valid demo badge the CSMS simulator swipes, and the token the hub answers for it.
UID = "04A23B1C5D6E7F"
HUB_TOKEN = {
    "country_code": "DE",
    "party_id": "TNM",
    "uid": UID,
    "type": "RFID",
    "contract_id": "DE-TNM-C12345678-X",
    "issuer": "TheNewMotion",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2026-01-01T00:00:00Z",
}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _without_none(event: dict) -> dict:
    return {name: value for name, value in event.items() if value is not None}


def status_event(**fields) -> dict:
    """A status report; a field given as None is left out."""
    return _without_none(
        {
            "event_id": str(uuid.uuid4()),
            "timestamp": stamp(now()),
            "location_id": "PAR-1",
            "evse_uid": "E1",
            "protocol": "ocpp1.6",
            "status": "Charging",
            **fields,
        }
    )


def authorize_event(id_tag: str, **fields) -> dict:
    return _without_none(
        {
            "event_id": str(uuid.uuid4()),
            "timestamp": stamp(now()),
            "location_id": "PAR-1",
            "evse_uid": "E1",
            "id_tag": id_tag,
            **fields,
        }
    )


def call(csms, endpoint: str, body, *, key: str | None = None):
    """POST /api/csms/v1/<endpoint> as `csms` (or with `key`); the response."""
    key = csms.api_key if key is None else key
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return Client().post(
        f"/api/csms/v1/{endpoint}",
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        **headers,
    )


def transaction_started(transaction_id: str, at: dt.datetime, **fields) -> dict:
    return _without_none(
        {
            "event_id": str(uuid.uuid4()),
            "timestamp": stamp(at),
            "location_id": "PAR-1",
            "evse_uid": "E1",
            "transaction_id": transaction_id,
            "meter_start_wh": 1000,
            **fields,
        }
    )


def transaction_event(transaction_id: str, at: dt.datetime, **fields) -> dict:
    """meter-values, transaction-stopped or ev-left: named by the transaction id."""
    return _without_none(
        {
            "event_id": str(uuid.uuid4()),
            "timestamp": stamp(at),
            "transaction_id": transaction_id,
            **fields,
        }
    )


def sample(at: dt.datetime, wh: int, state: str = "CHARGING", **fields) -> dict:
    return {"timestamp": stamp(at), "energy_wh": wh, "charging_state": state, **fields}
