"""Prices as people type them (issue 19.3): every value typed is stored or refused in words."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tariffs.models import Tariff
from tariffs.widgets import TariffElementsEditor
from tests.admin_forms import form_data
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:tariffs_tariff_add")


def _post(client, url, **changes):
    data = form_data(client.get(url).content.decode())
    data.update({name: [value] for name, value in changes.items()})
    return client.post(url, data)


def _component(price="0.35", vat=None, step=1, kind="ENERGY") -> str:
    vat_text = "" if vat is None else f', "vat": {vat}'
    return (
        f'[{{"price_components": [{{"type": "{kind}", "price": {price}{vat_text}, '
        f'"step_size": {step}}}]}}]'
    )


def _add(client, operator, elements, **changes):
    return _post(
        client,
        ADD,
        operator=str(operator.pk),
        ocpi_id="T1",
        currency="EUR",
        elements=elements,
        **changes,
    )


@pytest.mark.parametrize("typed", ['"20"', '"20 %"', '"20%"', "20", '"20,0"'])
def test_vat_typed_with_a_percent_sign_is_stored_as_that_percentage(admin_client, typed):
    operator = OperatorFactory()
    response = _add(admin_client, operator, _component(vat=typed))
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = Tariff.objects.get().elements[0]["price_components"][0]["vat"]
    assert Decimal(stored) == 20


def test_vat_that_is_not_a_percentage_is_refused_in_words_and_nothing_is_saved(admin_client):
    response = _add(admin_client, OperatorFactory(), _component(vat='"twenty"'))
    page = response.content.decode()
    assert "Prices 1, line 1: VAT is a percentage from 0 to 100" in page
    assert not Tariff.objects.exists()


def test_a_huge_price_is_refused_with_the_maximum(admin_client):
    response = _add(admin_client, OperatorFactory(), _component(price='"1e20"'))
    page = response.content.decode()
    assert "Prices 1, line 1: the price must be at most 100000 (got 1e20)." in page
    assert "at least one price component" not in page
    assert "At least one tariff element is required" not in page
    assert not Tariff.objects.exists()


@pytest.mark.parametrize("kind", ["ENERGY", "TIME"])
def test_billed_per_zero_is_refused(admin_client, kind):
    response = _add(admin_client, OperatorFactory(), _component(step=0, kind=kind))
    assert "Prices 1, line 1: billed per must be at least 1" in response.content.decode()
    assert not Tariff.objects.exists()


def test_model_errors_are_said_in_words_not_json_paths(admin_client):
    response = _add(admin_client, OperatorFactory(), _component(price="-0.35"))
    page = response.content.decode()
    assert "Prices 1, line 1, price: must be at least 0 (got -0.35)." in page
    assert "price_components[0]" not in page


def test_min_max_price_alt_text_and_energy_mix_are_fields_not_json(admin_client):
    operator = OperatorFactory()
    response = _add(
        admin_client,
        operator,
        _component(),
        min_price_excl_vat="0,50",
        min_price_incl_vat="0.60",
        tariff_alt_text_0_language="FR",
        tariff_alt_text_0_text="0,35 € le kWh",
        energy_mix_is_green_energy="on",
        energy_mix_supplier_name="Enercoop",
        energy_mix_sources_0_source="WIND",
        energy_mix_sources_0_percentage="60",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    tariff = Tariff.objects.get()
    assert tariff.min_price == {"excl_vat": "0.50", "incl_vat": "0.60"}
    assert tariff.max_price is None
    assert tariff.tariff_alt_text == [{"language": "fr", "text": "0,35 € le kWh"}]
    assert tariff.energy_mix == {
        "is_green_energy": True,
        "supplier_name": "Enercoop",
        "energy_sources": [{"source": "WIND", "percentage": 60}],
    }
    # The change page shows them in the same fields, and saving it unchanged changes nothing.
    page = admin_client.get(reverse("admin:tariffs_tariff_change", args=[tariff.pk]))
    assert 'name="min_price_excl_vat" value="0.50"' in page.content.decode()
    assert 'name="energy_mix_sources_0_source"' in page.content.decode()


def test_half_a_price_is_refused_in_words(admin_client):
    response = _add(admin_client, OperatorFactory(), _component(), max_price_excl_vat="10")
    assert "Give the price both excluding and including VAT" in response.content.decode()
    assert not Tariff.objects.exists()


def test_the_editor_shows_the_words_at_once(admin_client):
    """Not "-" until the words are fetched (audit 2, A2)."""
    html = TariffElementsEditor().render("elements", _component())
    assert '<span class="te-words">0.35 €/kWh</span>' in html
