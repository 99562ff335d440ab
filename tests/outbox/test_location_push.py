"""What locations push to the hub, written in the transaction of each change (locations.push)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from py_ocpi.modules.locations.v_2_2_1.schemas import (
    ConnectorPartialUpdate,
    EVSEPartialUpdate,
)
from py_ocpi.modules.locations.v_2_2_1.schemas import Location as PydanticLocation

from locations import push, services
from locations.models import EVSE, Connector, Location
from locations.ocpi import evse_to_ocpi, location_to_hub, location_to_ocpi
from locations.selectors import locations_for_ocpi
from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory

pytestmark = pytest.mark.django_db


def _location(evses=2):
    location = LocationFactory()
    for n in range(evses):
        ConnectorFactory(evse=EVSEFactory(location=location, uid=f"E{n + 1}"))
    return location


def _ours(location):
    return location_to_ocpi(locations_for_ocpi(Location.objects.filter(pk=location.pk)).get())


def _queued():
    return [
        (m.method, m.path, m.body)
        for m in Message.objects.filter(state=Message.State.PENDING).order_by("pk")
    ]


def _shared(connected_hub):
    """A location the hub already has (its whole PUT queued and delivered)."""
    location = _location()
    services.save_location(location=location)
    Message.objects.update(state=Message.State.DELIVERED)
    return location


def test_new_location_is_put_whole_and_valid_ocpi(connected_hub):
    location = _location()
    services.save_location(location=location)
    [(method, path, body)] = _queued()
    cc, pid = location.operator.country_code, location.operator.party_id
    assert (method, path) == ("PUT", f"/{cc}/{pid}/{location.ocpi_id}")
    assert body == _ours(location)
    PydanticLocation(**body)
    assert Stream.objects.get().memo == {"synced": True}


def test_nothing_is_queued_without_a_connected_hub():
    services.save_location(location=_location())
    assert not Message.objects.exists()


def test_status_change_is_one_patch_and_never_repeated(connected_hub):
    location = _shared(connected_hub)
    evse = location.evses.get(uid="E1")
    services.set_evse_status(evse=evse, status="CHARGING")
    services.set_evse_status(evse=evse, status="CHARGING")
    [(method, path, body)] = _queued()
    evse.refresh_from_db()
    assert method == "PATCH" and path.endswith(f"/{location.ocpi_id}/E1")
    assert body == {"status": "CHARGING", "last_updated": evse_to_ocpi(evse)["last_updated"]}
    EVSEPartialUpdate(**body)


def test_removed_evse_is_patched_removed(connected_hub):
    location = _shared(connected_hub)
    services.remove_evse(evse=location.evses.get(uid="E2"))
    [(method, path, body)] = _queued()
    assert (method, body["status"]) == ("PATCH", "REMOVED") and path.endswith("/E2")


def test_tariff_change_patches_every_connector_of_the_evse(connected_hub):
    location = _shared(connected_hub)
    evse = location.evses.get(uid="E1")
    ConnectorFactory(evse=evse, ocpi_id="2")
    evse.tariff_ids = ["AC_PREMIUM"]
    services.save_evse(evse=evse)
    queued = _queued()
    assert [(m, p.rsplit("/", 2)[-2:]) for m, p, _ in queued] == [
        ("PATCH", ["E1", "1"]),
        ("PATCH", ["E1", "2"]),
    ]
    evse.refresh_from_db()
    for _, _, body in queued:
        ConnectorPartialUpdate(**body)
        assert body["tariff_ids"] == ["AC_PREMIUM"]
    connector_dates = {c["last_updated"] for c in evse_to_ocpi(evse)["connectors"]}
    assert {body["last_updated"] for _, _, body in queued} == connector_dates


def test_static_evse_change_puts_the_whole_evse(connected_hub):
    location = _shared(connected_hub)
    evse = location.evses.get(uid="E1")
    evse.physical_reference = "Bay 4"
    evse.status = "BLOCKED"
    services.save_evse(evse=evse)
    [(method, path, body)] = _queued()
    assert method == "PUT" and path.endswith("/E1")
    assert body["physical_reference"] == "Bay 4" and body["status"] == "BLOCKED"
    assert body == evse_to_ocpi(EVSE.objects.get(pk=evse.pk))


def test_connector_change_puts_its_evse(connected_hub):
    location = _shared(connected_hub)
    connector = Connector.objects.get(evse__location=location, evse__uid="E2")
    connector.max_amperage = 16
    connector.max_electric_power = 11000  # 230 V x 16 A x 3 phases (Connector.clean checks)
    services.save_connector(connector=connector)
    [(method, path, body)] = _queued()
    assert method == "PUT" and path.endswith("/E2")
    assert body["connectors"][0]["max_amperage"] == 16


def test_incomplete_evse_is_held_back_and_its_location_stays_shared(connected_hub):
    """Issue 19.1: an EVSE without connector or tariff is not sent and withdraws nothing;
    once complete it is PUT on its own."""
    location = _shared(connected_hub)
    evse_id = f"{location.operator.emi3_id}*EE3"
    new_evse = EVSE(location=location, uid="E3", evse_id=evse_id, capabilities=["RFID_READER"])
    services.save_evse(evse=new_evse)  # no connector, no tariff yet: Gireve cannot take it
    services.save_connector(connector=ConnectorFactory.build(evse=new_evse))
    services.set_evse_status(evse=new_evse, status="CHARGING")
    services.set_evse_status(evse=location.evses.get(uid="E1"), status="CHARGING")
    [(method, path, body)] = _queued()
    assert (method, path.rsplit("/", 1)[-1], body["status"]) == ("PATCH", "E1", "CHARGING")
    assert Stream.objects.get().memo == {"synced": True}
    hub_copy = location_to_hub(locations_for_ocpi(Location.objects.filter(pk=location.pk)).get())
    assert [e["uid"] for e in hub_copy["evses"]] == ["E1", "E2"]

    new_evse.refresh_from_db()
    new_evse.tariff_ids = ["AC_STANDARD"]
    services.save_evse(evse=new_evse)
    [_, (method, path, body)] = _queued()
    assert (method, path.rsplit("/", 2)[-2:]) == ("PUT", [location.ocpi_id, "E3"])
    assert body == evse_to_ocpi(EVSE.objects.get(pk=new_evse.pk))
    assert body["status"] == "CHARGING" and body["connectors"][0]["tariff_ids"]
    EVSEPartialUpdate(**body)


def test_location_with_only_incomplete_evses_is_put_without_them(connected_hub):
    location = _location(evses=0)
    EVSEFactory(location=location, uid="BARE", tariff_ids=[])
    services.save_location(location=location)
    [(method, _, body)] = _queued()
    assert method == "PUT" and body["publish"] is True and body["evses"] == []
    PydanticLocation(**body)


def test_evse_the_hub_holds_cannot_lose_its_tariffs_or_last_connector(connected_hub):
    """Issue 19.1: the hub would keep showing it as it was; refused, nothing changes."""
    location = _shared(connected_hub)
    evse = location.evses.get(uid="E1")
    evse.tariff_ids = []
    with pytest.raises(ValidationError) as refused:
        services.save_evse(evse=evse)
    assert "tariff_ids" in refused.value.message_dict
    assert "on the hub" in refused.value.message_dict["tariff_ids"][0]
    with pytest.raises(ValidationError, match="last connector"):
        services.delete_connector(connector=evse.connectors.get())
    assert EVSE.objects.get(pk=evse.pk).tariff_ids == ["AC_STANDARD"]
    assert evse.connectors.count() == 1 and _queued() == []


def test_withdrawn_location_lets_its_evses_become_incomplete(connected_hub):
    location = _shared(connected_hub)
    services.unpublish_locations(locations=[location])
    evse = location.evses.get(uid="E1")
    evse.tariff_ids = []
    services.save_evse(evse=evse)
    assert EVSE.objects.get(pk=evse.pk).tariff_ids == []
    [(method, _, withdrawal)] = _queued()  # the hub holds it withdrawn, then nothing
    assert method == "PUT" and withdrawal["publish"] is False


def test_unchanged_saves_queue_nothing_and_keep_last_updated(connected_hub):
    """Issue 19.7: only a change the hub could see is sent."""
    location = _shared(connected_hub)
    stamp = Location.objects.get(pk=location.pk).last_updated
    services.save_location(location=Location.objects.get(pk=location.pk))
    evse = EVSE.objects.get(location=location, uid="E1")
    services.save_evse(evse=evse)
    services.save_connector(connector=evse.connectors.get())
    assert _queued() == []
    assert Location.objects.get(pk=location.pk).last_updated == stamp

    location.refresh_from_db()
    location.advenir_reporting = True  # not part of OCPI: saved, not sent
    services.save_location(location=location)
    assert _queued() == [] and Location.objects.get(pk=location.pk).advenir_reporting
    location.name = "Renamed"
    services.save_location(location=location)
    [(method, _, body)] = _queued()
    assert method == "PUT" and body["name"] == "Renamed"


def test_unchanged_save_still_sends_a_location_the_hub_lacks(connected_hub):
    location = _location()  # written without the services: the hub has nothing yet
    services.save_location(location=location)
    [(method, _, body)] = _queued()
    assert method == "PUT" and body == _ours(location)


def test_location_made_incomplete_is_withdrawn_then_put_whole_when_complete(connected_hub):
    """Issue 9.7: the hub must not keep a published copy whose statuses freeze."""
    location = _shared(connected_hub)
    owner = location.owner
    location.owner = None
    services.save_location(location=location)
    [(method, path, withdrawn)] = _queued()
    assert (method, path.rsplit("/", 1)[-1]) == ("PUT", location.ocpi_id)
    assert withdrawn == {**_ours(location), "publish": False}
    services.set_evse_status(evse=location.evses.get(uid="E1"), status="CHARGING")
    assert len(_queued()) == 1  # then silent until complete
    assert push.hub_state(location) == (
        "Withdrawn from the hub (sent with publish=false). Sent whole once complete for Gireve."
    )

    location.owner = owner
    services.save_location(location=location)
    [_, (method, _, body)] = _queued()
    assert method == "PUT" and body == _ours(location) and body["publish"] is True
    assert body["evses"][0]["status"] == "CHARGING"
    assert push.hub_state(location) == "On the hub: every change is pushed."


def test_unpublished_location_is_withdrawn_once_then_silent(connected_hub):
    location = _shared(connected_hub)
    services.unpublish_locations(locations=[location])
    services.set_evse_status(evse=location.evses.get(uid="E1"), status="CHARGING")
    location.refresh_from_db()
    location.name = "Renamed while unpublished"
    services.save_location(location=location)
    [(method, _, body)] = _queued()
    assert method == "PUT" and body["publish"] is False
    PydanticLocation(**body)

    location.publish = True
    services.save_location(location=location)
    (method, _, body) = _queued()[-1]
    assert method == "PUT" and body["publish"] is True
    assert body["name"] == "Renamed while unpublished"


def test_unpublished_location_never_pushed_is_not_withdrawn(connected_hub):
    location = _location()
    location.publish = False
    services.save_location(location=location)
    assert _queued() == []


def test_failed_change_queues_nothing(connected_hub):
    location = _shared(connected_hub)
    evse = location.evses.get(uid="E1")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.set_evse_status(evse=evse, status="CHARGING")
        raise RuntimeError("later step of the same change failed")
    assert _queued() == []


def test_changes_reach_the_hub_object_as_we_have_it(connected_hub, hub_simulator):
    location = _location()
    services.save_location(location=location)
    services.set_evse_status(evse=location.evses.get(uid="E1"), status="CHARGING")
    evse2 = location.evses.get(uid="E2")
    evse2.tariff_ids = ["AC_NIGHT", "AC_DAY"]
    services.save_evse(evse=evse2)
    services.remove_evse(evse=location.evses.get(uid="E1"))
    stream = Stream.objects.get()
    assert delivery.deliver_stream(stream.pk) == 4
    cc, pid = location.operator.country_code, location.operator.party_id
    theirs = hub_simulator.objects[f"locations/{cc}/{pid}/{location.ocpi_id}"]
    assert theirs == _ours(location)  # last_updated of parents included (mod_locations)


def test_push_all_queues_every_shared_location_in_their_streams(connected_hub, capsys):
    shared = [_location(), _location()]
    hidden = _location()
    Location.objects.filter(pk=hidden.pk).update(publish=False)
    incomplete = _location()
    Location.objects.filter(pk=incomplete.pk).update(gireve_missing=["owner.name"])
    call_command("ocpi_push_all", connected_hub.name, "--module", "locations")
    assert "locations: 2 object(s) queued" in capsys.readouterr().out
    streams = Stream.objects.order_by("key")
    assert sorted(s.key for s in streams) == sorted(f"location:{loc.pk}" for loc in shared)
    assert all(s.memo == {"synced": True} for s in streams)
    for location in shared:
        message = Message.objects.get(stream__key=f"location:{location.pk}")
        assert message.method == "PUT" and message.body == _ours(location)


def test_push_all_refuses_an_unknown_or_unconnected_platform(connected_hub):
    with pytest.raises(CommandError, match="No platform named"):
        call_command("ocpi_push_all", "nobody")
    connected_hub.status = "SUSPENDED"
    connected_hub.save()
    with pytest.raises(CommandError, match="not CONNECTED"):
        call_command("ocpi_push_all", connected_hub.name)
    assert not Message.objects.exists()
