"""Register FromIOP over real HTTP: the hub's versions are served by a live server.

The "hub" here is our own OCPI API on `live_server`, reached with a token we recognise:
a spec-following platform, so the handshake runs exactly as with Gireve.
"""

import base64
import json
import socket

import pytest
import requests
from django.core.management import CommandError, call_command

from roaming.models import Platform
from roaming.registration import invite
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db(transaction=True)

HUB_ROLES = [
    {"role": "HUB", "country_code": "FR", "party_id": "107", "business_details": {"name": "GIREVE"}}
]


def auth(token: str) -> dict:
    return {"Authorization": f"Token {base64.b64encode(token.encode()).decode()}"}


@pytest.fixture
def ocpi_url(live_server, settings):
    settings.OCPI_BASE_URL = f"{live_server.url}/ocpi"
    return settings.OCPI_BASE_URL


@pytest.fixture
def hub_token():
    """A token that reads our versions: the hub's token B, as it would give it to us."""
    peer = Platform(name="peer serving versions")
    peer.set_incoming_token("hub-token-b", registration=True)
    peer.save()
    return "hub-token-b"


def post_credentials(ocpi_url: str, token_a: str, body: dict) -> requests.Response:
    return requests.post(
        f"{ocpi_url}/2.2.1/credentials", json=body, headers=auth(token_a), timeout=10
    )


def test_hub_registers_with_token_a_and_gets_token_c(ocpi_url, hub_token):
    OperatorFactory(country_code="FR", party_id="AB1", name="Alpha")
    platform, token_a = invite(name="Gireve")

    response = post_credentials(
        ocpi_url, token_a, {"token": hub_token, "url": f"{ocpi_url}/versions", "roles": HUB_ROLES}
    )

    body = response.json()
    assert response.status_code == 200, body
    assert body["status_code"] == 1000
    token_c = body["data"]["token"]
    assert token_c not in (token_a, hub_token)
    assert body["data"]["url"] == f"{ocpi_url}/versions"
    assert [(r["role"], r["country_code"], r["party_id"]) for r in body["data"]["roles"]] == [
        ("CPO", "FR", "AB1")
    ]
    platform.refresh_from_db()
    assert platform.status == Platform.Status.CONNECTED
    assert (platform.hub_country_code, platform.hub_party_id) == ("FR", "107")
    assert platform.outgoing_token == hub_token
    assert platform.endpoint_url("locations", "SENDER") == f"{ocpi_url}/2.2.1/locations"
    # Token A is spent; token C reads our credentials.
    assert (
        requests.get(f"{ocpi_url}/versions", headers=auth(token_a), timeout=10).status_code == 401
    )
    again = requests.get(f"{ocpi_url}/2.2.1/credentials", headers=auth(token_c), timeout=10)
    assert again.json()["data"]["token"] == token_c


def test_unreachable_hub_versions_fail_with_3001_and_change_nothing(ocpi_url):
    platform, token_a = invite(name="Gireve")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{sock.getsockname()[1]}/ocpi/versions"

    response = post_credentials(
        ocpi_url, token_a, {"token": "whatever", "url": dead_url, "roles": HUB_ROLES}
    )

    assert response.json()["status_code"] == 3001
    platform.refresh_from_db()
    assert platform.status == Platform.Status.INVITED
    assert platform.incoming_token_matches(token_a)
    assert not platform.endpoints.exists()


def test_unregister_by_delete_revokes_token_c(ocpi_url, hub_token):
    platform, token_a = invite(name="Gireve")
    registered = post_credentials(
        ocpi_url, token_a, {"token": hub_token, "url": f"{ocpi_url}/versions", "roles": HUB_ROLES}
    ).json()
    token_c = registered["data"]["token"]

    deleted = requests.delete(f"{ocpi_url}/2.2.1/credentials", headers=auth(token_c), timeout=10)

    assert deleted.json()["status_code"] == 1000
    platform.refresh_from_db()
    assert platform.status == Platform.Status.UNREGISTERED
    assert not platform.endpoints.exists()
    refused = requests.get(f"{ocpi_url}/2.2.1/credentials", headers=auth(token_c), timeout=10)
    assert refused.status_code == 401


def test_ocpi_invite_prints_token_a_that_opens_versions_only(ocpi_url, capsys):
    call_command("ocpi_invite", "Gireve preprod")
    out = capsys.readouterr().out
    token_a = next(
        line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Token A")
    )
    assert f"{ocpi_url}/versions" in out

    versions = requests.get(f"{ocpi_url}/versions", headers=auth(token_a), timeout=10)
    assert json.loads(versions.text)["status_code"] == 1000
    locations = requests.get(f"{ocpi_url}/2.2.1/locations", headers=auth(token_a), timeout=10)
    assert locations.status_code == 401


def test_register_to_hub_with_its_token_a(ocpi_url, hub_simulator, capsys):
    call_command(
        "ocpi_register",
        "IOP",
        "--versions-url",
        hub_simulator.versions_url,
        "--token",
        "hub-token-a",
    )

    platform = Platform.objects.get(name="IOP")
    assert platform.status == Platform.Status.CONNECTED
    assert platform.outgoing_token == hub_simulator.token
    assert (platform.hub_country_code, platform.hub_party_id) == ("FR", "107")
    assert platform.endpoint_url("locations", "RECEIVER") == f"{hub_simulator.url}/2.2.1/locations"
    # The hub read our versions with token B during the POST; token B now opens our modules.
    token_b = hub_simulator.registered_credentials["token"]
    assert platform.incoming_token_matches(token_b)
    assert not platform.incoming_token_is_registration


def test_register_to_with_wrong_token_a_fails_and_changes_nothing(ocpi_url, hub_simulator):
    with pytest.raises(CommandError, match="3001"):
        call_command(
            "ocpi_register", "IOP", "--versions-url", hub_simulator.versions_url, "--token", "nope"
        )

    platform = Platform.objects.get(name="IOP")
    assert platform.status == Platform.Status.INVITED
    assert not platform.endpoints.exists() and platform.outgoing_token == ""
