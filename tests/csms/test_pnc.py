"""Plug & Charge and OCPP 2.0.1 id token types at POST /api/csms/v1/authorize: each type's
OCPI TokenType and uid, as the hub simulator on loopback receives them (docs/csms-bridge.md)."""

import pytest
import yaml
from django.test import Client

from locations.models import EVSE
from roaming.simulator.demo_tokens import load_demo_tokens
from sessions.csms.simulator import PNC_CAR, ChargePoint, CsmsSimulator
from sessions.models import Authorization

from .bridge import authorize_event, call

pytestmark = pytest.mark.django_db


def swipe(csms, id_tag, **fields) -> dict:
    response = call(csms, "authorize", authorize_event(id_tag, **fields))
    assert response.status_code == 200, response.content
    return response.json()


def listed(uid: str, type: str) -> dict:
    """A token the eMSP behind the hub knows: by its uid and type together."""
    return {"country_code": "FR", "party_id": "EMS", "uid": uid, "type": type}


@pytest.mark.parametrize(
    ("id_tag", "fields", "uid", "ocpi_type"),
    [
        ("04:a2:3b:1c:5d:6e:7f", {"id_token_type": "ISO14443"}, "04A23B1C5D6E7F", "RFID"),
        (
            "7F6E5D1C3BA204",
            {"id_token_type": "ISO14443", "reader_format": "HEX_REVERSED"},
            "04A23B1C5D6E7F",
            "RFID",
        ),
        ("e0:04:01:50", {"id_token_type": "ISO15693"}, "E0040150", "RFID"),
        ("fr-dem-c00000005", {"id_token_type": "eMAID"}, "FRDEMC00000005", "OTHER"),
        ("FR-ABC-C12345678-9", {"id_token_type": "eMAID"}, "FRABCC123456789", "OTHER"),
        ("FRABCC123456789", {"id_token_type": "eMAID"}, "FRABCC123456789", "OTHER"),
        ("app-user-42", {"id_token_type": "Central"}, "app-user-42", "APP_USER"),
        # Today's contract, unchanged: OCPI token_type, or none (an OCPP 1.6 idTag, RFID).
        ("04a23b1c", {}, "04A23B1C", "RFID"),
        ("app-user-42", {"token_type": "APP_USER"}, "app-user-42", "APP_USER"),
    ],
)
def test_each_type_is_authorized_at_the_hub_as_its_ocpi_type(
    csms, evse, connected_hub, hub_simulator, id_tag, fields, uid, ocpi_type
):
    hub_simulator.tokens.append(listed(uid, ocpi_type))

    answer = swipe(csms, id_tag, evse_uid="E2", **fields)

    assert (answer["accepted"], answer["source"], answer["uid"], answer["token_type"]) == (
        True,
        "HUB",
        uid,
        ocpi_type,
    )
    [request] = hub_simulator.requests_to("tokens", "POST")
    assert request.path.endswith(f"/tokens/{uid}/authorize")
    assert request.query == {"type": [ocpi_type]}
    assert request.json == {"location_id": "PAR-1", "evse_uids": ["E2"]}
    stored = Authorization.objects.get()
    assert (stored.id_tag, stored.uid, stored.type, stored.reason) == (
        id_tag,
        uid,
        ocpi_type,
        "ALLOWED",
    )
    assert stored.token["type"] == ocpi_type


