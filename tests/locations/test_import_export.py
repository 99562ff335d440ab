"""OCPI Location import/export: spec examples, identity round trip, all-or-nothing errors."""

import copy
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from py_ocpi.modules.locations.v_2_2_1.schemas import Location as PydanticLocation

from locations.enums import Status
from locations.models import EVSE, Connector, Location
from locations.ocpi import location_to_ocpi
from locations.selectors import locations_for_ocpi
from locations.services import import_locations
from roaming.models import Operator
from roaming.ocpi_io import ImportRefused
from tariffs.models import Tariff
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "ocpi_examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("location_example*.json"))


def _load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _export() -> list[dict]:
    return [location_to_ocpi(location) for location in locations_for_ocpi()]


def _as_gireve_stores_it(example: dict) -> dict:
    """What we send back: operator from the Operator when absent; one tariff group per EVSE."""
    expected = copy.deepcopy(example)
    expected.setdefault("operator", {"name": f"{example['country_code']}*{example['party_id']}"})
    for evse in expected.get("evses", []):
        first = evse["connectors"][0].get("tariff_ids")
        for connector in evse["connectors"]:
            connector.pop("tariff_ids", None)
            if first:
                connector["tariff_ids"] = first
    return expected


def _database_rows() -> list:
    return [
        list(model.objects.order_by("pk").values())
        for model in (Operator, Location, EVSE, Connector)
    ]


def _validate_with_pydantic(location: dict) -> None:
    """Check against extrawest-ocpi, minus its two known departures from OCPI 2.2.1.

    It models EVSE.status_schedule and EnergyMix.environ_impact as single objects where the
    spec (and its own example) has lists; those two lists are checked by our own rules.
    """
    location = copy.deepcopy(location)
    for evse in location["evses"]:
        evse.pop("status_schedule", None)
    if location.get("energy_mix"):
        location["energy_mix"].pop("environ_impact", None)
    PydanticLocation(**location)


def test_examples_folder_has_the_complete_spec_locations():
    assert len(EXAMPLE_FILES) == 6


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.name for p in EXAMPLE_FILES])
def test_spec_example_imports_and_exports_as_ocpi(path):
    example = json.loads(path.read_text(encoding="utf-8"))

    result = import_locations(example, create_operators=True, label=path.name)

    assert result.created == 1
    exported = _export()
    assert exported == [_as_gireve_stores_it(example)]
    _validate_with_pydantic(exported[0])


def test_import_of_an_export_is_the_identity():
    call_command("demo_data")
    for path in EXAMPLE_FILES:
        if path.name != "location_example_uc3_destination_charger_not_published.json":
            import_locations(json.loads(path.read_text()), create_operators=True)
    before = _export()
    Tariff.objects.all().delete()  # demo_data's tariffs protect their operators
    for model in (Connector, EVSE, Location, Operator):
        model.objects.all().delete()

    import_locations(copy.deepcopy(before), create_operators=True)

    assert _export() == before
    for location in before:
        _validate_with_pydantic(location)


def test_import_keeps_the_files_last_updated():
    import_locations(_load("location_example.json"), create_operators=True)
    location = Location.objects.get()
    assert location.last_updated.isoformat() == "2015-06-29T20:39:09+00:00"
    connector = Connector.objects.get(evse__uid="3256", ocpi_id="2")
    assert connector.last_updated.isoformat() == "2015-03-18T08:12:01+00:00"


def test_connectors_with_different_tariffs_keep_the_first_and_warn():
    result = import_locations(_load("location_example.json"), create_operators=True)
    assert EVSE.objects.get(uid="3256").tariff_ids == ["11"]
    assert "EVSE 3256: connectors have different tariff_ids" in result.warnings[0]


def test_unknown_operator_is_an_error_unless_asked_to_create():
    example = _load("location_example.json")
    with pytest.raises(ImportRefused) as excinfo:
        import_locations(example, label="be.json")
    assert excinfo.value.errors == [
        "be.json: location LOC1: unknown operator BE*BEC (create it in admin first, "
        "or import with --create-operators)."
    ]
    assert not Location.objects.exists()

    import_locations(example, create_operators=True)
    assert Operator.objects.get().name == "BeCharged"


def test_update_matches_ids_case_insensitively_and_keeps_their_case():
    import_locations(_load("location_example.json"), create_operators=True)
    update = _load("location_example.json")
    update["id"] = "loc1"
    update["party_id"] = "bec"
    update["name"] = "Gent Zuid P+R"
    update["evses"][0]["uid"] = "3256".lower()

    result = import_locations(update)

    assert (result.created, result.updated) == (0, 1)
    location = Location.objects.get()
    assert (location.ocpi_id, location.name) == ("LOC1", "Gent Zuid P+R")


