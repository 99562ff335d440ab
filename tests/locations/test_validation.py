"""Model rules a person can act on: OCPI 2.2.1 formats and Gireve's requirements."""

import pytest
from django.core.exceptions import ValidationError

from locations import services
from locations.enums import Status
from locations.models import Location
from locations.selectors import roaming_locations
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory, OperatorFactory

pytestmark = pytest.mark.django_db


def _errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [("country_code", "FRA"), ("country_code", "F1"), ("party_id", "AB"), ("party_id", "A*1")],
)
def test_operator_rejects_malformed_emi3_parts(field, value):
    operator = OperatorFactory.build(**{field: value})
    assert field in _errors(operator)


def test_operator_party_is_unique_case_insensitively():
    OperatorFactory(country_code="FR", party_id="AB1")
    duplicate = OperatorFactory.build(country_code="fr", party_id="ab1")
    assert "already exists" in " ".join(_errors(duplicate)["__all__"])


# --- evse_id (Gireve §3.1.1, §3.5.5) ----------------------------------------


@pytest.fixture
def ab1_location():
    return LocationFactory(operator=OperatorFactory(country_code="FR", party_id="AB1"))


@pytest.mark.parametrize("evse_id", ["FR*AB1*E123", "FRAB1E123", "fr*ab1*e12*3", "FR*AB1E9"])
def test_evse_id_with_or_without_separators_is_accepted(ab1_location, evse_id):
    EVSEFactory.build(location=ab1_location, evse_id=evse_id).full_clean()


def test_evse_id_is_required_unless_removed(ab1_location):
    evse = EVSEFactory.build(location=ab1_location, evse_id="", status=Status.AVAILABLE)
    assert "REMOVED" in _errors(evse)["evse_id"][0]
    evse.status = Status.REMOVED
    evse.full_clean()


@pytest.mark.parametrize("evse_id", ["FR*AB1*123", "FR-AB1-E123", "FR*AB1*E", "F*AB1*E1"])
def test_evse_id_must_follow_emi3_syntax(ab1_location, evse_id):
    evse = EVSEFactory.build(location=ab1_location, evse_id=evse_id)
    assert "not an eMI3 EVSE id" in _errors(evse)["evse_id"][0]


def test_evse_id_must_start_with_the_operator_id(ab1_location):
    evse = EVSEFactory.build(location=ab1_location, evse_id="FR*XY2*E123")
    message = _errors(evse)["evse_id"][0]
    assert "must start with the operator id FR*AB1" in message


def test_evse_id_is_unique_within_operator_whatever_the_separators(ab1_location):
    EVSEFactory(location=ab1_location, evse_id="FR*AB1*E100")
    other_location = LocationFactory(operator=ab1_location.operator)
    clash = EVSEFactory.build(location=other_location, evse_id="frab1e100")
    assert "already used" in _errors(clash)["evse_id"][0]


def test_evse_uid_and_location_id_compare_case_insensitively(ab1_location):
    EVSEFactory(location=ab1_location, uid="Bay-1", evse_id="FR*AB1*E1")
    same_uid = EVSEFactory.build(location=ab1_location, uid="BAY-1", evse_id="FR*AB1*E2")
    assert "already has an EVSE with this uid" in " ".join(_errors(same_uid)["__all__"])
    same_id = LocationFactory.build(
        operator=ab1_location.operator, ocpi_id=ab1_location.ocpi_id.lower()
    )
    assert "already has a location with this id" in " ".join(_errors(same_id)["__all__"])


# --- OCPI string rules -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("city", "x" * 46, "at most 45"),
        ("address", "1 rue\nde Rivoli", "printable"),
        ("postal_code", "12345678901", "at most 10"),
        ("country", "FR", "alpha-3"),
        ("latitude", "48.85", "5 to 7 decimals"),
        ("time_zone", "Paris", "IANA"),
        ("ocpi_id", "LOC\t1", "use only letters, digits"),
    ],
)
def test_location_strings_follow_ocpi_types(field, value, fragment):
    location = LocationFactory.build(operator=OperatorFactory(), **{field: value})
    assert fragment in " ".join(_errors(location)[field])


# --- nested OCPI classes in JSON fields ----------------------------------------


