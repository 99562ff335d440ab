"""Tariffs over OCPI: the sender (GET list), pushes to the hub and EVSE tariff groups."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from py_ocpi.modules.tariffs.v_2_2_1.schemas import Tariff as PydanticTariff

from locations import services as location_services
from locations.models import Location
from roaming.ocpi_json import loads as parse_json
from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from tariffs import push, selectors, services
from tariffs.models import Tariff
from tariffs.ocpi import tariff_to_ocpi
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    OperatorFactory,
    PlatformFactory,
    TariffFactory,
)
from tests.ocpi_api import ocpi_headers
from tests.tariffs.schema import check_tariff

pytestmark = pytest.mark.django_db


def _operator():
    return OperatorFactory(country_code="FR", party_id="CPO")


def _save(**fields) -> Tariff:
    return services.save_tariff(tariff=TariffFactory.build(operator=_operator(), **fields))


def _three_descriptions():
    """Gireve §3.10.4 example: tariff_A, default 0,80 €/h, DE*MP1 0,50 €/h, NL*MP2 0,10 €/kWh."""
    hourly = [{"price_components": [{"type": "TIME", "price": "0.80", "step_size": 60}]}]
    return [
        _save(ocpi_id="tariff_A", elements=hourly),
        _save(
            ocpi_id="tariff_A",
            target_operator_country_code="DE",
            target_operator_party_id="MP1",
            elements=[{"price_components": [{"type": "TIME", "price": "0.50", "step_size": 60}]}],
        ),
        _save(
            ocpi_id="tariff_A",
            target_operator_country_code="NL",
            target_operator_party_id="MP2",
            elements=[{"price_components": [{"type": "ENERGY", "price": "0.10", "step_size": 1}]}],
        ),
    ]


def test_sender_lists_every_description_with_pagination(client):
    PlatformFactory(connected=True)
    _three_descriptions()
    _save(ocpi_id="DRAFT", start_date_time=None)  # Gireve §3.10.3: never shared
    OperatorFactory(country_code="FR", party_id="OTH")
    services.save_tariff(tariff=TariffFactory.build(operator=OperatorFactory(party_id="OTH")))

    first = client.get("/ocpi/2.2.1/tariffs?limit=2", **ocpi_headers())
    assert first.status_code == 200
    assert first["X-Total-Count"] == "3" and first["X-Limit"] == "100"
    assert "offset=2" in first["Link"] and 'rel="next"' in first["Link"]
    second = client.get("/ocpi/2.2.1/tariffs?limit=2&offset=2", **ocpi_headers())
    assert "Link" not in second

    items = parse_json(first.content)["data"] + parse_json(second.content)["data"]
    assert [(t["id"], t.get("target_operator_party_id")) for t in items] == [
        ("tariff_A", None),
        ("tariff_A", "MP1"),
        ("tariff_A", "MP2"),
    ]
    assert "target_operator_country_code" not in items[0]  # only on targeted descriptions
    # Amounts are JSON numbers with their exact digits, never strings.
    assert b'"price": 0.80' in first.content and b'"price": 0.50' in first.content
    assert items[2]["elements"][0]["price_components"][0]["price"] == Decimal("0.10")
    for item in items:
        PydanticTariff.parse_raw(json.dumps(item, default=str))
        assert check_tariff(item) == []


def test_sender_filters_on_last_updated(client):
    PlatformFactory(connected=True)
    old, *_ = _three_descriptions()
    Tariff.objects.filter(pk=old.pk).update(last_updated=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    response = client.get("/ocpi/2.2.1/tariffs?date_to=2025-06-01T00:00:00Z", **ocpi_headers())
    assert [t["id"] for t in parse_json(response.content)["data"]] == ["tariff_A"]
    assert response["X-Total-Count"] == "1"


def test_tariff_for_emsp_picks_its_own_description_else_the_default():
    default, for_mp1, _ = _three_descriptions()
    operator = default.operator
    assert selectors.tariff_for_emsp(operator, "TARIFF_A", "de", "mp1") == for_mp1
    assert selectors.tariff_for_emsp(operator, "tariff_A", "BE", "XXX") == default
    assert selectors.tariff_for_emsp(operator, "unknown", "DE", "MP1") is None


def test_pushes_reach_the_hub_in_order(connected_hub, hub_simulator):
    default, for_mp1, _ = _three_descriptions()
    default.tariff_alt_url = "https://cpo.example.com/tariff_A"
    services.save_tariff(tariff=default)
    services.withdraw_tariff(operator=default.operator, tariff_id="TARIFF_A")

    stream = Stream.objects.get()
    assert stream.key == "tariff:FR:CPO:TARIFF_A" and stream.module == "tariffs"
    assert delivery.deliver_stream(stream.pk) == 5
    received = hub_simulator.requests_to("tariffs")
    assert [(r.method, r.path.rsplit("/tariffs", 1)[1]) for r in received] == [
        ("PUT", "/FR/CPO/tariff_A"),
        ("PUT", "/FR/CPO/tariff_A"),
        ("PUT", "/FR/CPO/tariff_A"),
        ("PUT", "/FR/CPO/tariff_A"),
        ("DELETE", "/FR/CPO/tariff_A"),
    ]
    bodies = [r.json for r in received[:4]]
    assert [b.get("target_operator_party_id") for b in bodies] == [None, "MP1", "MP2", None]
    assert bodies[3]["tariff_alt_url"] == "https://cpo.example.com/tariff_A"
    assert bodies[1]["elements"][0]["price_components"][0]["price"] == 0.5
    for body in bodies:
        PydanticTariff(**body)
    assert "tariffs/FR/CPO/tariff_A" not in hub_simulator.objects
    assert set(Message.objects.values_list("state", flat=True)) == {"DELIVERED"}


def test_drafts_are_never_pushed(connected_hub):
    _save(ocpi_id="DRAFT", start_date_time=None)
    assert not Message.objects.exists()


def test_push_all_queues_every_shared_description(connected_hub, hub_simulator):
    _three_descriptions()
    _save(ocpi_id="DRAFT", start_date_time=None)
    Message.objects.all().delete()
    call_command("ocpi_push_all", connected_hub.name, "--module", "tariffs")
    assert Message.objects.count() == 3
    stream = Stream.objects.get(key=push.stream_key(_operator(), "tariff_A"))
    assert delivery.deliver_stream(stream.pk) == 3
    assert hub_simulator.objects["tariffs/FR/CPO/tariff_A"]["target_operator_party_id"] == "MP2"


# --- EVSE tariff groups ------------------------------------------------------


def _site(operator):
    """One shared location: an AC 22 kW EVSE and a DC 150 kW EVSE (two connectors)."""
    location = LocationFactory(operator=operator)
    ac = EVSEFactory(location=location, uid="AC1", evse_id="FR*CPO*EAC1", tariff_ids=["OLD"])
    ConnectorFactory(evse=ac, ocpi_id="1")
    dc = EVSEFactory(location=location, uid="DC1", evse_id="FR*CPO*EDC1", tariff_ids=["OLD"])
    for n, standard in enumerate(["IEC_62196_T2_COMBO", "CHADEMO"], start=1):
        ConnectorFactory(
            evse=dc,
            ocpi_id=str(n),
            standard=standard,
            format="CABLE",
            power_type="DC",
            max_voltage=920,
            max_amperage=200,
            max_electric_power=150_000,
        )
    location_services.save_location(location=location)
    return location


def test_bulk_assignment_by_power_class_patches_each_connector(connected_hub, hub_simulator):
    operator = _operator()
    _save(ocpi_id="OLD")
    _save(ocpi_id="DC_FAST")
    location = _site(operator)
    for stream in Stream.objects.all():
        delivery.deliver_stream(stream.pk)
    dc_evses = selectors.evses_in_group(operator=operator, power_class_name="DC_ABOVE_50KW")
    assert [e.uid for e in dc_evses] == ["DC1"]

    assert services.assign_tariff_group(evses=dc_evses, tariff_ids=["DC_FAST"]) == 1
    queued = Message.objects.filter(state="PENDING").order_by("pk")
    assert [(m.method, m.path) for m in queued] == [
        ("PATCH", f"/FR/CPO/{location.ocpi_id}/DC1/1"),
        ("PATCH", f"/FR/CPO/{location.ocpi_id}/DC1/2"),
    ]
    delivery.deliver_stream(queued[0].stream_id)
    hub_copy = hub_simulator.objects[f"locations/FR/CPO/{location.ocpi_id}"]
    by_uid = {evse["uid"]: evse for evse in hub_copy["evses"]}
    assert [c["tariff_ids"] for c in by_uid["DC1"]["connectors"]] == [["DC_FAST"], ["DC_FAST"]]
    assert [c["tariff_ids"] for c in by_uid["AC1"]["connectors"]] == [["OLD"]]


def test_bulk_assignment_with_an_unknown_tariff_changes_nothing(connected_hub):
    operator = _operator()
    _save(ocpi_id="OLD")
    location = _site(operator)
    Message.objects.all().delete()
    evses = selectors.evses_in_group(location=location)
    with pytest.raises(Exception, match="FR\\*CPO has no tariff NOPE"):
        services.assign_tariff_group(evses=evses, tariff_ids=["OLD", "NOPE"], add=True)
    assert not Message.objects.exists()
    assert {tuple(e.tariff_ids) for e in location.evses.all()} == {("OLD",)}


def test_assign_screen_and_unknown_tariff_flag_in_location_admin(admin_client, connected_hub):
    operator = _operator()
    _save(ocpi_id="AC_STD")
    location = _site(operator)  # its EVSEs name OLD, which no tariff defines
    page = admin_client.get(f"/admin/locations/location/{location.pk}/change/")
    assert "has no tariff for: OLD" in page.content.decode()
    assert "OLD" in admin_client.get("/admin/locations/location/").content.decode()

    response = admin_client.post(
        "/admin/tariffs/tariff/assign-evses/",
        {"tariff_ids": "AC_STD", "operator": operator.pk, "power_class": "AC_UP_TO_22KW"},
        follow=True,
    )
    assert "1 of 1 EVSE(s) updated" in response.content.decode()
    assert dict(location.evses.values_list("uid", "tariff_ids")) == {
        "AC1": ["AC_STD"],
        "DC1": ["OLD"],
    }
    assert Location.objects.get(pk=location.pk).evses.get(uid="AC1").connectors.count() == 1


def test_tariff_to_ocpi_is_exact():
    tariff = _save(
        ocpi_id="T1",
        min_price={"excl_vat": Decimal("0.50"), "incl_vat": Decimal("0.60")},
        elements=[
            {
                "price_components": [
                    {
                        "type": "ENERGY",
                        "price": Decimal("0.1"),
                        "vat": Decimal("5.5"),
                        "step_size": 1,
                    }
                ],
                "restrictions": {"max_power": Decimal("22.00"), "day_of_week": ["MONDAY"]},
            }
        ],
    )
    tariff.refresh_from_db()
    obj = tariff_to_ocpi(tariff)
    assert obj["min_price"] == {"excl_vat": Decimal("0.50"), "incl_vat": Decimal("0.60")}
    component = obj["elements"][0]["price_components"][0]
    assert list(component) == ["type", "price", "vat", "step_size"]
    assert str(component["price"]) == "0.1" and str(component["vat"]) == "5.5"
    assert str(obj["elements"][0]["restrictions"]["max_power"]) == "22.00"


def test_pushed_amounts_keep_their_exact_digits_end_to_end(connected_hub, hub_simulator):
    """Decimal in the model, in the outbox row and on the wire: 0.80 is sent as 0.80."""
    _three_descriptions()
    message = Message.objects.order_by("pk").first()
    message.refresh_from_db()
    price = message.body["elements"][0]["price_components"][0]["price"]
    assert price == Decimal("0.80") and str(price) == "0.80"
    delivery.deliver_stream(message.stream_id)
    message.refresh_from_db()
    assert '"price": 0.80' in message.last_log.request_body  # the bytes we sent