def test_update_marks_absent_evses_removed_and_replaces_connectors():
    import_locations(_load("location_example.json"), create_operators=True)
    update = _load("location_example.json")
    del update["evses"][1]  # EVSE 3257 disappears
    update["evses"][0]["connectors"] = [
        {**update["evses"][0]["connectors"][1], "id": "3", "max_amperage": 32}
    ]

    result = import_locations(update)

    assert result.removed_evses == 1
    removed = EVSE.objects.get(uid="3257")
    assert removed.status == Status.REMOVED  # never hard-deleted
    assert removed.connectors.count() == 1
    kept = EVSE.objects.get(uid="3256")
    assert [(c.ocpi_id, c.max_amperage) for c in kept.connectors.all()] == [("3", 32)]
    assert Location.objects.get().last_updated > removed.connectors.get().last_updated


def test_import_with_one_bad_evse_leaves_the_database_untouched():
    OperatorFactory(country_code="BE", party_id="BEC", name="BeCharged")
    import_locations(
        _load("location_example_parking_garage_opening_hours.json"), create_operators=True
    )
    before = _database_rows()
    good = _load("location_example_uc2_destination_charger.json")
    bad = _load("location_example.json")
    bad["name"] = "Renamed"
    bad["evses"][1]["evse_id"] = "NL*ALF*E1"  # belongs to another operator

    with pytest.raises(ImportRefused) as excinfo:
        import_locations([good, bad], create_operators=True, label="batch.json")

    assert excinfo.value.errors == [
        "batch.json: location LOC1, EVSE 3257: evse_id: 'NL*ALF*E1' must start with the "
        "operator id BE*BEC (e.g. BE*BEC*E123 or BEBECE123)."
    ]
    assert _database_rows() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["evses"][0]["connectors"][0].update(max_voltage="220"),
            "x.json: location LOC1, EVSE 3256, connector 1: max_voltage: must be a whole number.",
        ),
        (
            lambda d: d["evses"][0]["connectors"][1].pop("standard"),
            "x.json: location LOC1, EVSE 3256, connector 2: standard: required.",
        ),
        (
            lambda d: d["evses"][1].update(status="BROKEN"),
            "x.json: location LOC1, EVSE 3257: status: 'BROKEN' is not one of",
        ),
        (
            lambda d: d["evses"][1].update(connectors=[]),
            "x.json: location LOC1, EVSE 3257: connectors: at least one connector is required.",
        ),
        (
            lambda d: d.update(city="x" * 46),
            "x.json: location LOC1: city: at most 45 characters (got 46).",
        ),
        (
            lambda d: d.update(coordinates={"latitude": "51.04", "longitude": "3.729944"}),
            "x.json: location LOC1: coordinates.latitude: '51.04' is not decimal degrees",
        ),
        (
            lambda d: d.update(last_updated="yesterday"),
            "x.json: location LOC1: last_updated: 'yesterday' is not an OCPI DateTime",
        ),
        (
            lambda d: d["evses"][1].update(uid="3256"),
            "x.json: location LOC1: EVSE uid 3256 appears twice.",
        ),
        (
            lambda d: d.update(colour="blue"),
            "x.json: location LOC1: colour: unknown field.",
        ),
    ],
)
def test_import_errors_name_location_evse_connector_and_field(change, message):
    data = _load("location_example.json")
    change(data)
    with pytest.raises(ImportRefused) as excinfo:
        import_locations(data, create_operators=True, label="x.json")
    assert any(error.startswith(message) for error in excinfo.value.errors), excinfo.value.errors
    assert not Location.objects.exists()


def test_import_command_reports_and_refuses_bad_files(tmp_path, capsys):
    path = tmp_path / "locations.json"
    data = [_load("location_example_uc2_destination_charger.json")]
    data[0]["evses"][0]["evse_id"] = "BAD"
    path.write_text(json.dumps(data))

    with pytest.raises(CommandError) as excinfo:
        call_command("import_locations", str(path), "--create-operators")

    assert f"{path}: location 3e7b39c2-10d0-4138-a8b3-8509a25f9920, EVSE fd855359" in str(
        excinfo.value
    )
    assert not Location.objects.exists()

    path.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_locations", str(path))


def test_import_then_export_commands(tmp_path, capsys):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(_load("location_example_uc2_destination_charger.json")))
    call_command("import_locations", str(path), "--create-operators")
    out = capsys.readouterr().out
    assert "1 location(s) created" in out
    assert "not publishable to Gireve, missing owner.name" in out

    call_command("demo_data")
    capsys.readouterr()
    call_command("export_locations", "--operator", "NL*ALF")
    exported = json.loads(capsys.readouterr().out)
    assert [location["id"] for location in exported] == ["3e7b39c2-10d0-4138-a8b3-8509a25f9920"]

    with pytest.raises(CommandError, match="Unknown operator"):
        call_command("export_locations", "--operator", "NL*ZZZ")


