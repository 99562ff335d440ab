"""Register FromIOP over real HTTP: the hub simulator registers with our live server.

We issue a token A; the simulator reads our versions with it and POSTs its credentials
(token B) to our credentials endpoint; we read its versions with token B and answer token C.
"""

import base64
import socket

import pytest
import requests
from django.core.management import CommandError, call_command

from roaming.client import OcpiClient
from roaming.models import MessageLog, Platform
from roaming.registration import RegistrationError, invite
from tests.factories import OperatorFactory, PlatformFactory

pytestmark = pytest.mark.django_db(transaction=True)


def auth(token: str) -> dict:
    return {"Authorization": f"Token {base64.b64encode(token.encode()).decode()}"}


@pytest.fixture
def ocpi_url(live_server, settings):
    settings.OCPI_BASE_URL = f"{live_server.url}/ocpi"
    return settings.OCPI_BASE_URL


@pytest.fixture
def operators():
    return [
        OperatorFactory(country_code="FR", party_id="AB1", name="Alpha"),
        OperatorFactory(country_code="FR", party_id="AB2", name="Beta"),
    ]


def test_hub_registers_with_token_a_and_we_answer_token_c(ocpi_url, hub_simulator, operators):
    platform, token_a = invite(name="Gireve")

    answer = hub_simulator.register_with(f"{ocpi_url}/versions", token_a)

    assert answer["status_code"] == 1000, answer
    ours = answer["data"]
    assert ours["url"] == f"{ocpi_url}/versions"
    assert ours["token"] not in (token_a, hub_simulator.token)
    assert [(r["role"], r["country_code"], r["party_id"]) for r in ours["roles"]] == [
        ("CPO", "FR", "AB1"),
        ("CPO", "FR", "AB2"),
    ]
    assert ours["roles"][0]["business_details"]["name"] == "Alpha"
    platform.refresh_from_db()
    assert platform.status == Platform.Status.CONNECTED
    assert (platform.hub_country_code, platform.hub_party_id) == ("FR", "107")
    assert platform.outgoing_token == hub_simulator.token  # its token B
    assert platform.versions_url == hub_simulator.versions_url
    assert platform.endpoint_url("locations", "RECEIVER") == f"{hub_simulator.url}/2.2.1/locations"
    # We read its versions with its token B, as the spec says (not with token A).
    versions_reads = [r for r in hub_simulator.received if r.path.endswith("/versions")]
    assert (
        versions_reads[0].headers["Authorization"]
        == "Token " + base64.b64encode(hub_simulator.token.encode()).decode()
    )


def test_our_calls_during_their_registration_carry_its_correlation_id(
    ocpi_url, hub_simulator, operators
):
    """Gireve §2.1.4: the requests a request causes carry its X-Correlation-ID."""
    _, token_a = invite(name="Gireve")

    hub_simulator.register_with(f"{ocpi_url}/versions", token_a)

    post = MessageLog.objects.get(direction="IN", method="POST", module="credentials")
    assert post.http_status == 200 and post.correlation_id
    our_calls = [r for r in hub_simulator.received if r.path.startswith("/ocpi/")]
    assert len(our_calls) >= 2  # their versions, then their 2.2.1 details
    assert {r.headers["X-Correlation-ID"] for r in our_calls} == {post.correlation_id}
    assert len({r.headers["X-Request-ID"] for r in our_calls}) == len(our_calls)


def test_after_registration_token_a_is_refused_and_token_c_opens_our_api(
    ocpi_url, hub_simulator, operators
):
    _, token_a = invite(name="Gireve")
    hub_simulator.register_with(f"{ocpi_url}/versions", token_a)

    again = requests.post(
        f"{ocpi_url}/2.2.1/credentials",
        json={"token": "x", "url": hub_simulator.versions_url, "roles": []},
        headers=auth(token_a),
        timeout=10,
    )
    credentials = hub_simulator.call("GET", f"{ocpi_url}/2.2.1/credentials")

    assert again.status_code == 401
    assert credentials.json()["data"]["token"] == hub_simulator.client_token


def test_we_push_to_the_hub_with_the_token_it_gave_us(ocpi_url, hub_simulator, operators):
    platform, token_a = invite(name="Gireve")
    hub_simulator.register_with(f"{ocpi_url}/versions", token_a)
    platform.refresh_from_db()

    client = OcpiClient(platform)
    outcome = client.send(
        "PUT",
        client.object_url("locations", operators[0], "LOC1"),
        json={"id": "LOC1", "country_code": "FR", "party_id": "AB1"},
        module="locations",
    )

    assert outcome.kind == "success", outcome.message
    assert hub_simulator.objects["locations/FR/AB1/LOC1"]["id"] == "LOC1"


