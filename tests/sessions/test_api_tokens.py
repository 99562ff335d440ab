"""Tokens receiver (OCPI 2.2.1 mod_tokens): eMSP tokens stored for local authorization."""

import json
from pathlib import Path

import pytest
from django.test import Client
from py_ocpi.modules.tokens.v_2_2_1.schemas import Token as PydanticToken

from roaming.models import MessageLog, Operator
from sessions.models import Token
from sessions.ocpi import token_to_ocpi
from tests.factories import PlatformFactory
from tests.ocpi_api import ocpi_headers

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).parent.parent / "data" / "ocpi_examples"
URL = "/ocpi/2.2.1/tokens/DE/TNM/12345678905880"


@pytest.fixture(autouse=True)
def connection():
    Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")
    return PlatformFactory(connected=True)


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
    assert response.status_code == 201 and response.json()["status_code"] == 1000
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


def test_party_not_behind_platform_is_refused():
    body = example("token_put_example.json")  # NL*TNM is not one of the platform's roles
    response = put(body, url="/ocpi/2.2.1/tokens/NL/TNM/012345678")
    assert response.json()["status_code"] == 2001
    assert not Token.objects.exists()


HUB = {
    "role": "HUB",
    "country_code": "FR",
    "party_id": "107",
    "business_details": {"name": "GIREVE"},
}


@pytest.mark.parametrize(
    ("from_country", "from_party"),
    [("NL", "TNM"), ("FR", "107")],
    ids=["forwarded from the eMSP", "broadcast by the hub"],
)
def test_a_hub_pushes_tokens_of_any_emsp_behind_it(connection, from_country, from_party):
    """Gireve §2.1.6: IOP presents only its HUB role and forwards for every operator behind
    it; transport_and_format §Message Routing: OCPI-from names the eMSP (routed request) or
    the hub (broadcast push), the URL names the token's owner."""
    connection.roles = [HUB]
    connection.save()
    body = example("token_put_example.json")  # NL*TNM, not a role the hub presented

    response = put(
        body,
        url="/ocpi/2.2.1/tokens/NL/TNM/012345678",
        HTTP_OCPI_FROM_COUNTRY_CODE=from_country,
        HTTP_OCPI_FROM_PARTY_ID=from_party,
    )

    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    token = Token.objects.get()
    assert (token.country_code, token.party_id, token.platform) == ("NL", "TNM", connection)
    # The message log finds it under its eMSP, whoever forwarded it.
    assert MessageLog.objects.get().party == "NL*TNM"


def test_type_query_parameter_selects_token():
    body = example("token_example_1_app_user.json")
    url = (
        f"/ocpi/2.2.1/tokens/{body['country_code']}/{body['party_id']}/{body['uid']}?type=APP_USER"
    )
    assert put(body, url=url).json()["status_code"] == 1000
    assert Client().get(url.replace("APP_USER", "RFID"), **ocpi_headers()).status_code == 404
    assert Client().get(url, **ocpi_headers()).json()["data"]["type"] == "APP_USER"


@pytest.mark.parametrize("module", ["sessions", "cdrs"])
def test_sessions_and_cdrs_lists_are_empty_pages(module):
    response = Client().get(
        f"/ocpi/2.2.1/{module}?date_from=2026-01-01T00:00:00Z", **ocpi_headers()
    )
    assert response.json()["data"] == [] and response["X-Total-Count"] == "0"
    assert "Link" not in response
