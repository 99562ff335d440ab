"""Tariff screens: confirmed withdraw, the assignment that matches nothing, the words preview."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from locations.enums import Status
from roaming.outbox.models import Message
from tariffs import services
from tariffs.models import Tariff
from tests.factories import EVSEFactory, LocationFactory, OperatorFactory, TariffFactory

pytestmark = pytest.mark.django_db

ASSIGN = reverse("admin:tariffs_tariff_assign_evses")


def test_assigning_with_a_selection_that_matches_no_evse_is_an_error_and_changes_nothing(
    admin_client,
):
    ab1, xy2 = OperatorFactory(party_id="AB1"), OperatorFactory(party_id="XY2")
    services.save_tariff(tariff=TariffFactory.build(operator=ab1, ocpi_id="T1"))
    location = LocationFactory(operator=ab1)
    evse = EVSEFactory(location=location, status=Status.REMOVED, evse_id="", tariff_ids=[])

    mismatch = admin_client.post(
        ASSIGN, {"tariff_ids": "T1", "operator": xy2.pk, "location": location.pk}
    )
    assert "belongs to FR*AB1, not FR*XY2" in mismatch.content.decode()
    nothing = admin_client.post(ASSIGN, {"tariff_ids": "T1", "location": location.pk})
    assert nothing.status_code == 200
    assert "No EVSE matches this choice" in nothing.content.decode()
    evse.refresh_from_db()
    assert evse.tariff_ids == []


def test_withdraw_asks_for_confirmation_then_withdraws_and_records_it(admin_client, connected_hub):
    tariff = services.save_tariff(
        tariff=TariffFactory.build(operator=OperatorFactory(), ocpi_id="T1")
    )
    EVSEFactory(location=LocationFactory(operator=tariff.operator), tariff_ids=["T1"])
    url = reverse("admin:tariffs_tariff_withdraw", args=[tariff.pk])

    page = admin_client.get(url)
    assert "1 EVSE(s) still name T1" in page.content.decode()
    tariff.refresh_from_db()
    assert tariff.withdrawn_at is None

    assert admin_client.post(url).status_code == 302
    tariff.refresh_from_db()
    assert tariff.withdrawn_at is not None
    assert Message.objects.filter(method="DELETE").count() == 1
    assert LogEntry.objects.get(object_id=str(tariff.pk)).change_message == (
        "Tariff withdrawn from the hub: T1"
    )


def test_words_preview_explains_bad_prices_instead_of_failing(admin_client):
    url = reverse("admin:tariffs_tariff_describe")
    bad = admin_client.post(
        url, {"elements": '[{"price_components": [{"type": "TIME", "price": "a"}]}]'}
    )
    assert bad.status_code == 200 and bad.json()["errors"]
    good = admin_client.post(
        url,
        {
            "elements": '[{"price_components": [{"type": "TIME", "price": 3.00, '
            '"step_size": 60}]}]',
            "currency": "EUR",
        },
    )
    assert good.json() == {"text": "3.00 €/h billed per minute"}
    assert not Tariff.objects.exists()


def test_publish_asks_when_in_the_operators_time_zone_then_publishes(admin_client):
    operator = OperatorFactory(country_code="FR", party_id="AB1")  # no location yet: FR's zone
    draft = TariffFactory(operator=operator, ocpi_id="T1", start_date_time=None)
    url = reverse("admin:tariffs_tariff_publish", args=[draft.pk])

    page = admin_client.get(url)
    assert "Applies from (Europe/Paris)" in page.content.decode()
    assert "0.25 €/kWh" in page.content.decode()
    draft.refresh_from_db()
    assert not draft.is_published

    assert admin_client.post(url, {"start_date_time": "2027-01-01T00:00"}).status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
    assert draft.start_date_time == dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC)
    assert LogEntry.objects.get(object_id=str(draft.pk)).change_message.startswith(
        "Tariff published: from 2027-01-01"
    )
