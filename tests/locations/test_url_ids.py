"""Issue 19.2: every id that goes into an OCPI URL is letters, digits, '-', '_', '.' or '*'
within its CiString length; refused everywhere with a message naming the field."""

import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from locations.models import EVSE, Connector, Location
from locations.services import save_location
from roaming.ocpi_json import dumps
from tariffs.models import Tariff
from tests.admin_forms import form_data
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    OperatorFactory,
    PlatformFactory,
    TariffFactory,
)
from tests.locations.test_admin import _location_post
from tests.ocpi_api import ocpi_headers

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "ocpi_examples"
BAD_IDS = ["A/B", "a b", "caf\u00e9", "x?y", "50%"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_models_refuse_ids_that_break_urls_naming_the_field(bad):
    location = LocationFactory.build(operator=OperatorFactory(), ocpi_id=bad)
    with pytest.raises(ValidationError) as refused:
        save_location(location=location)
    assert "ocpi_id" in refused.value.message_dict
    evse = EVSEFactory.build(location=LocationFactory(), uid=bad, tariff_ids=[bad])
    with pytest.raises(ValidationError) as refused:
        evse.full_clean()
    assert {"uid", "tariff_ids"} <= set(refused.value.message_dict)
    with pytest.raises(ValidationError) as refused:
        ConnectorFactory.build(evse=EVSEFactory(), ocpi_id=bad).full_clean()
    assert "ocpi_id" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        TariffFactory.build(ocpi_id=bad).full_clean()
    assert "ocpi_id" in refused.value.message_dict


def test_safe_ids_are_accepted():
    location = LocationFactory.build(operator=OperatorFactory(), ocpi_id="FR-PAR_01.a*2")
    save_location(location=location)
    assert Location.objects.filter(ocpi_id="FR-PAR_01.a*2").exists()


def test_location_admin_refuses_a_slash_with_a_message_on_the_field(admin_client):
    data = _location_post(LocationFactory.build(operator=OperatorFactory(), ocpi_id="PAR/1"))
    response = admin_client.post(reverse("admin:locations_location_add"), data)
    content = response.content.decode()
    assert response.status_code == 200
    assert "&#x27;PAR/1&#x27; contains &#x27;/&#x27;: use only letters, digits" in content
    assert not Location.objects.exists()


def test_evse_inline_refuses_a_tariff_id_with_a_space(admin_client):
    location = LocationFactory()
    ConnectorFactory(evse=EVSEFactory(location=location, uid="E1"))
    url = reverse("admin:locations_location_change", args=[location.pk])
    data = form_data(admin_client.get(url).content.decode())
    data["evses-0-tariff_ids"] = ["AC STANDARD"]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "contains a space: use only letters, digits" in response.content.decode()
    assert EVSE.objects.get().tariff_ids == ["AC_STANDARD"]


def test_location_import_names_file_object_and_field_and_saves_nothing(tmp_path):
    data = _example_location()
    OperatorFactory(country_code=data["country_code"], party_id=data["party_id"])
    data["evses"][0]["uid"] = "3256 A"
    data["evses"][0]["connectors"][0]["id"] = "1/2"
    file = tmp_path / "locations.json"
    file.write_text(json.dumps([data]))
    with pytest.raises(CommandError) as refused:
        call_command("import_locations", str(file), stdout=io.StringIO())
    message = str(refused.value)
    assert f"{file}: location {data['id']}, EVSE 3256 A: uid: '3256 A' contains a space" in (
        message
    )
    assert "connector 1/2: id: '1/2' contains '/': use only letters" in message
    assert not Location.objects.exists() and not Connector.objects.exists()


def _example_location() -> dict:
    return json.loads((EXAMPLES / "location_example.json").read_text())


def test_tariff_import_refuses_an_id_with_a_slash(tmp_path):
    OperatorFactory(country_code="DE", party_id="ALL")
    tariff = json.loads((EXAMPLES / "tariff_4_complex.json").read_text())
    tariff["id"] = "T/1"
    file = tmp_path / "tariffs.json"
    file.write_text(dumps([tariff]))
    with pytest.raises(CommandError) as refused:
        call_command("import_tariffs", str(file), stdout=io.StringIO())
    assert f"{file}: tariff T/1: id: 'T/1' contains '/': use only" in str(refused.value)
    assert not Tariff.objects.exists()


def test_receiver_answers_2001_naming_the_url_segment():
    OperatorFactory(country_code="FR", party_id="CPO")
    PlatformFactory(connected=True)
    response = Client().put(
        "/ocpi/2.2.1/tokens/DE/TNM/a%20b?type=RFID",
        "{}",
        content_type="application/json",
        **ocpi_headers(),
    )
    body = response.json()
    assert body["status_code"] == 2001
    assert body["status_message"].startswith("URL segment uid: 'a b' contains a space")
    too_long = Client().get("/ocpi/2.2.1/locations/" + "L" * 37, **ocpi_headers())
    assert too_long.json()["status_code"] == 2001
    assert "location_id: at most 36 characters" in too_long.json()["status_message"]


def test_report_lists_existing_bad_ids():
    location = LocationFactory()
    Location.objects.filter(pk=location.pk).update(ocpi_id="OLD/1")
    evse = EVSEFactory(location=location, uid="E1")
    EVSE.objects.filter(pk=evse.pk).update(tariff_ids=["AC STD"])
    tariff = TariffFactory()
    Tariff.objects.filter(pk=tariff.pk).update(ocpi_id="T 1")
    out = io.StringIO()
    with pytest.raises(CommandError, match="3 id"):
        call_command("report_bad_ids", stdout=out)
    lines = out.getvalue()
    assert f"location OLD/1 ({location.operator.emi3_id}): id" in lines
    assert "EVSE E1 of location OLD/1: tariff_ids: 'AC STD'" in lines
    assert f"tariff T 1 ({tariff.operator.emi3_id}): id" in lines


def test_change_prices_new_id_refuses_a_slash_on_the_field():
    from tariffs.forms import ChangePricesForm

    with pytest.raises(ValidationError, match="'T/2' contains '/'"):
        ChangePricesForm.base_fields["new_id"].clean("T/2")
    assert ChangePricesForm.base_fields["new_id"].clean("T2.b") == "T2.b"
