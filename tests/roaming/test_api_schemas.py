"""Every kind of answer of our OCPI API checked three ways: against our own validators (what we
accept inbound), the independent py_ocpi (extrawest-ocpi) models, and the spec's own examples.

Locations answers are checked the same way in test_api_locations.py and tests/locations.
"""

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from py_ocpi.core.schemas import OCPIResponse
from py_ocpi.modules.commands.v_2_2_1.schemas import CommandResponse
from py_ocpi.modules.credentials.v_2_2_1.schemas import Credentials
from py_ocpi.modules.hubclientinfo.v_2_2_1.schemas import ClientInfo
from py_ocpi.modules.tokens.v_2_2_1.schemas import Token
from py_ocpi.modules.versions.schemas import Version
from py_ocpi.modules.versions.v_2_2_1.schemas import VersionDetail

from roaming.credentials import credentials_errors
from roaming.hub_client_info import client_info_errors
from roaming.models import Operator
from sessions.ocpi import command_errors, token_errors
from tests.factories import PlatformFactory
from tests.ocpi_api import ocpi_headers

pytestmark = pytest.mark.django_db
LOCAL_EXAMPLES = Path(__file__).parent.parent / "data" / "ocpi_examples"
# types §DateTime as we write it: UTC, whole seconds, 'Z'.
OUR_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# version_information_endpoint §InterfaceRole: what a CPO implements, per module.
CPO_INTERFACES = {
    ("credentials", "SENDER"),
    ("locations", "SENDER"),
    ("sessions", "SENDER"),
    ("cdrs", "SENDER"),
    ("tariffs", "SENDER"),
    ("tokens", "RECEIVER"),
    ("commands", "RECEIVER"),
    ("chargingprofiles", "RECEIVER"),
    ("hubclientinfo", "RECEIVER"),
}


def example(name: str):
    return json.loads((LOCAL_EXAMPLES / name).read_text())


