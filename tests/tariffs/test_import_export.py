"""import_tariffs / export_tariffs: the spec's examples round trip, errors save nothing."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from py_ocpi.modules.tariffs.v_2_2_1.schemas import Tariff as PydanticTariff

from locations.models import Location
from roaming.ocpi_json import dumps
from roaming.ocpi_json import loads as parse_json
from tariffs.models import Tariff
from tariffs.selectors import unknown_tariff_ids
from tests.factories import OperatorFactory
from tests.tariffs.schema import check_tariff

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "ocpi_examples"  # the spec's own
# Whole Tariff objects among the spec's examples (tariff_put_example has no last_updated:
# it is a request body, not a stored tariff).
TARIFF_EXAMPLES = sorted(
    p
    for p in [*EXAMPLES.glob("tariff_*.json"), *EXAMPLES.glob("tariffrestriction_*.json")]
    if p.name != "tariff_put_example.json"
)


def _export(*args) -> str:
    out = io.StringIO()
    call_command("export_tariffs", *args, stdout=out)
    return out.getvalue()


def test_spec_examples_round_trip_exactly(tmp_path):
    assert len(TARIFF_EXAMPLES) >= 18
    OperatorFactory(country_code="DE", party_id="ALL")
    originals = [parse_json(p.read_text()) for p in TARIFF_EXAMPLES]
    # Several examples share an id: import each on its own and compare one at a time.
    for path, original in zip(TARIFF_EXAMPLES, originals, strict=True):
        Tariff.objects.all().delete()
        call_command("import_tariffs", str(path), stdout=io.StringIO())
        text = _export("--operator", "DE*ALL")
        [exported] = parse_json(text)
        assert exported == original, path.name
        # Digits as the spec wrote them (2.00 stays 2.00, 20.0 stays 20.0).
        numbers = {str(c["price"]) for e in original["elements"] for c in e["price_components"]}
        for number in numbers:
            assert f'"price": {number}' in text, (path.name, number)
        PydanticTariff.parse_raw(text.strip()[1:-1])
        assert check_tariff(exported) == [], path.name


def test_import_errors_name_file_tariff_and_field_and_save_nothing(tmp_path):
    OperatorFactory(country_code="DE", party_id="ALL")
    good = parse_json((EXAMPLES / "tariff_4_complex.json").read_text())
    bad = parse_json((EXAMPLES / "tariff_12_025kwh_min_price.json").read_text())
    bad["elements"][0]["price_components"][0]["type"] = "KWH"
    bad["min_price"]["incl_vat"] = "a lot"
    unknown = {**good, "id": "99", "party_id": "ZZZ"}
    file = tmp_path / "tariffs.json"
    # Written by hand so that numbers stay numbers (json.dumps cannot write Decimal).
    file.write_text(dumps([good, bad, unknown]))
    with pytest.raises(CommandError) as refused:
        call_command("import_tariffs", str(file), stdout=io.StringIO())
    message = str(refused.value)
    assert f"{file}: tariff 20: elements[0].price_components[0].type: 'KWH' is not one of" in (
        message
    )
    assert f"{file}: tariff 20: min_price.incl_vat: must be a number" in message
    assert f"{file}: tariff 99: unknown operator DE*ZZZ" in message
    assert not Tariff.objects.exists()


def test_import_refuses_to_change_prices_of_a_published_tariff(tmp_path):
    OperatorFactory(country_code="DE", party_id="ALL")
    tariff = parse_json((EXAMPLES / "tariff_8_simple_025kwh.json").read_text())
    tariff["start_date_time"] = "2026-01-01T00:00:00Z"
    file = tmp_path / "t.json"
    file.write_text(dumps(tariff))
    call_command("import_tariffs", str(file), stdout=io.StringIO())
    tariff["elements"][0]["price_components"][0]["price"] = parse_json("0.30")
    tariff["tariff_alt_url"] = "https://cpo.example.com/t"
    file.write_text(dumps(tariff))
    with pytest.raises(CommandError, match="elements: Tariff 16 is published: Gireve §3.10.2"):
        call_command("import_tariffs", str(file), stdout=io.StringIO())
    stored = Tariff.objects.get()
    assert stored.elements[0]["price_components"][0]["price"] == "0.25"
    assert stored.tariff_alt_url == ""


def test_export_of_an_unknown_operator_is_refused():
    with pytest.raises(CommandError, match="Unknown operator"):
        _export("--operator", "FR*NOP")


def test_demo_data_creates_the_tariffs_its_evses_name():
    call_command("demo_data", stdout=io.StringIO())
    call_command("demo_data", stdout=io.StringIO())  # idempotent
    locations = Location.objects.select_related("operator")
    assert locations.exists()
    assert {loc.ocpi_id: unknown_tariff_ids(loc) for loc in locations} == {
        loc.ocpi_id: [] for loc in locations
    }
    assert set(Tariff.objects.values_list("type", flat=True)) == {"REGULAR"}
    assert Tariff.objects.filter(published_at__isnull=False).count() == Tariff.objects.count()
    assert json.loads(_export("--operator", "FR*AB1"))  # plain JSON readers read it too