HOURS_OK = {
    "twentyfourseven": False,
    "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}],
}


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        (
            "directions",
            [{"language": "fra", "text": "Entrée"}],
            "directions[0].language: at most 2",
        ),
        ("directions", [{"language": "fr"}], "directions[0].text: required"),
        ("directions", [{"language": "fr", "text": "x" * 513}], "at most 512"),
        ("owner", {"name": "x" * 101}, "owner.name: at most 100"),
        ("owner", {"website": "https://example.com"}, "owner.name: required"),
        ("owner", {"name": "Ville", "website": "not a url"}, "owner.website"),
        ("owner", {"name": "Ville", "color": "red"}, "owner.color: unknown field"),
        (
            "operator_details",
            {"name": "Op", "logo": {"url": "https://x.example/l.png"}},
            "operator_details.logo.category: required",
        ),
        ("suboperator", {"name": ""}, "suboperator.name: must not be empty"),
        ("opening_times", {"twentyfourseven": False}, "at least one period"),
        (
            "opening_times",
            {"twentyfourseven": True, "regular_hours": HOURS_OK["regular_hours"]},
            "must be empty when twentyfourseven",
        ),
        ("opening_times", {"regular_hours": []}, "opening_times.twentyfourseven: required"),
        (
            "opening_times",
            {
                "twentyfourseven": False,
                "regular_hours": [{"weekday": 8, "period_begin": "08:00", "period_end": "20:00"}],
            },
            "weekday: must be at most 7",
        ),
        (
            "opening_times",
            {
                "twentyfourseven": False,
                "regular_hours": [{"weekday": 1, "period_begin": "24:00", "period_end": "20:00"}],
            },
            "period_begin",
        ),
        (
            "opening_times",
            {
                "twentyfourseven": False,
                "regular_hours": [{"weekday": 1, "period_begin": "20:00", "period_end": "08:00"}],
            },
            "must be later than period_begin",
        ),
        (
            "opening_times",
            {
                "twentyfourseven": True,
                "exceptional_closings": [
                    {"period_begin": "2026-12-25", "period_end": "2026-12-26T00:00:00Z"}
                ],
            },
            "exceptional_closings[0].period_begin",
        ),
        (
            "opening_times",
            {
                "twentyfourseven": True,
                "exceptional_openings": [
                    {"period_begin": "2026-12-25T10:00:00Z", "period_end": "2026-12-25T09:00:00Z"}
                ],
            },
            "must be later",
        ),
        (
            "images",
            [{"url": "https://x.example/a.png", "category": "SELFIE", "type": "png"}],
            "images[0].category",
        ),
        (
            "images",
            [{"url": "https://x.example/a.png", "category": "CHARGER", "type": "jpeg2"}],
            "images[0].type: at most 4",
        ),
        (
            "images",
            [
                {
                    "url": "https://x.example/a.png",
                    "category": "CHARGER",
                    "type": "png",
                    "width": 100000,
                }
            ],
            "width: must be at most 99999",
        ),
        (
            "energy_mix",
            {"is_green_energy": True, "energy_sources": [{"source": "SOLAR", "percentage": 101}]},
            "percentage: must be at most 100",
        ),
        (
            "energy_mix",
            {"is_green_energy": True, "energy_sources": [{"source": "SUN", "percentage": 10}]},
            "source",
        ),
        ("energy_mix", {"is_green_energy": "yes"}, "is_green_energy: must be true or false"),
        (
            "energy_mix",
            {
                "is_green_energy": True,
                "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": "12"}],
            },
            "amount: must be a number",
        ),
        (
            "related_locations",
            [{"latitude": "48.8566", "longitude": "2.352222"}],
            "related_locations[0].latitude",
        ),
        (
            "related_locations",
            [{"latitude": "48.856614", "longitude": "2.352222", "name": {"language": "fr"}}],
            "name.text: required",
        ),
        ("facilities", ["HOTEL", "SPA"], "facilities[1]"),
        ("facilities", ["HOTEL", "HOTEL"], "listed twice"),
        (
            "publish_allowed_to",
            [{"issuer": "ANWB"}],
            "set at least one of uid, visual_number or group_id",
        ),
    ],
)
def test_location_json_fields_follow_ocpi_classes(field, value, fragment):
    location = LocationFactory.build(operator=OperatorFactory(), publish=False, **{field: value})
    messages = _errors(location)[field]
    assert any(fragment in m for m in messages), messages


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ([{"uid": "123"}], "type: required when uid is set"),
        ([{"visual_number": "0055"}], "issuer: required when visual_number is set"),
    ],
)
def test_publish_token_rules(value, fragment):
    location = LocationFactory.build(
        operator=OperatorFactory(), publish=False, publish_allowed_to=value
    )
    assert any(fragment in m for m in _errors(location)["publish_allowed_to"])


def test_publish_allowed_to_only_when_not_published():
    location = LocationFactory.build(
        operator=OperatorFactory(), publish=True, publish_allowed_to=[{"group_id": "G1"}]
    )
    assert "publish is off" in _errors(location)["publish_allowed_to"][0]
    location.publish = False
    location.full_clean()


