"""Optional coalescing (Platform.coalesce_pushes): fewer requests, never another order."""

import pytest

from roaming.outbox import delivery, services
from roaming.outbox.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def coalescing_hub(connected_hub):
    connected_hub.coalesce_pushes = True
    connected_hub.save()
    return connected_hub


def _queue(platform, method, path, body, *, module="locations", key="location:1"):
    return services.enqueue(
        platform=platform,
        stream_key=key,
        module=module,
        method=method,
        path=path,
        body=body,
        object_id=path.rsplit("/", 1)[-1],
    )


def _status(platform, status, evse="E1"):
    body = {"status": status, "last_updated": "2026-01-01T12:00:00Z"}
    return _queue(platform, "PATCH", f"/FR/AB1/LOC1/{evse}", body)


LOCATION = {"id": "LOC1", "evses": [{"uid": "E1", "status": "AVAILABLE"}, {"uid": "E2"}]}


def _sent(hub_simulator, module="locations"):
    return [(r.method, r.path.split(f"/{module}", 1)[1]) for r in hub_simulator.requests_to(module)]


@pytest.fixture
def hub_has_location(coalescing_hub, hub_simulator):
    """LOC1 with E1 and E2 delivered; the recorder starts empty after it."""
    put = _queue(coalescing_hub, "PUT", "/FR/AB1/LOC1", LOCATION)
    delivery.deliver_stream(put.stream_id)
    hub_simulator.received.clear()
    Message.objects.all().delete()


def test_whole_put_supersedes_earlier_patches_and_order_is_kept(
    coalescing_hub, hub_has_location, hub_simulator
):
    _status(coalescing_hub, "CHARGING")
    _status(coalescing_hub, "AVAILABLE", evse="E2")
    _queue(coalescing_hub, "PUT", "/FR/AB1/LOC1", LOCATION)
    last = _status(coalescing_hub, "OUTOFORDER")
    delivery.deliver_stream(last.stream_id)
    assert _sent(hub_simulator) == [("PUT", "/FR/AB1/LOC1"), ("PATCH", "/FR/AB1/LOC1/E1")]
    states = list(Message.objects.order_by("pk").values_list("state", flat=True))
    assert states == ["SUPERSEDED", "SUPERSEDED", "DELIVERED", "DELIVERED"]
    assert Message.objects.filter(state="SUPERSEDED", superseded_by__method="PUT").count() == 2


def test_a_status_equal_to_the_last_delivered_one_is_not_sent_again(
    coalescing_hub, hub_has_location, hub_simulator
):
    first = _status(coalescing_hub, "CHARGING")
    delivery.deliver_stream(first.stream_id)
    _status(coalescing_hub, "CHARGING")  # Gireve §2.1.6: never the same status twice in a row
    _status(coalescing_hub, "AVAILABLE", evse="E2")
    delivery.deliver_stream(first.stream_id)
    assert [path for _, path in _sent(hub_simulator)] == ["/FR/AB1/LOC1/E1", "/FR/AB1/LOC1/E2"]


def test_tariff_descriptions_of_one_id_never_supersede_each_other(coalescing_hub, hub_simulator):
    def put(target=None, price="0.25"):
        body = {"id": "T1", "elements": [{"price_components": [{"price": price}]}]}
        if target:
            body |= {"target_operator_country_code": "FR", "target_operator_party_id": target}
        return _queue(coalescing_hub, "PUT", "/FR/AB1/T1", body, module="tariffs", key="tariff:T1")

    put()
    put(target="ABC")
    last = put(price="0.30")  # supersedes the first default only
    delivery.deliver_stream(last.stream_id)
    sent = [r.json for r in hub_simulator.requests_to("tariffs")]
    assert [(b.get("target_operator_party_id"), b["elements"]) for b in sent] == [
        ("ABC", [{"price_components": [{"price": "0.25"}]}]),
        (None, [{"price_components": [{"price": "0.30"}]}]),
    ]


def test_without_the_option_every_message_is_sent_in_order(connected_hub, hub_simulator):
    _queue(connected_hub, "PUT", "/FR/AB1/LOC1", LOCATION)
    _status(connected_hub, "CHARGING")
    _status(connected_hub, "CHARGING")
    last = _queue(connected_hub, "PUT", "/FR/AB1/LOC1", LOCATION)
    delivery.deliver_stream(last.stream_id)
    assert [method for method, _ in _sent(hub_simulator)] == ["PUT", "PATCH", "PATCH", "PUT"]
