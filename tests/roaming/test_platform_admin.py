import pytest
from django.urls import reverse

from roaming.models import Platform
from tests.factories import MessageLogFactory, OperatorFactory, PlatformFactory

pytestmark = pytest.mark.django_db


def test_platform_page_never_shows_the_token_we_send(admin_client):
    platform = PlatformFactory(outgoing_token="super-secret-token-c-value")

    page = admin_client.get(reverse("admin:roaming_platform_change", args=[platform.pk]))

    assert page.status_code == 200
    assert "super-secret-token-c-value" not in page.content.decode()
    assert "supe…ue" in page.content.decode()


def test_issue_token_a_action_gives_a_working_registration_token(admin_client):
    platform = PlatformFactory(status=Platform.Status.UNREGISTERED)

    page = admin_client.post(
        reverse("admin:roaming_platform_changelist"),
        {"action": "issue_token_a", "_selected_action": [platform.pk]},
        follow=True,
    )

    message = next(str(m) for m in page.context["messages"] if "token A" in str(m))
    token_a = message.split("token A ")[1].split(" ")[0]
    platform.refresh_from_db()
    assert platform.status == Platform.Status.INVITED
    assert platform.incoming_token_is_registration
    assert platform.incoming_token_matches(token_a)


def run_action(admin_client, action: str, platform, **data):
    return admin_client.post(
        reverse("admin:roaming_platform_changelist"),
        {"action": action, "_selected_action": [platform.pk], **data},
        follow=True,
    )


def shown(page) -> list[str]:
    return [str(m) for m in page.context["messages"]]


def test_issue_token_a_is_refused_for_a_connected_platform(admin_client):
    platform = PlatformFactory(connected=True, token="token-c")

    page = run_action(admin_client, "issue_token_a", platform)

    assert any("unregister it" in m for m in shown(page))
    platform.refresh_from_db()
    assert platform.incoming_token_matches("token-c")


@pytest.mark.django_db(transaction=True)
def test_register_action_asks_for_url_and_token_a_then_connects(
    admin_client, hub_simulator, live_server, settings
):
    settings.OCPI_BASE_URL = f"{live_server.url}/ocpi"
    OperatorFactory()
    platform = PlatformFactory(name="IOP", status=Platform.Status.INVITED)

    form = run_action(admin_client, "register_to_platform", platform)
    done = run_action(
        admin_client,
        "register_to_platform",
        platform,
        apply="1",
        versions_url=hub_simulator.versions_url,
        token_a="hub-token-a",
    )

    assert "Their token A" in form.content.decode()
    assert shown(done)[0].startswith("IOP: registered. ")
    # Gireve §3.3: the whole EVCI is queued with the connection (tests/roaming/test_recovery.py).
    assert "Initial full push (tariffs, then locations): " in shown(done)[0]
    platform.refresh_from_db()
    assert platform.status == Platform.Status.CONNECTED
    assert platform.outgoing_token == hub_simulator.token
    assert "hub-token-a" not in done.content.decode()


def test_register_action_with_unreachable_hub_says_why_and_changes_nothing(admin_client):
    OperatorFactory()
    platform = PlatformFactory(name="IOP", status=Platform.Status.INVITED)

    page = run_action(
        admin_client,
        "register_to_platform",
        platform,
        apply="1",
        versions_url="http://127.0.0.1:9/ocpi/versions",
        token_a="whatever",
    )

    message = next(m for m in shown(page) if "IOP" in m)
    assert "not registered (3001)" in message and "Nothing changed" in message
    platform.refresh_from_db()
    assert platform.status == Platform.Status.INVITED


def test_check_connection_and_unregister_actions_against_the_hub(
    admin_client, connected_hub, hub_simulator
):
    checked = run_action(admin_client, "check_connection", connected_hub)
    hub_simulator.set_fault("down")
    refused = run_action(admin_client, "unregister_platforms", connected_hub)
    hub_simulator.set_fault(None)
    unregistered = run_action(admin_client, "unregister_platforms", connected_hub)

    assert any("reachable" in m for m in shown(checked))
    assert any("not unregistered" in m for m in shown(refused))
    assert hub_simulator.unregistered
    assert any("unregistered." in m for m in shown(unregistered))
    connected_hub.refresh_from_db()
    assert connected_hub.status == Platform.Status.UNREGISTERED


def test_message_log_is_searchable_by_correlation_id_object_and_party_and_read_only(
    admin_client,
):
    wanted = MessageLogFactory(correlation_id="corr-wanted", object_id="LOC9", party="DE*TNM")
    MessageLogFactory(correlation_id="corr-other", object_id="LOC1", party="NL*ALL")
    url = reverse("admin:roaming_messagelog_changelist")

    by_correlation = admin_client.get(url, {"q": "corr-wanted"})
    by_object = admin_client.get(url, {"q": "LOC9"})
    by_party = admin_client.get(url, {"q": "DE*TNM"})
    change = admin_client.post(
        reverse("admin:roaming_messagelog_change", args=[wanted.pk]), {"method": "DELETE"}
    )

    assert list(by_correlation.context["cl"].result_list) == [wanted]
    assert list(by_object.context["cl"].result_list) == [wanted]
    assert list(by_party.context["cl"].result_list) == [wanted]
    assert change.status_code == 403


def platform_form(**overrides) -> dict:
    data = {
        "name": "IOP",
        "page_limits": '{"locations": 100}',
        "session_update_method": "PATCH",
        "connect_timeout": "5",
        "read_timeout": "30",
        "verify_tls": "on",
        "client_certificate": "",
        "client_key": "",
        "ip_allowlist": "[]",
        "endpoints-TOTAL_FORMS": "0",
        "endpoints-INITIAL_FORMS": "0",
    }
    return data | overrides


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("page_limits", '{"locations": "many"}', "positive page size"),
        ("ip_allowlist", '["not-an-ip"]', "addresses or networks"),
        ("read_timeout", "0", "more than 0"),
        ("client_key", "/etc/ocpi/key.pem", "needs its certificate"),
    ],
)
def test_platform_options_are_validated_with_a_readable_message(admin_client, field, value, error):
    platform = PlatformFactory(name="IOP")
    url = reverse("admin:roaming_platform_change", args=[platform.pk])

    page = admin_client.post(url, platform_form(**{field: value}))

    assert page.status_code == 200  # the form again, with the error
    assert error in page.content.decode()
    platform.refresh_from_db()
    assert platform.page_limits == {} and platform.read_timeout == 30.0


def test_platform_options_are_saved_when_valid(admin_client):
    platform = PlatformFactory(name="IOP")
    url = reverse("admin:roaming_platform_change", args=[platform.pk])

    page = admin_client.post(
        url, platform_form(ip_allowlist='["192.0.2.10", "198.51.100.0/24"]', read_timeout="12")
    )

    assert page.status_code == 302
    platform.refresh_from_db()
    assert platform.page_limits == {"locations": 100}
    assert platform.ip_allowlist == ["192.0.2.10", "198.51.100.0/24"]
    assert platform.read_timeout == 12.0
