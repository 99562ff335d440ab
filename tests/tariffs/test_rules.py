"""Gireve's tariff rules in the model, the services and the admin (§3.10.1-§3.10.4, §2.3.2)."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from locations import services as location_services
from roaming.outbox.models import Message
from tariffs import services
from tariffs.models import Tariff
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory, TariffFactory

pytestmark = pytest.mark.django_db


def _published(**fields) -> Tariff:
    return services.save_tariff(tariff=TariffFactory.build(operator=_operator(), **fields))


def _operator():
    from tests.factories import OperatorFactory

    return OperatorFactory(country_code="FR", party_id="CPO")


def test_published_tariff_refuses_price_changes_with_gireve_explanation():
    tariff = _published(ocpi_id="T1")
    assert tariff.published_at is not None
    tariff.elements[0]["price_components"][0]["price"] = Decimal("0.30")
    tariff.currency = "CHF"
    with pytest.raises(ValidationError) as refused:
        services.save_tariff(tariff=tariff)
    errors = refused.value.message_dict
    assert set(errors) == {"elements", "currency"}
    assert "Gireve §3.10.2" in errors["elements"][0]
    assert "Change prices from a date" in errors["elements"][0]
    stored = Tariff.objects.get(pk=tariff.pk)
    assert stored.elements[0]["price_components"][0]["price"] == "0.25"


def test_published_tariff_keeps_texts_url_and_end_date_editable():
    tariff = _published(ocpi_id="T1")
    tariff.refresh_from_db()
    tariff.tariff_alt_text = [{"language": "fr", "text": "0,25 € HT le kWh"}]
    tariff.tariff_alt_url = "https://cpo.example.com/tarifs"
    tariff.end_date_time = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    # The same price written differently is not a change.
    tariff.elements[0]["price_components"][0]["price"] = Decimal("0.250")
    services.save_tariff(tariff=tariff)
    tariff.refresh_from_db()
    assert tariff.end_date_time == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert tariff.tariff_alt_text[0]["text"] == "0,25 € HT le kWh"


def test_draft_without_start_date_time_is_saved_but_not_publishable():
    draft = TariffFactory.build(operator=_operator(), start_date_time=None)
    services.save_tariff(tariff=draft)
    assert draft.missing_for_gireve() == ["start_date_time"]
    assert not draft.is_publishable and draft.published_at is None
    # A draft is still editable, prices included.
    draft.elements[0]["price_components"][0]["price"] = Decimal("0.40")
    services.save_tariff(tariff=draft)
    assert Tariff.objects.get(pk=draft.pk).elements[0]["price_components"][0]["price"] == "0.40"


def test_only_regular_and_untyped_tariffs_are_forwarded_by_gireve():
    flags = {
        kind: TariffFactory.build(type=kind).forwarded_to_emsps
        for kind in ["", "REGULAR", "AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST"]
    }
    assert flags == {
        "": True,
        "REGULAR": True,
        "AD_HOC_PAYMENT": False,
        "PROFILE_CHEAP": False,
        "PROFILE_FAST": False,
    }


def test_target_fields_come_both_or_not_at_all():
    tariff = TariffFactory.build(operator=_operator(), target_operator_country_code="DE")
    with pytest.raises(ValidationError) as refused:
        tariff.full_clean()
    assert "target_operator_party_id" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Tariff.objects.filter(pk=TariffFactory(operator=_operator()).pk).update(
            target_operator_country_code="DE"
        )


def test_one_default_and_one_description_per_emsp():
    _published(ocpi_id="T1")
    _published(ocpi_id="t1", target_operator_country_code="DE", target_operator_party_id="MP1")
    for target in [("", ""), ("de", "mp1")]:
        duplicate = TariffFactory.build(
            operator=_operator(),
            ocpi_id="T1",
            target_operator_country_code=target[0],
            target_operator_party_id=target[1],
        )
        with pytest.raises(ValidationError) as refused:
            duplicate.full_clean()
        assert "already has" in str(refused.value)
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()
    _published(ocpi_id="T1", target_operator_country_code="NL", target_operator_party_id="MP2")
    assert Tariff.objects.filter(ocpi_id__iexact="T1").count() == 3


def test_floats_and_too_precise_amounts_are_refused():
    tariff = TariffFactory.build(operator=_operator())
    tariff.elements = [{"price_components": [{"type": "TIME", "price": 0.1, "step_size": 1}]}]
    tariff.min_price = {"excl_vat": Decimal("0.12345"), "incl_vat": Decimal("1")}
    with pytest.raises(ValidationError) as refused:
        tariff.full_clean()
    errors = refused.value.message_dict
    assert errors["elements"][0].startswith(
        "elements[0].price_components[0].price: must be a number given exactly"
    )
    assert errors["min_price"] == [
        "min_price.excl_vat: at most 4 decimals (OCPI number), got 0.12345."
    ]


# --- admin -------------------------------------------------------------------


def _admin_post_data(tariff: Tariff, **changes) -> dict:
    data = {
        "type": tariff.type,
        "currency": tariff.currency,
        "start_date_time_0": "2026-01-01",
        "start_date_time_1": "00:00:00",
        "end_date_time_0": "",
        "end_date_time_1": "",
        "elements": '[{"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 20.0, '
        '"step_size": 1}]}]',
        "min_price": "",
        "max_price": "",
        "tariff_alt_text": "[]",
        "tariff_alt_url": "",
        "energy_mix": "null",
    }
    data.update(changes)
    return data


def test_published_tariff_shows_prices_read_only_and_still_saves_a_text_edit(admin_client):
    tariff = _published(ocpi_id="T1")
    url = reverse("admin:tariffs_tariff_change", args=[tariff.pk])
    page = admin_client.get(url)
    assert "Gireve §3.10.2 allows changing only" in page.content.decode()
    assert "elements" not in page.context["adminform"].form.fields  # read-only (§3.10.2)
    assert "0.25 €/kWh" in page.content.decode()

    # A price posted anyway is ignored, the allowed text change in the same post is kept.
    posted = _admin_post_data(
        tariff,
        elements='[{"price_components": [{"type": "ENERGY", "price": 0.30, "step_size": 1}]}]',
        tariff_alt_url="https://cpo.example.com/t1",
    )
    assert admin_client.post(url, posted).status_code == 302
    tariff.refresh_from_db()
    assert tariff.elements[0]["price_components"][0]["price"] == "0.25"
    assert tariff.tariff_alt_url == "https://cpo.example.com/t1"


def test_change_prices_action_creates_the_next_tariff_and_attaches_both(
    admin_client, connected_hub
):
    operator = _operator()
    old = _published(ocpi_id="T1")
    targeted = _published(
        ocpi_id="T1", target_operator_country_code="DE", target_operator_party_id="MP1"
    )
    location = LocationFactory(operator=operator)
    evse = EVSEFactory(location=location, uid="E1", evse_id="FR*CPO*EE1", tariff_ids=["T1", "X"])
    ConnectorFactory(evse=evse, ocpi_id="1")
    ConnectorFactory(evse=evse, ocpi_id="2")
    location_services.save_location(location=location)  # the hub holds the whole location
    Message.objects.all().delete()

    start = (timezone.now() + dt.timedelta(days=7)).replace(microsecond=0, second=0)
    # Typed in the operator's time zone (that of its locations), named on the page.
    local = start.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    changelist = reverse("admin:tariffs_tariff_changelist")
    chosen = admin_client.post(
        changelist, {"action": "change_prices", "_selected_action": [old.pk, targeted.pk]}
    )
    page = admin_client.get(chosen.url)
    assert "New tariff id" in page.content.decode()
    assert "New prices from (Europe/Paris)" in page.content.decode()
    data = {
        "new_id": "T2",
        "start_date_time": local.strftime("%Y-%m-%dT%H:%M"),
        f"elements_{old.pk}": '[{"price_components": [{"type": "ENERGY", "price": 0.29, '
        '"vat": 20.0, "step_size": 1}]}]',
        f"elements_{targeted.pk}": '[{"price_components": [{"type": "TIME", "price": 1.50, '
        '"step_size": 60}]}]',
    }
    preview = admin_client.post(chosen.url, {**data, "preview": "1"})
    assert preview.status_code == 200
    assert "What will happen" in preview.content.decode()
    assert "1 EVSE(s) will name both T1 and T2" in preview.content.decode()
    assert not Tariff.objects.filter(ocpi_id="T2").exists()  # nothing before the confirmation
    done = admin_client.post(chosen.url, {**data, "confirm": "1"})
    assert done.status_code == 302, done.content.decode()[:2000]

    new_default = Tariff.objects.get(ocpi_id="T2", target_operator_country_code="")
    new_targeted = Tariff.objects.get(ocpi_id="T2", target_operator_country_code="DE")
    assert new_default.start_date_time == start and new_default.published_at is not None
    assert new_default.elements[0]["price_components"][0]["price"] == "0.29"
    assert new_targeted.elements[0]["price_components"][0] == {
        "type": "TIME",
        "price": "1.50",
        "step_size": 60,
    }
    old.refresh_from_db()
    targeted.refresh_from_db()
    assert old.end_date_time == start and targeted.end_date_time == start
    evse.refresh_from_db()
    assert evse.tariff_ids == ["T1", "T2", "X"]  # Gireve §3.10.1: both, in order

    sent = [(m.method, m.path, m.body) for m in Message.objects.order_by("pk")]
    puts = [(path, body.get("target_operator_party_id")) for method, path, body in sent[:4]]
    assert puts == [
        ("/FR/CPO/T2", None),
        ("/FR/CPO/T1", None),
        ("/FR/CPO/T2", "MP1"),
        ("/FR/CPO/T1", "MP1"),
    ]
    patches = sent[4:]
    assert [(m, p) for m, p, _ in patches] == [
        ("PATCH", f"/FR/CPO/{location.ocpi_id}/E1/1"),
        ("PATCH", f"/FR/CPO/{location.ocpi_id}/E1/2"),
    ]
    assert all(body["tariff_ids"] == ["T1", "T2", "X"] for _, _, body in patches)


def test_change_prices_refuses_a_past_date_and_changes_nothing():
    old = _published(ocpi_id="T1")
    with pytest.raises(ValidationError) as refused:
        services.change_prices_from(
            operator=old.operator,
            tariff_id="T1",
            new_id="T2",
            start=timezone.now() - dt.timedelta(hours=1),
        )
    assert "start_date_time" in refused.value.message_dict
    assert not Tariff.objects.filter(ocpi_id="T2").exists()


def test_withdrawn_tariff_is_view_only_in_admin(admin_client, connected_hub):
    tariff = _published(ocpi_id="T1")
    services.withdraw_tariff(operator=tariff.operator, tariff_id="t1")
    assert [m.method for m in Message.objects.order_by("pk")] == ["PUT", "DELETE"]
    url = reverse("admin:tariffs_tariff_change", args=[tariff.pk])
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, _admin_post_data(tariff, tariff_alt_url="https://x.example.com"))
    tariff.refresh_from_db()
    assert tariff.tariff_alt_url == "" and tariff.withdrawn_at is not None


def test_admin_add_keeps_amounts_exact_and_saves_a_draft_without_start(admin_client):
    operator = _operator()
    data = _admin_post_data(
        TariffFactory.build(),
        elements='[{"price_components": [{"type": "ENERGY", "price": 0.1, "vat": 5.50, '
        '"step_size": 1}], "restrictions": {"max_power": 22.00}}]',
        min_price_excl_vat="0.30",  # two fields, not JSON (issue 19.3)
        min_price_incl_vat="0.36",
        start_date_time_0="",
        start_date_time_1="",
    )
    data |= {"operator": operator.pk, "ocpi_id": "NEW"}
    response = admin_client.post(reverse("admin:tariffs_tariff_add"), data, follow=True)
    assert "is a draft: use Publish" in response.content.decode()
    tariff = Tariff.objects.get(ocpi_id="NEW")
    assert tariff.elements == [
        {
            "price_components": [{"type": "ENERGY", "price": "0.1", "vat": "5.50", "step_size": 1}],
            "restrictions": {"max_power": "22.00"},
        }
    ]
    assert tariff.min_price == {"excl_vat": "0.30", "incl_vat": "0.36"}
    assert not tariff.is_publishable
