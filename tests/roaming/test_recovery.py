"""Connecting to the hub, either way, pushes the whole EVCI, and a platform forgotten locally
comes back (issue 19.5, 19.6), against the hub simulator over real HTTP.

Gireve §3.3: once connected, the CPO pushes its EVCI: tariffs first (connectors name their
ids, §3.5.3), then locations. "Forget locally" tells the hub nothing, so it asks first.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from locations import services as location_services
from roaming import registration
from roaming.models import Platform
from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from tariffs import services as tariff_services
from tests.factories import (
    ConnectorFactory,
    LocationFactory,
    OperatorFactory,
    PlatformFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ocpi_url(live_server, settings):
    settings.OCPI_BASE_URL = f"{live_server.url}/ocpi"
    return settings.OCPI_BASE_URL


@pytest.fixture
def evci():
    """One shared tariff and one location using it, made before any hub is connected."""
    operator = OperatorFactory(country_code="FR", party_id="AB1", name="Alpha")
    tariff = tariff_services.save_tariff(tariff=TariffFactory.build(operator=operator))
    location = LocationFactory(operator=operator, ocpi_id="PAR-1")
    ConnectorFactory(evse__location=location, evse__tariff_ids=[tariff.ocpi_id])
    location_services.save_location(location=location)
    assert not Message.objects.exists()  # nobody to push to yet
    return tariff, location


def deliver_all() -> None:
    """Every queued push reaches the hub, stream after stream in the order they were made."""
    for stream in Stream.objects.order_by("pk"):
        while delivery.deliver_stream(stream.pk):
            pass


def pushed(hub, *modules: str) -> list[str]:
    """What the hub received from us of `modules`, in order: "PUT tariffs/FR/AB1/T1"."""
    prefixes = tuple(f"/ocpi/2.2.1/{module}" for module in modules or ("tariffs", "locations"))
    return [
        f"{r.method} {r.path.removeprefix('/ocpi/2.2.1/')}"
        for r in hub.received
        if r.path.startswith(prefixes)
    ]


def run_action(client, action: str, platform, **data):
    return client.post(
        reverse("admin:roaming_platform_changelist"),
        {"action": action, "_selected_action": [platform.pk], **data},
        follow=True,
    )


def register_with_hub(admin_client, platform, hub):
    return run_action(
        admin_client,
        "register_to_platform",
        platform,
        apply="1",
        versions_url=hub.versions_url,
        token_a=hub.registration_token,
    )


def messages_of(page) -> list[str]:
    return [str(m) for m in page.context["messages"]]


def test_register_to_hub_queues_tariffs_then_locations_and_says_so(
    admin_client, ocpi_url, hub_simulator, evci
):
    tariff, location = evci
    platform = PlatformFactory(name="IOP", status=Platform.Status.NEW)

    done = register_with_hub(admin_client, platform, hub_simulator)
    deliver_all()

    assert messages_of(done)[0].startswith(
        "IOP: registered. Initial full push (tariffs, then locations): tariffs 1, locations 1"
    )
    assert pushed(hub_simulator) == [
        f"PUT tariffs/FR/AB1/{tariff.ocpi_id}",
        "PUT locations/FR/AB1/PAR-1",
    ]
    entry = LogEntry.objects.get(change_message__startswith="Initial full push queued")
    assert entry.change_message == "Initial full push queued: tariffs 1, locations 1"
    assert entry.user.username == "admin" and entry.object_id == str(platform.pk)
    page = admin_client.get(reverse("admin:roaming_platform_change", args=[platform.pk]))
    assert "initial full push" in page.content.decode().lower()
    assert "tariffs 1, locations 1 (queued " in page.content.decode()


def test_hub_registering_with_us_gets_tariffs_then_locations(ocpi_url, hub_simulator, evci):
    tariff, _ = evci
    _, token_a = registration.invite(name="IOP")

    answer = hub_simulator.register_with(f"{ocpi_url}/versions", token_a)
    deliver_all()

    assert answer["status_code"] == 1000
    assert pushed(hub_simulator) == [
        f"PUT tariffs/FR/AB1/{tariff.ocpi_id}",
        "PUT locations/FR/AB1/PAR-1",
    ]
    entry = LogEntry.objects.get(change_message__startswith="Initial full push queued")
    assert entry.change_message == (
        "Initial full push queued: tariffs 1, locations 1 — by platform IOP (Register FromIOP)"
    )


def test_registration_with_a_hub_taking_neither_tariffs_nor_locations_says_why(
    ocpi_url, hub_simulator, evci
):
    hub_simulator_endpoints = hub_simulator.endpoints
    hub_simulator.endpoints = lambda: [
        e for e in hub_simulator_endpoints() if e["identifier"] not in ("tariffs", "locations")
    ]
    _, token_a = registration.invite(name="IOP")

    answer = hub_simulator.register_with(f"{ocpi_url}/versions", token_a)

    assert answer["status_code"] == 1000
    assert not Message.objects.exists()
    entry = LogEntry.objects.get(change_message__startswith="Initial full push queued")
    assert "none: " in entry.change_message and "RECEIVER endpoint" in entry.change_message


def test_forget_locally_asks_first_naming_the_consequence(admin_client, connected_hub):
    asked = run_action(admin_client, "forget_platforms", connected_hub)

    page = asked.content.decode()
    assert "stop working" in page and "they are not told" in page
    assert "Register with it" in page  # how to come back
    connected_hub.refresh_from_db()
    assert connected_hub.status == Platform.Status.CONNECTED  # asking changes nothing
    assert not LogEntry.objects.exists()

    done = run_action(admin_client, "forget_platforms", connected_hub, apply="1")

    assert "unregistered locally" in messages_of(done)[0]
    connected_hub.refresh_from_db()
    assert connected_hub.status == Platform.Status.UNREGISTERED
    assert LogEntry.objects.get().change_message == "Platform forgotten locally"


def test_after_forget_register_with_it_again_works_and_waiting_pushes_resume(
    admin_client, ocpi_url, hub_simulator, evci
):
    tariff, location = evci
    platform = PlatformFactory(name="IOP", status=Platform.Status.NEW)
    register_with_hub(admin_client, platform, hub_simulator)
    deliver_all()
    location.name = "Parking Rivoli"  # a change the hub has not received yet
    location_services.save_location(location=location)

    run_action(admin_client, "forget_platforms", platform, apply="1")
    again = register_with_hub(admin_client, platform, hub_simulator)
    deliver_all()

    # Issue 19.5: the hub reading our versions during the handshake was answered 401.
    assert messages_of(again)[0].startswith("IOP: registered.")
    platform.refresh_from_db()
    assert platform.status == Platform.Status.CONNECTED
    # Each stream in order: the first push, the change that waited, the initial push again.
    assert pushed(hub_simulator, "tariffs") == [f"PUT tariffs/FR/AB1/{tariff.ocpi_id}"] * 2
    locations = pushed(hub_simulator, "locations")
    assert locations[0] == locations[-1] == "PUT locations/FR/AB1/PAR-1"
    assert len(locations) == 3 and "PAR-1" in locations[1]
    assert hub_simulator.objects["locations/FR/AB1/PAR-1"]["name"] == "Parking Rivoli"
    assert not Message.objects.filter(state=Message.State.PENDING).exists()


def test_after_forget_the_hub_registers_with_us_again(admin_client, ocpi_url, hub_simulator, evci):
    tariff, _ = evci
    platform, token_a = registration.invite(name="IOP")
    assert hub_simulator.register_with(f"{ocpi_url}/versions", token_a)["status_code"] == 1000
    run_action(admin_client, "forget_platforms", platform, apply="1")

    # Their old token is refused now; a new token A lets them register again.
    assert hub_simulator.call("GET", f"{ocpi_url}/2.2.1/credentials").status_code == 401
    _, token_a = registration.invite(name="IOP")
    answer = hub_simulator.register_with(f"{ocpi_url}/versions", token_a)
    deliver_all()

    assert answer["status_code"] == 1000
    platform.refresh_from_db()
    assert platform.status == Platform.Status.CONNECTED
    assert hub_simulator.call("GET", f"{ocpi_url}/2.2.1/credentials").status_code == 200
    # The first registration's initial push, then this one's, per stream.
    assert pushed(hub_simulator, "tariffs") == [f"PUT tariffs/FR/AB1/{tariff.ocpi_id}"] * 2
    assert pushed(hub_simulator, "locations") == ["PUT locations/FR/AB1/PAR-1"] * 2