HOURS_EXAMPLES = sorted(EXAMPLES.glob("location_hours_*.json")) + [
    EXAMPLES / "location_regularhours_example.json"
]
ENERGY_MIX_EXAMPLES = sorted(EXAMPLES.glob("location_energymix_example_*.json"))


@pytest.mark.parametrize("path", HOURS_EXAMPLES + ENERGY_MIX_EXAMPLES, ids=lambda p: p.name)
def test_spec_examples_of_nested_classes_are_accepted(path):
    fragment = json.loads(path.read_text())
    if "energy_mix" in fragment:
        fields = fragment
    else:
        fields = {"opening_times": fragment.get("opening_times", fragment)}
    fields["opening_times"] = fields.get("opening_times") or {"twentyfourseven": True}
    fields["opening_times"].setdefault("twentyfourseven", False)
    data = {**_load("location_example_uc2_destination_charger.json"), **fields}

    import_locations(data, create_operators=True)

    assert _export()[0]["opening_times"] == fields["opening_times"]
    assert _export()[0].get("energy_mix") == fields.get("energy_mix")


def test_every_ocpi_field_survives_import_and_export():
    image = {
        "url": "https://cdn.example.com/img/charger.jpg",
        "thumbnail": "https://cdn.example.com/img/charger_thumb.jpg",
        "category": "CHARGER",
        "type": "jpeg",
        "width": 512,
        "height": 512,
    }
    location = _load("location_example_uc4_limited_visibility.json")
    location.update(
        {
            "state": "Friesland",
            "related_locations": [
                {
                    "latitude": "53.213800",
                    "longitude": "5.804700",
                    "name": {"language": "nl", "text": "Ingang"},
                }
            ],
            "directions": [{"language": "nl", "text": "Via de garage, niveau -1"}],
            "operator": {"name": "Allego", "website": "https://www.allego.eu", "logo": image},
            "suboperator": {"name": "Parkeerbedrijf"},
            "owner": {"name": "Gemeente Leeuwarden"},
            "facilities": ["MALL", "WIFI"],
            "opening_times": json.loads(
                (EXAMPLES / "location_hours_247_open_exception_closing.json").read_text()
            ),
            "charging_when_closed": False,
            "images": [image],
            "energy_mix": json.loads(
                (EXAMPLES / "location_energymix_example_complete.json").read_text()
            )["energy_mix"],
        }
    )
    evse = location["evses"][0]
    evse.update(
        {
            "status_schedule": [
                {
                    "period_begin": "2026-01-01T00:00:00Z",
                    "period_end": "2026-01-02T00:00:00Z",
                    "status": "INOPERATIVE",
                }
            ],
            "capabilities": ["RFID_READER", "RESERVABLE"],
            "floor_level": "-1",
            "coordinates": {"latitude": "53.213763", "longitude": "5.804638"},
            "physical_reference": "P-01",
            "directions": [{"language": "en", "text": "Left of the lift"}],
            "parking_restrictions": ["EV_ONLY", "CUSTOMERS"],
            "images": [image],
        }
    )
    evse["connectors"][0].update(
        {
            "max_electric_power": 11000,
            "tariff_ids": ["AC_11", "AC_NIGHT"],
            "terms_and_conditions": "https://www.allego.eu/terms",
        }
    )

    import_locations(location, create_operators=True)
    exported = _export()[0]

    assert exported == location
    spec_order = [
        "country_code",
        "party_id",
        "id",
        "publish",
        "publish_allowed_to",
        "name",
        "address",
        "city",
        "postal_code",
        "state",
        "country",
        "coordinates",
        "related_locations",
        "parking_type",
        "evses",
        "directions",
        "operator",
        "suboperator",
        "owner",
        "facilities",
        "time_zone",
        "opening_times",
        "charging_when_closed",
        "images",
        "energy_mix",
        "last_updated",
    ]
    assert list(exported) == spec_order  # every field, in the spec's order
    _validate_with_pydantic(exported)


def test_operator_that_cannot_be_created_is_an_error_line_not_a_crash():
    example = _load("location_example.json")
    example["party_id"] = "B-C"  # OCPI CiString(3), but not an eMI3 operator id
    for evse in example["evses"]:
        evse.pop("evse_id")
        evse["status"] = "REMOVED"

    with pytest.raises(ImportRefused) as excinfo:
        import_locations(example, create_operators=True, label="be.json")

    assert excinfo.value.errors == [
        "be.json: location LOC1: operator: party_id: Party id must be 3 letters or digits "
        "(eMI3 spot operator id), e.g. AB1."
    ]
    assert not Operator.objects.exists()
