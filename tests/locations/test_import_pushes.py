"""The bulk import queues what saving each location through locations.services queued."""

import copy
import json
from pathlib import Path

import pytest

from locations import push
from locations.models import Location
from locations.ocpi import location_to_hub
from locations.services import import_locations, save_location
from roaming.outbox.models import Message, Stream
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory, OperatorFactory

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "ocpi_examples"


def _queued() -> list[tuple]:
    return [
        (m.stream.key, m.method, m.path, m.body)
        for m in Message.objects.filter(state=Message.State.PENDING).order_by("pk")
    ]


def _memos() -> dict:
    return dict(Stream.objects.values_list("key", "memo"))


def _shared_location(operator, ocpi_id: str) -> Location:
    location = LocationFactory(operator=operator, ocpi_id=ocpi_id)
    ConnectorFactory(evse=EVSEFactory(location=location, uid=f"{ocpi_id}1"))
    return save_location(location=location)


def test_import_queues_the_messages_of_the_per_location_path(connected_hub):
    """Streams, methods, paths, bodies and memos equal those of location_changed called
    for each imported location, in file order (the per-object path's push)."""
    operator = OperatorFactory(country_code="BE", party_id="BEC", name="BeCharged")
    synced = _shared_location(operator, "KEPT")  # the hub has it; updated by the file
    going = _shared_location(operator, "GOING")  # the hub has it; the file clears its owner
    hidden = _shared_location(operator, "HIDDEN")  # the hub has it; the file unpublishes it
    Message.objects.update(state=Message.State.DELIVERED)
    exported = {loc.ocpi_id: location_to_hub(loc) for loc in (synced, going, hidden)}
    exported["KEPT"]["name"] = "Renamed"
    exported["GOING"].pop("owner")
    exported["HIDDEN"]["publish"] = False
    new = json.loads((EXAMPLES / "location_example.json").read_text())
    never = copy.deepcopy(new)  # new and incomplete (no owner): never sent
    never["id"] = "NEVER"
    for evse in never["evses"]:
        evse["evse_id"] += "9"
    new["owner"] = {"name": "Stad Gent"}  # new and complete
    data = [exported["KEPT"], new, exported["GOING"], never, exported["HIDDEN"]]
    memos_before = _memos()

    import_locations(copy.deepcopy(data))
    bulk, bulk_memos = _queued(), _memos()

    Message.objects.filter(state=Message.State.PENDING).delete()
    for key, memo in memos_before.items():
        Stream.objects.filter(key=key).update(memo=memo)
    for obj in data:
        push.location_changed(Location.objects.get(ocpi_id__iexact=obj["id"]))
    assert bulk == _queued()
    assert bulk_memos == _memos()
    # And they are what the hub needs: four PUTs, the two that stop being shared withdrawn.
    assert [(key, body["id"], body["publish"]) for key, _, _, body in bulk] == [
        (f"location:{Location.objects.get(ocpi_id=i).pk}", i, published)
        for i, published in [("KEPT", True), ("LOC1", True), ("GOING", False), ("HIDDEN", False)]
    ]


def test_import_cannot_take_tariffs_from_an_evse_the_hub_holds(connected_hub):
    """Issue 19.1: as save_evse, the file is refused (the hub would keep a frozen copy)."""
    from roaming.ocpi_io import ImportRefused

    operator = OperatorFactory(country_code="BE", party_id="BEC", name="BeCharged")
    shared = _shared_location(operator, "HELD")
    Message.objects.update(state=Message.State.DELIVERED)
    data = location_to_hub(shared)
    for connector in data["evses"][0]["connectors"]:
        connector.pop("tariff_ids")
    with pytest.raises(ImportRefused) as refused:
        import_locations(copy.deepcopy(data))
    assert "location HELD, EVSE HELD1: tariff_ids: the hub holds this EVSE" in str(
        refused.value.errors
    )
    assert shared.evses.get().tariff_ids == ["AC_STANDARD"] and _queued() == []

    Stream.objects.update(memo={"synced": False})  # withdrawn: the hub shows nothing of it
    import_locations(copy.deepcopy(data))
    assert shared.evses.get().tariff_ids == []


def test_reimporting_what_the_hub_holds_queues_nothing(connected_hub):
    """Issue 19.7: a file that changes nothing sends nothing; a changed location is sent."""
    operator = OperatorFactory(country_code="BE", party_id="BEC", name="BeCharged")
    same, renamed = _shared_location(operator, "SAME"), _shared_location(operator, "RENAMED")
    Message.objects.update(state=Message.State.DELIVERED)
    data = [location_to_hub(same), location_to_hub(renamed)]
    import_locations(copy.deepcopy(data))
    assert _queued() == []

    data[1]["name"] = "Renamed"
    import_locations(copy.deepcopy(data))
    [(key, method, _, body)] = _queued()
    assert (key, method, body["name"]) == (f"location:{renamed.pk}", "PUT", "Renamed")