def test_unreachable_hub_versions_give_3001_and_change_nothing(ocpi_url, operators):
    platform, token_a = invite(name="Gireve")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{sock.getsockname()[1]}/ocpi/versions"

    response = requests.post(
        f"{ocpi_url}/2.2.1/credentials",
        json={"token": "their-token-b", "url": dead_url, "roles": [hub_role()]},
        headers=auth(token_a),
        timeout=10,
    )

    # credentials §Errors during registration: 3001; status_codes: no HTTP error status.
    assert (response.status_code, response.json()["status_code"]) == (200, 3001)
    assert "Unable to use" in response.json()["status_message"]
    platform.refresh_from_db()
    assert platform.status == Platform.Status.INVITED
    assert platform.incoming_token_matches(token_a)
    assert not platform.endpoints.exists() and platform.outgoing_token == ""


def test_hub_without_2_2_1_gets_3002_and_changes_nothing(ocpi_url, hub_simulator, operators):
    platform, token_a = invite(name="Gireve")
    hub_simulator.versions = ["2.1.1"]

    answer = hub_simulator.register_with(f"{ocpi_url}/versions", token_a)

    assert answer["status_code"] == 3002
    assert "2.1.1" in answer["status_message"]
    platform.refresh_from_db()
    assert platform.status == Platform.Status.INVITED
    assert platform.incoming_token_matches(token_a)


def test_registration_without_any_operator_is_refused_clearly(ocpi_url, hub_simulator):
    platform, token_a = invite(name="Gireve")

    answer = hub_simulator.register_with(f"{ocpi_url}/versions", token_a)

    assert answer["status_code"] == 3000
    assert "no operator" in answer["status_message"]
    platform.refresh_from_db()
    assert platform.status == Platform.Status.INVITED


def test_hub_updates_its_credentials_with_put_and_gets_a_new_token_c(
    ocpi_url, hub_simulator, operators
):
    platform, token_a = invite(name="Gireve")
    hub_simulator.register_with(f"{ocpi_url}/versions", token_a)
    old_token_c = hub_simulator.client_token

    answer = hub_simulator.update_registration()

    assert answer["status_code"] == 1000, answer
    assert hub_simulator.client_token != old_token_c
    platform.refresh_from_db()
    assert platform.outgoing_token == hub_simulator.token
    assert platform.incoming_token_matches(hub_simulator.client_token)
    assert not platform.incoming_token_matches(old_token_c)


def test_hub_deletes_credentials_and_its_token_c_stops_working(ocpi_url, hub_simulator, operators):
    platform, token_a = invite(name="Gireve")
    hub_simulator.register_with(f"{ocpi_url}/versions", token_a)

    deleted = hub_simulator.call("DELETE", f"{ocpi_url}/2.2.1/credentials")

    assert deleted.json()["status_code"] == 1000
    platform.refresh_from_db()
    assert platform.status == Platform.Status.UNREGISTERED
    assert not platform.endpoints.exists() and platform.outgoing_token == ""
    assert hub_simulator.call("GET", f"{ocpi_url}/2.2.1/credentials").status_code == 401


def test_credentials_exchange_leaves_no_token_in_the_message_log(
    ocpi_url, hub_simulator, operators
):
    _, token_a = invite(name="Gireve")
    hub_simulator.register_with(f"{ocpi_url}/versions", token_a)

    logged = "".join(
        f"{m.request_headers}{m.request_body}{m.response_body}{m.url}"
        for m in MessageLog.objects.all()
    )

    assert MessageLog.objects.filter(module="credentials").exists()
    for secret in (token_a, hub_simulator.token, hub_simulator.client_token):
        assert secret not in logged


def test_ocpi_invite_prints_token_a_that_opens_versions_only(ocpi_url, capsys):
    call_command("ocpi_invite", "Gireve preprod")
    out = capsys.readouterr().out
    token_a = next(
        line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Token A")
    )

    versions = requests.get(f"{ocpi_url}/versions", headers=auth(token_a), timeout=10)
    locations = requests.get(f"{ocpi_url}/2.2.1/locations", headers=auth(token_a), timeout=10)

    assert f"{ocpi_url}/versions" in out
    assert versions.json()["status_code"] == 1000
    assert locations.status_code == 401


def test_a_connected_platform_cannot_be_invited_again():
    platform = PlatformFactory(name="Gireve", connected=True, token="token-c")

    with pytest.raises(RegistrationError, match="unregister it"):
        invite(name="Gireve")
    with pytest.raises(CommandError, match="unregister it"):
        call_command("ocpi_invite", "Gireve")

    platform.refresh_from_db()
    assert platform.incoming_token_matches("token-c")


def hub_role() -> dict:
    return {
        "role": "HUB",
        "country_code": "FR",
        "party_id": "107",
        "business_details": {"name": "GIREVE"},
    }