@pytest.mark.parametrize(
    ("id_tag", "id_token_type", "why"),
    [
        ("FR-AB-C12345678", "eMAID", "not country code"),  # provider id of 2
        ("FR-ABC-C1234567", "eMAID", "not country code"),  # instance of 8
        ("F1-ABC-C12345678", "eMAID", "not country code"),  # a digit in the country code
        ("FR-ABC-C12345678-90", "eMAID", "not country code"),  # two check characters
        ("FR*ABC*C12345678", "eMAID", "not country code"),  # an EVSE id's separator
        ("XYZ12345", "ISO14443", "ISO14443: not hexadecimal"),
        # An ISO 15693 UID of 8 bytes: Gireve §2.3.3 takes 4- or 7-byte UIDs only.
        ("E004015012345678", "ISO15693", "ISO15693: 16 hex characters"),
        ("1234", "KeyCode", "KeyCode: a code keyed in"),
        ("LOCAL-1", "Local", "Local: a token only the charge point"),
        ("00:1A:2B:3C:4D:5E", "MacAddress", "MacAddress: the EV's MAC address"),
        ("none", "NoAuthorization", "NoAuthorization: no identification"),
    ],
)
def test_refusals_are_recorded_with_their_reason_and_never_sent_to_the_hub(
    csms, evse, connected_hub, hub_simulator, id_tag, id_token_type, why
):
    answer = swipe(csms, id_tag, id_token_type=id_token_type)

    assert (answer["accepted"], answer["ocpp_status"], answer["reason"], answer["source"]) == (
        False,
        "Invalid",
        "INVALID_UID",
        "LOCAL",
    )
    assert why in answer["message"]
    assert answer["uid"] == ""
    assert hub_simulator.requests_to("tokens") == []
    stored = Authorization.objects.get()
    assert (stored.id_tag, stored.reason, stored.hub_message) == (
        id_tag,
        "INVALID_UID",
        answer["message"],
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"id_token_type": "eMAID", "token_type": "OTHER"}, "non_field_errors"),
        ({"id_token_type": "EMAID"}, "id_token_type"),  # OCPP's words, exactly
    ],
)
def test_an_id_token_type_with_a_token_type_or_misspelt_is_400_and_writes_nothing(
    csms, evse, fields, field
):
    response = call(csms, "authorize", authorize_event("FR-DEM-C00000005", **fields))

    assert response.status_code == 400 and field in response.json()
    assert not Authorization.objects.exists()


def test_the_demo_emaid_is_known_to_the_hub_as_other_only(csms, evse, connected_hub, hub_simulator):
    """The eMSP knows a token by uid and type: the same eMAID asked as APP_USER is unknown."""
    load_demo_tokens(hub_simulator)

    as_emaid = swipe(csms, "FR-DEM-C00000005", id_token_type="eMAID")
    as_app_user = swipe(csms, "FRDEMC00000005", token_type="APP_USER")

    assert (as_emaid["reason"], as_app_user["reason"]) == ("ALLOWED", "UNKNOWN_TOKEN")
    token = Authorization.objects.get(reason="ALLOWED").token
    assert (token["uid"], token["type"], token["contract_id"]) == (
        "FRDEMC00000005",
        "OTHER",
        "FR-DEM-C00000005",
    )


def test_the_csms_simulators_pnc_car_is_authorized_at_the_hub_simulator(
    live_server, transactional_db, csms, location, connected_hub, hub_simulator
):
    load_demo_tokens(hub_simulator)  # as `hub_simulator --demo-tokens`
    lines: list[str] = []
    simulator = CsmsSimulator(f"{live_server.url}/api/csms/v1", csms.api_key, out=lines.append)

    accepted = simulator.plug_and_charge(ChargePoint("PAR-1", "E1"), PNC_CAR)

    assert accepted is True
    assert [(r["uid"], r["type"]) for r in hub_simulator.authorize_requests] == [
        ("FRDEMC00000005", "OTHER")
    ]
    [line] = [line for line in lines if "eMAID" in line]
    assert "PnC car eMAID FR-DEM-C00000005 → 200 Accepted (ALLOWED via HUB)" in line
    statuses = [line.split("status ")[1].split()[0] for line in lines if " status " in line]
    assert statuses == ["Preparing", "Charging", "SuspendedEV", "Finishing", "Available"]
    assert EVSE.objects.get(uid="E1").status == "AVAILABLE"
    assert Authorization.objects.get().type == "OTHER"


def test_the_schema_documents_id_token_type_in_ocpp_words_and_not_with_token_type(db):
    schema = yaml.safe_load(Client().get("/api/csms/v1/schema/").content)["components"]["schemas"]

    assert schema["IdTokenTypeEnum"]["enum"] == [
        "ISO14443",
        "ISO15693",
        "eMAID",
        "Central",
        "KeyCode",
        "Local",
        "MacAddress",
        "NoAuthorization",
    ]
    request = schema["AuthorizeEventRequest"]
    assert "id_token_type" not in request.get("required", [])
    assert request["not"] == {"required": ["token_type", "id_token_type"]}
    assert {"token_type", "message"} <= set(schema["AuthorizeAnswer"]["properties"])
