"""Register ToIOP, update and unregister toward the hub simulator, over real HTTP.

Our live server answers the simulator when it reads our versions with the token we give it.
"""

import pytest
from django.core.management import CommandError, call_command

from roaming.models import MessageLog, Platform
from roaming.registration import RegistrationError, check_connection, update_to
from tests.factories import OperatorFactory, PlatformFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ocpi_url(live_server, settings):
    settings.OCPI_BASE_URL = f"{live_server.url}/ocpi"
    OperatorFactory(country_code="FR", party_id="AB1", name="Alpha")
    return settings.OCPI_BASE_URL


def register(hub, token="hub-token-a") -> None:
    call_command("ocpi_register", "IOP", "--versions-url", hub.versions_url, "--token", token)


def test_register_to_hub_with_its_token_a(ocpi_url, hub_simulator, capsys):
    register(hub_simulator)

    platform = Platform.objects.get(name="IOP")
    assert "CONNECTED to FR*107" in capsys.readouterr().out
    assert platform.status == Platform.Status.CONNECTED
    assert platform.outgoing_token == hub_simulator.token  # its token C
    assert (platform.hub_country_code, platform.hub_party_id) == ("FR", "107")
    assert platform.endpoint_url("locations", "RECEIVER") == f"{hub_simulator.url}/2.2.1/locations"
    # The hub read our versions with token B during the POST; token B now opens our modules.
    token_b = hub_simulator.client_token
    assert platform.incoming_token_matches(token_b)
    assert not platform.incoming_token_is_registration
    sent = hub_simulator.registered_credentials
    assert sent["url"] == f"{ocpi_url}/versions"
    assert [(r["role"], r["party_id"]) for r in sent["roles"]] == [("CPO", "AB1")]
    assert hub_simulator.call("GET", f"{ocpi_url}/2.2.1/credentials").status_code == 200


def test_wrong_token_a_fails_with_3001_and_changes_nothing(ocpi_url, hub_simulator):
    with pytest.raises(CommandError, match="3001"):
        register(hub_simulator, token="nope")

    platform = Platform.objects.get(name="IOP")
    assert platform.status == Platform.Status.INVITED
    assert not platform.endpoints.exists() and platform.outgoing_token == ""
    assert platform.incoming_token_hash == ""


def test_hub_down_fails_with_3001_and_changes_nothing(ocpi_url, hub_simulator):
    hub_simulator.set_fault("down")

    with pytest.raises(CommandError, match="ConnectionError"):
        register(hub_simulator)

    assert not Platform.objects.get(name="IOP").endpoints.exists()


def test_hub_without_2_2_1_fails_with_3002(ocpi_url, hub_simulator):
    hub_simulator.versions = ["2.1.1"]

    with pytest.raises(CommandError, match="3002.*No OCPI 2.2.1"):
        register(hub_simulator)

    assert Platform.objects.get(name="IOP").status == Platform.Status.INVITED


def test_hub_unable_to_read_our_versions_keeps_our_previous_token(
    ocpi_url, hub_simulator, settings
):
    platform = PlatformFactory(name="IOP", token_a=True, token="earlier-token-a")
    settings.OCPI_BASE_URL = "http://127.0.0.1:9/ocpi"  # what we tell the hub: nobody there

    with pytest.raises(CommandError, match="3001"):
        register(hub_simulator)

    platform.refresh_from_db()
    assert platform.incoming_token_matches("earlier-token-a")
    assert platform.status == Platform.Status.INVITED
    assert not platform.endpoints.exists()


def test_update_exchanges_new_tokens_both_ways(ocpi_url, hub_simulator):
    register(hub_simulator)
    platform = Platform.objects.get(name="IOP")
    old_theirs, old_ours = platform.outgoing_token, hub_simulator.client_token

    platform = update_to(platform=platform)

    assert platform.outgoing_token == hub_simulator.token != old_theirs
    assert hub_simulator.client_token != old_ours
    assert platform.incoming_token_matches(hub_simulator.client_token)
    assert not platform.incoming_token_matches(old_ours)
    put = hub_simulator.requests_to("credentials", "PUT")[-1]
    assert put.json["url"] == f"{ocpi_url}/versions"


def test_update_of_an_unregistered_platform_is_refused(db):
    platform = PlatformFactory(name="IOP", status=Platform.Status.UNREGISTERED)

    with pytest.raises(RegistrationError, match="not connected"):
        update_to(platform=platform)


def test_unregister_deletes_our_credentials_at_the_hub(ocpi_url, hub_simulator):
    register(hub_simulator)

    call_command("ocpi_unregister", "IOP")

    platform = Platform.objects.get(name="IOP")
    assert hub_simulator.requests_to("credentials", "DELETE")
    assert hub_simulator.unregistered
    assert platform.status == Platform.Status.UNREGISTERED
    assert platform.outgoing_token == "" and not platform.endpoints.exists()
    assert hub_simulator.call("GET", f"{ocpi_url}/versions").status_code == 401


def test_unregister_with_hub_down_changes_nothing_unless_local_only(ocpi_url, hub_simulator):
    register(hub_simulator)
    hub_simulator.set_fault("down")

    with pytest.raises(CommandError, match="--local-only"):
        call_command("ocpi_unregister", "IOP")
    assert Platform.objects.get(name="IOP").status == Platform.Status.CONNECTED

    call_command("ocpi_unregister", "IOP", "--local-only")
    assert Platform.objects.get(name="IOP").status == Platform.Status.UNREGISTERED


def test_check_connection_reads_the_hub_with_our_token(ocpi_url, hub_simulator):
    register(hub_simulator)
    platform = Platform.objects.get(name="IOP")

    assert "endpoints as stored" in check_connection(platform=platform)

    hub_simulator.set_fault("http500")
    with pytest.raises(RegistrationError, match="HTTP 500"):
        check_connection(platform=platform)


def test_one_registration_is_one_correlation_id(ocpi_url, hub_simulator):
    register(hub_simulator)

    outbound = MessageLog.objects.filter(direction="OUT", platform__name="IOP")
    assert [m.url.rsplit("/", 1)[-1] for m in outbound.order_by("pk")] == [
        "versions",
        "2.2.1",
        "credentials",
    ]
    assert len({m.correlation_id for m in outbound}) == 1
    assert len({m.request_id for m in outbound}) == 3
    seen_by_hub = {r.headers["X-Correlation-ID"] for r in hub_simulator.received}
    assert seen_by_hub == {outbound[0].correlation_id}
