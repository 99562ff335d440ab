"""One time zone on screen (issue 19.4): tariff times are shown and typed in the operator's
zone, named; stored and sent as UTC. The change-prices preview refuses what Confirm refuses."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tariffs import services
from tariffs.models import Tariff
from tests.admin_forms import form_data
from tests.factories import OperatorFactory, TariffFactory

pytestmark = pytest.mark.django_db

PARIS_NEW_YEAR = dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC)  # 2027-01-01 00:00 Paris


def _published(**fields) -> Tariff:
    operator = OperatorFactory(country_code="FR", party_id="AB1")  # FR: Europe/Paris
    return services.save_tariff(
        tariff=TariffFactory.build(operator=operator, start_date_time=PARIS_NEW_YEAR, **fields)
    )


def test_the_tariff_page_shows_its_times_in_the_operators_zone_named(admin_client):
    tariff = _published(ocpi_id="T1")
    page = admin_client.get(reverse("admin:tariffs_tariff_change", args=[tariff.pk]))
    html = page.content.decode()
    assert "2027-01-01 00:00:00 (Europe/Paris)" in html
    assert "Ends (Europe/Paris)" in html
    listing = admin_client.get(reverse("admin:tariffs_tariff_changelist")).content.decode()
    assert "2027-01-01 00:00 CET" in listing


def test_an_end_date_typed_on_the_tariff_page_is_read_in_the_operators_zone(admin_client):
    tariff = _published(ocpi_id="T1")
    url = reverse("admin:tariffs_tariff_change", args=[tariff.pk])
    data = form_data(admin_client.get(url).content.decode())
    data.update({"end_date_time_0": ["2027-12-31"], "end_date_time_1": ["23:59:59"]})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    tariff.refresh_from_db()
    # 23:59:59 in Paris (CET, UTC+1) is 22:59:59 UTC: still 31 December in Paris.
    assert tariff.end_date_time == dt.datetime(2027, 12, 31, 22, 59, 59, tzinfo=dt.UTC)
    page = admin_client.get(url).content.decode()
    assert 'value="23:59:59"' in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"new_id": "OTHER"}, "FR*AB1 already has a tariff OTHER."),
        ({"start_date_time": "2020-01-01T00:00"}, "Must be in the future"),
        ({"ended": True}, "already ends at 2027-03-01 00:00 (Europe/Paris)"),
    ],
)
def test_the_change_prices_preview_refuses_what_confirm_refuses_once(admin_client, change, message):
    tariff = _published(ocpi_id="T1")
    services.save_tariff(tariff=TariffFactory.build(operator=tariff.operator, ocpi_id="OTHER"))
    if change.pop("ended", False):
        tariff.end_date_time = dt.datetime(2027, 3, 1, tzinfo=dt.UTC) - dt.timedelta(hours=1)
        services.save_tariff(tariff=tariff)
    url = reverse("admin:tariffs_tariff_change_prices", args=[tariff.pk])
    start = (timezone.now() + dt.timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "new_id": "T2",
        "start_date_time": start,
        f"elements_{tariff.pk}": '[{"price_components": [{"type": "ENERGY", "price": 0.29, '
        '"step_size": 1}]}]',
        "preview": "1",
        **change,
    }
    html = admin_client.post(url, data).content.decode()
    assert "What will happen" not in html
    assert html.count(message) == 1
    assert not Tariff.objects.filter(ocpi_id="T2").exists()
