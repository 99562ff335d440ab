"""Issue 19.7: a tariff saved without a change the hub could see queues nothing."""

import pytest
from django.urls import reverse

from roaming.outbox.models import Message
from tariffs import services
from tariffs.models import Tariff
from tests.admin_forms import form_data
from tests.factories import OperatorFactory, TariffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(connected_hub):
    operator = OperatorFactory(country_code="FR", party_id="CPO")
    tariff = services.save_tariff(tariff=TariffFactory.build(operator=operator, ocpi_id="T1"))
    Message.objects.all().delete()
    return tariff


def test_unchanged_tariff_saved_again_queues_nothing(published):
    stamp = published.last_updated
    services.save_tariff(tariff=Tariff.objects.get(pk=published.pk))
    assert not Message.objects.exists()
    assert Tariff.objects.get(pk=published.pk).last_updated == stamp

    tariff = Tariff.objects.get(pk=published.pk)
    tariff.tariff_alt_url = "https://cpo.example.com/t1"
    services.save_tariff(tariff=tariff)
    [message] = Message.objects.all()
    assert message.method == "PUT" and message.body["tariff_alt_url"].endswith("/t1")


def test_unchanged_tariff_page_saved_queues_nothing(admin_client, published):
    url = reverse("admin:tariffs_tariff_change", args=[published.pk])
    data = form_data(admin_client.get(url).content.decode())
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert not Message.objects.exists()
    assert Tariff.objects.get(pk=published.pk).last_updated == published.last_updated


def test_a_draft_published_is_sent_once(connected_hub):
    operator = OperatorFactory(country_code="FR", party_id="CPO")
    draft = TariffFactory(operator=operator, ocpi_id="T9")  # written without the services
    services.save_tariff(tariff=Tariff.objects.get(pk=draft.pk))
    assert Message.objects.count() == 1