def test_valid_nested_fields_are_accepted():
    LocationFactory.build(
        operator=OperatorFactory(),
        opening_times=HOURS_OK,
        directions=[{"language": "fr", "text": "Niveau -1"}],
        energy_mix={"is_green_energy": True, "supplier_name": "Enercoop"},
        images=[{"url": "https://x.example/a.png", "category": "CHARGER", "type": "png"}],
        facilities=["WIFI"],
    ).full_clean()


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("capabilities", ["RFID_READER", "TELEPORT"], "capabilities[1]"),
        ("capabilities", ["RFID_READER", "RFID_READER"], "listed twice"),
        ("parking_restrictions", ["EV_ONLY", "TRUCKS"], "parking_restrictions[1]"),
        ("tariff_ids", ["AC_1", "ac_1"], "listed twice"),
        ("tariff_ids", ["x" * 37], "at most 36"),
        ("tariff_ids", "AC_1", "must be a list"),
        (
            "status_schedule",
            [{"period_begin": "2026-01-01T00:00:00Z", "status": "ASLEEP"}],
            "status",
        ),
        ("status_schedule", [{"status": "PLANNED"}], "period_begin: required"),
        ("floor_level", "-12345", "at most 4"),
        ("physical_reference", "x" * 17, "at most 16"),
    ],
)
def test_evse_fields_follow_ocpi(field, value, fragment):
    evse = EVSEFactory.build(location=LocationFactory(), **{field: value})
    messages = _errors(evse)[field]
    assert any(fragment in m for m in messages), messages


def test_evse_coordinates_come_in_pairs():
    evse = EVSEFactory.build(location=LocationFactory(), latitude="48.856614", longitude="")
    assert "both latitude and longitude" in _errors(evse)["longitude"][0]


# --- Gireve §3.5.1 publishability -------------------------------------------------


def _complete_location():
    connector = ConnectorFactory()
    location = connector.evse.location
    services.refresh_publishability(location)
    return location


def test_complete_location_is_publishable():
    assert _complete_location().gireve_missing == []


def test_location_missing_gireve_data_is_saved_but_not_publishable():
    location = _complete_location()
    evse = location.evses.get()
    location.owner = None
    services.save_location(location=location)
    evse.capabilities = []
    evse.tariff_ids = []
    services.save_evse(evse=evse)
    EVSEFactory(location=location, uid="NOCONN")  # no connector at all

    missing = services.refresh_publishability(location)

    assert missing == ["owner.name"]  # EVSEs are held back one by one (issue 19.1)
    assert [(e.uid, m) for e, m in location.held_back_evses()] == [
        (evse.uid, ["capabilities", "tariff_ids"]),
        ("NOCONN", ["at least one connector"]),
    ]
    assert Location.objects.get(pk=location.pk).gireve_missing == missing
    assert not roaming_locations().filter(pk=location.pk).exists()


def test_operator_name_comes_from_operator_when_location_has_no_operator_details():
    location = _complete_location()
    operator = location.operator
    operator.name = ""
    operator.save()
    assert "operator.name" in services.refresh_publishability(location)
    location.operator_details = {"name": "Brand"}
    services.save_location(location=location)
    assert location.gireve_missing == []


def test_removed_evse_needs_no_capabilities_or_tariffs():
    location = _complete_location()
    evse = location.evses.get()
    evse.capabilities, evse.tariff_ids = [], []
    services.save_evse(evse=evse)
    assert location.held_back_evses()
    services.remove_evse(evse=evse)
    assert location.held_back_evses() == []


def test_roaming_locations_are_publishable_and_published():
    shared = _complete_location()
    unpublished = _complete_location()
    services.unpublish_locations(locations=[unpublished])
    incomplete = _complete_location()
    incomplete.owner = None
    services.save_location(location=incomplete)

    assert list(roaming_locations()) == [shared]
    assert list(roaming_locations(operator=unpublished.operator)) == []


def test_location_id_and_evse_uid_can_never_change():
    evse = EVSEFactory(uid="BAY-1")
    location = evse.location
    location.ocpi_id = location.ocpi_id + "X"
    assert "Cannot be changed once created" in _errors(location)["ocpi_id"][0]
    location.refresh_from_db()
    location.operator = OperatorFactory()
    assert "operator" in _errors(location)

    evse.uid = "bay-1"  # even the case of an id is kept
    assert "uid" in _errors(evse)
    evse.uid = "BAY-1"
    evse.location = LocationFactory(operator=location.operator)
    assert "location" in _errors(evse)


def test_trailing_line_breaks_are_not_accepted_in_formatted_fields(ab1_location):
    evse = EVSEFactory.build(location=ab1_location, evse_id="FR*AB1*E1\n")
    assert "evse_id" in _errors(evse)
    location = LocationFactory.build(operator=OperatorFactory(), latitude="48.856614\n")
    assert "latitude" in _errors(location)
