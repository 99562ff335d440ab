"""Tokens receiver (OCPI 2.2.1 mod_tokens): eMSP tokens stored for local authorization."""

import json
from pathlib import Path

import pytest
from django.test import Client
from py_ocpi.modules.tokens.v_2_2_1.schemas import Token as PydanticToken

from locations.models import Operator
from sessions.models import Token
from sessions.ocpi import token_to_ocpi
from tests.ocpi_api import make_platform, ocpi_headers

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).parent.parent / "data" / "ocpi_examples"
URL = "/ocpi/2.2.1/tokens/DE/TNM/12345678905880"


@pytest.fixture(autouse=True)
def connection():
    Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")
    return make_platform()


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def put(body, url=URL, **extra):
    return Client().put(
        url, json.dumps(body), content_type="application/json", **ocpi_headers(**extra)
    )


def patch(body, url=URL):
    return Client().patch(url, json.dumps(body), content_type="application/json", **ocpi_headers())


def test_put_stores_full_spec_example_and_get_returns_it_unchanged():
    body = example("token_example_2_full_rfid.json")
    response = put(body)
    assert response.status_code == 200 and response.json()["status_code"] == 1000
    got = Client().get(URL, **ocpi_headers()).json()
    assert got["data"] == body
    PydanticToken(**got["data"])
    assert token_to_ocpi(Token.objects.get()) == body


def test_put_again_replaces_and_clears_absent_optional_fields():
    put(example("token_example_2_full_rfid.json"))
    body = {
        key: value
        for key, value in example("token_example_2_full_rfid.json").items()
        if key not in ("language", "energy_contract")
    }
    put(body)
    token = Token.objects.get()
    assert token.language == "" and token.energy_contract is None


def test_patch_updates_valid_and_requires_last_updated():
    put(example("token_example_2_full_rfid.json"))
    assert patch({"valid": False}).json()["status_code"] == 2001
    assert Token.objects.get().valid is True
    response = patch(example("token_patch_example.json"))
    assert response.json()["status_code"] == 1000
    assert Token.objects.get().valid is False


def test_patch_of_unknown_token_is_404_2004():
    response = patch(example("token_patch_example.json"))
    assert response.status_code == 404 and response.json()["status_code"] == 2004


def test_url_must_match_body_and_change_nothing():
    response = put(example("token_example_2_full_rfid.json"), url="/ocpi/2.2.1/tokens/DE/TNM/OTHER")
    assert response.status_code == 400 and response.json()["status_code"] == 2001
    assert "uid" in response.json()["status_message"]
    assert not Token.objects.exists()


def test_party_not_behind_platform_is_refused():
    body = example("token_put_example.json")  # NL*TNM is not one of the platform's roles
    response = put(body, url="/ocpi/2.2.1/tokens/NL/TNM/012345678")
    assert response.json()["status_code"] == 2001
    assert not Token.objects.exists()


def test_wrong_types_are_listed_and_nothing_stored():
    body = example("token_example_2_full_rfid.json") | {"valid": "yes", "whitelist": "SOMETIMES"}
    message = put(body).json()["status_message"]
    assert "valid: must be a boolean" in message and "whitelist" in message
    assert not Token.objects.exists()


def test_malformed_json_is_2001():
    response = Client().put(URL, "{not json", content_type="application/json", **ocpi_headers())
    assert response.status_code == 400 and response.json()["status_code"] == 2001


def test_type_query_parameter_selects_token():
    body = example("token_example_1_app_user.json")
    url = (
        f"/ocpi/2.2.1/tokens/{body['country_code']}/{body['party_id']}/{body['uid']}?type=APP_USER"
    )
    assert put(body, url=url).json()["status_code"] == 1000
    assert Client().get(url.replace("APP_USER", "RFID"), **ocpi_headers()).status_code == 404
    assert Client().get(url, **ocpi_headers()).json()["data"]["type"] == "APP_USER"


def test_unknown_command_is_404_and_known_is_not_supported():
    client = Client()
    body = json.dumps({"response_url": "https://emsp.example.com/cb/1", "session_id": "1"})
    unknown = client.post(
        "/ocpi/2.2.1/commands/SELF_DESTRUCT",
        body,
        content_type="application/json",
        **ocpi_headers(),
    )
    assert unknown.status_code == 404 and unknown.json()["status_code"] == 2001
    known = client.post(
        "/ocpi/2.2.1/commands/STOP_SESSION", body, content_type="application/json", **ocpi_headers()
    )
    assert known.json()["data"] == {"result": "NOT_SUPPORTED", "timeout": 30}


def test_charging_preferences_answer_not_possible():
    response = Client().put(
        "/ocpi/2.2.1/sessions/S1/charging_preferences",
        json.dumps({"profile_type": "FAST"}),
        content_type="application/json",
        **ocpi_headers(),
    )
    assert response.json()["data"] == "NOT_POSSIBLE"


@pytest.mark.parametrize("module", ["sessions", "cdrs"])
def test_sessions_and_cdrs_lists_are_empty_pages(module):
    response = Client().get(
        f"/ocpi/2.2.1/{module}?date_from=2026-01-01T00:00:00Z", **ocpi_headers()
    )
    assert response.json()["data"] == [] and response["X-Total-Count"] == "0"
    assert "Link" not in response