def shape(value):
    """The JSON structure without the values: keys, nesting and JSON types."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(shape(item), sort_keys=True) for item in value})
    return type(value).__name__


def timestamps(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("timestamp", "last_updated") and isinstance(item, str):
                yield item
            yield from timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from timestamps(item)


@pytest.fixture(autouse=True)
def platform():
    Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")
    Operator.objects.create(country_code="BE", party_id="CP2", name="Our Belgian network")
    return PlatformFactory(connected=True)


def ok(response) -> dict:
    body = response.json()
    assert response.status_code in (200, 201), body
    assert body["status_code"] == 1000
    OCPIResponse(**body)
    assert all(OUR_DATETIME.match(stamp) for stamp in timestamps(body)), body
    return body


def test_versions_match_py_ocpi_and_the_spec_example():
    body = ok(Client().get("/ocpi/versions", **ocpi_headers()))

    assert [Version(**item).url for item in body["data"]] == ["http://testserver/ocpi/2.2.1"]
    assert shape(body) == shape(example("transport_and_format_version_info_example.json"))


def test_version_details_list_only_cpo_interfaces_and_match_the_spec_example():
    body = ok(Client().get("/ocpi/2.2.1", **ocpi_headers()))

    details = VersionDetail(**body["data"])
    assert details.version == "2.2.1"
    listed = {(e["identifier"], e["role"]) for e in body["data"]["endpoints"]}
    assert listed <= CPO_INTERFACES, listed - CPO_INTERFACES
    assert {("credentials", "SENDER"), ("tokens", "RECEIVER")} <= listed
    # version_information_endpoint §Endpoint: credentials listed once, advised as SENDER.
    assert [e["identifier"] for e in body["data"]["endpoints"]].count("credentials") == 1
    assert len(listed) == len(body["data"]["endpoints"])  # no endpoint twice
    assert shape(body["data"]) == shape(example("version_details_example.json"))
    assert shape(body) == shape(example("transport_and_format_version_details_example.json"))


def test_credentials_match_py_ocpi_and_the_spec_example():
    body = ok(Client().get("/ocpi/2.2.1/credentials", **ocpi_headers()))

    assert credentials_errors(body["data"]) == []
    credentials = Credentials(**body["data"])
    assert [(r.country_code.upper(), r.party_id.upper(), r.role) for r in credentials.roles] == [
        ("BE", "CP2", "CPO"),
        ("FR", "CPO", "CPO"),
    ]
    assert shape(body["data"]) == shape(example("credentials_example.json"))


def test_token_put_then_get_matches_py_ocpi_and_the_spec_example():
    envelope = example("transport_and_format_get_token_example.json")
    url = "/ocpi/2.2.1/tokens/DE/TNM/012345678"
    created = Client().put(
        url, json.dumps(envelope["data"]), content_type="application/json", **ocpi_headers()
    )
    updated = Client().put(
        url, json.dumps(envelope["data"]), content_type="application/json", **ocpi_headers()
    )
    # status_codes: 201 when newly created, 200 when updated; no data for a push (2.2.1 note).
    assert (created.status_code, updated.status_code) == (201, 200)
    assert "data" not in created.json()

    body = ok(Client().get(url, **ocpi_headers()))  # ?type= omitted: RFID

    assert body["data"] == envelope["data"]
    assert token_errors(body["data"], partial=False) == []
    Token(**body["data"])
    assert shape(body) == shape(envelope)


def test_client_info_matches_py_ocpi():
    info = {
        "party_id": "ALL",
        "country_code": "NL",
        "role": "CPO",
        "status": "PLANNED",
        "last_updated": "2019-06-19T02:11:11Z",
    }
    url = "/ocpi/2.2.1/hubclientinfo/NL/ALL"
    Client().put(url, json.dumps(info), content_type="application/json", **ocpi_headers())

    body = ok(Client().get(url, **ocpi_headers()))

    assert client_info_errors(body["data"]) == []
    assert ClientInfo(**body["data"]).status == "PLANNED"
    assert body["data"] == info


@pytest.mark.parametrize(
    ("command", "request_body", "result"),
    [
        (
            "START_SESSION",
            {
                "response_url": "https://emsp.example.com/cb/1",
                "token": example("token_example_2_full_rfid.json"),
                "location_id": "LOC1",
            },
            "REJECTED",  # LOC1 is unknown
        ),
        (
            "STOP_SESSION",
            {"response_url": "https://emsp.example.com/cb/2", "session_id": "S1"},
            "UNKNOWN_SESSION",
        ),
        (
            "RESERVE_NOW",
            {
                "response_url": "https://emsp.example.com/cb/3",
                "token": example("token_example_2_full_rfid.json"),
                "expiry_date": "2026-01-01T12:00:00Z",
                "reservation_id": "R1",
                "location_id": "LOC1",
            },
            "NOT_SUPPORTED",
        ),
        (
            "CANCEL_RESERVATION",
            {"response_url": "https://emsp.example.com/cb/4", "reservation_id": "R1"},
            "NOT_SUPPORTED",
        ),
        (
            "UNLOCK_CONNECTOR",
            {
                "response_url": "https://emsp.example.com/cb/5",
                "location_id": "LOC1",
                "evse_uid": "E1",
                "connector_id": "1",
            },
            "NOT_SUPPORTED",
        ),
    ],
)
def test_command_answer_is_a_command_response(command, request_body, result):
    assert command_errors(command, request_body) == []  # the spec's objects pass our checks
    answer = Client().post(
        f"/ocpi/2.2.1/commands/{command}",
        json.dumps(request_body),
        content_type="application/json",
        **ocpi_headers(HTTP_OCPI_TO_PARTY_ID="CPO"),
    )
    body = answer.json()

    # status_codes 2003: START_SESSION at an unknown location, still HTTP 200 with the answer.
    assert answer.status_code == 200
    assert body["status_code"] == (2003 if command == "START_SESSION" else 1000)
    OCPIResponse(**body)
    response = CommandResponse(**body["data"])
    assert response.result == result and response.timeout > 0
    assert response.message[0]["text"]  # says why (tests/commands: every case)
