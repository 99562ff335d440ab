"""Calls to the CSMS bridge API as a CSMS makes them (Django test client, JSON bodies)."""

import datetime as dt
import json
import uuid

from django.test import Client


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
