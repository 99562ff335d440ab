"""The main ops journeys in a real browser, as a new ops user would do them (issue 11.8).

Each step is checked in the database too; screenshots go to docs/screenshots/.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from locations.models import EVSE, Location
from roaming.models import Operator
from tariffs.models import Tariff
from tests.factories import MessageFactory, StreamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _operator() -> Operator:
    return Operator.objects.create(
        country_code="FR", party_id="AB1", name="Électro Route", website="https://er.example.com"
    )


def test_ops_builds_a_site_and_its_tariff_publishes_assigns_and_changes_prices(browse, staff_user):
    operator = _operator()
    page = browse(staff_user("olga", "operations"))

    # 1. A tariff typed as staff say it: 0.35 €/kWh, then 0.05 €/min from the 61st minute.
    page.goto(f"{page.base}/admin/tariffs/tariff/add/")
    page.select_option("#id_operator", str(operator.pk))
    page.fill("#id_ocpi_id", "NTE_STD")
    page.select_option("#id_type", "REGULAR")
    first = page.locator(".te-element").nth(0)
    first.locator(".te-price").fill("0.35")
    first.locator(".te-vat").fill("20")
    page.click(".te-add-element")
    second = page.locator(".te-element").nth(1)
    second.locator(".te-price").fill("0.05")
    second.locator(".te-price-unit").select_option("min")
    second.locator(".te-vat").fill("20")
    second.locator(".te-restrictions summary").click()
    second.locator(".te-min-duration").fill("60")
    expect(page.locator(".te-words")).to_have_text(
        "0.35 €/kWh; from the 61st minute 3.00 €/h billed per minute (excl. VAT; VAT 20 %)"
    )
    page.locator(".tariff-editor").scroll_into_view_if_needed()
    page.shot("01-tariff-editor")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("is a draft: use Publish")

    page.click(".object-tools a:text-is('Publish')")
    expect(page.locator("h1")).to_have_text("Publish tariff NTE_STD")
    page.fill("#id_start_date_time", "2026-01-01T00:00")
    page.shot("02-tariff-publish-confirm")
    page.click("input[value='Yes, publish']")
    expect(page.locator(".messagelist")).to_contain_text("published: the hub receives it")
    tariff = Tariff.objects.get(ocpi_id="NTE_STD")
    assert tariff.is_published
    assert tariff.elements == [
        {"price_components": [{"type": "ENERGY", "price": "0.35", "vat": "20", "step_size": 1}]},
        {
            "price_components": [{"type": "TIME", "price": "3.00", "vat": "20", "step_size": 60}],
            "restrictions": {"min_duration": 3600},
        },
    ]

    # 2. A location with two EVSEs and their connectors, on one page.
    page.goto(f"{page.base}/admin/locations/location/add/")
    page.select_option("#id_operator", str(operator.pk))
    page.fill("#id_ocpi_id", "NTE-GARE")
    page.fill("#id_name", "Gare de Nantes")
    page.fill("#id_address", "27 boulevard de Stalingrad")
    page.fill("#id_city", "Nantes")
    page.fill("#id_postal_code", "44000")
    page.select_option("#id_country", "FRA")
    expect(page.locator("#id_time_zone")).to_have_value("Europe/Paris")
    page.fill("#id_latitude", "47.2173")
    page.fill("#id_longitude", "-1.542")
    page.fill("#id_owner_name", "Nantes Métropole")
    add_evse = page.locator("a.djn-add-handler", has_text=re.compile("add another evse", re.I))
    for index, (preset, tariff_ids) in enumerate([("AC_22", "NTE_STD"), ("DC_150", "")]):
        add_evse.last.click()
        page.fill(f"#id_evses-{index}-uid", f"NTE-GARE-{index + 1}")
        page.select_option(f"#id_evses-{index}-preset", preset)
        page.fill(f"#id_evses-{index}-tariff_ids", tariff_ids)
        # Proposed from the operator and the uid (Gireve §3.1.1 eMI3 id).
        expect(page.locator(f"#id_evses-{index}-evse_id")).to_have_value(
            f"FR*AB1*ENTEGARE{index + 1}"
        )
    expect(page.locator("#id_evses-1-connectors-0-max_power_kw")).to_have_value("150")
    page.locator("#evses-group").scroll_into_view_if_needed()
    page.shot("03-location-one-page")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    location = Location.objects.get(ocpi_id="NTE-GARE")
    assert (location.latitude, location.longitude) == ("47.21730", "-1.54200")
    assert location.gireve_missing == []  # the location is complete; one EVSE is held back
    assert [(e.uid, m) for e, m in location.held_back_evses()] == [("NTE-GARE-2", ["tariff_ids"])]
    dc = EVSE.objects.get(uid="NTE-GARE-2")
    assert (dc.status, dc.connectors.get().max_electric_power) == ("AVAILABLE", 150000)
    fix = page.locator(".field-gireve_status a", has_text="EVSE FR*AB1*ENTEGARE2: give its")
    expect(fix).to_have_attribute("href", "#id_evses-1-tariff_ids")
    page.shot("04-location-missing-linked")

    # 3. Assign the tariff to the location's EVSEs: searchable pickers.
    page.goto(f"{page.base}/admin/tariffs/tariff/assign-evses/")
    page.fill("#id_tariff_ids", "NTE_STD")
    page.click(".select2-selection")
    page.fill(".select2-search__field", "gare")
    page.click(".select2-results__option >> text=NTE-GARE")
    page.click("input[value=Assign]")
    expect(page.locator(".messagelist")).to_contain_text("1 of 2 EVSE(s) updated")
    page.shot("05-assign-tariffs-done")
    location.refresh_from_db()
    assert location.gireve_missing == []

    # 4. Change prices from a date: picker in the operator's time zone, preview, confirm.
    year = dt.date.today().year + 1
    page.goto(f"{page.base}/admin/tariffs/tariff/{tariff.pk}/change/")
    page.click(".object-tools a:text-is('Change prices from a date')")
    expect(page.locator("label[for=id_start_date_time]")).to_contain_text("Europe/Paris")
    page.fill("#id_new_id", f"NTE_STD_{year}")
    page.fill("#id_start_date_time", f"{year}-04-05T00:00")
    page.locator(".te-element").nth(0).locator(".te-price").fill("0.39")
    expect(page.locator(".te-words")).to_contain_text("0.39 €/kWh")
    page.click("input[name=preview]")
    expect(page.locator("#change-preview")).to_contain_text("2 EVSE(s) will name both")
    expect(page.locator("#change-preview")).to_contain_text(
        f"From {dt.date(year, 4, 5):%A} 05 April {year}, 00:00 (Europe/Paris) "
        f"= {year}-04-04 22:00 UTC"
    )
    page.shot("06-change-prices-preview")
    page.click("input[name=confirm]")
    expect(page.locator(".messagelist")).to_contain_text(f"NTE_STD_{year} applies from")
    new = Tariff.objects.get(ocpi_id=f"NTE_STD_{year}")
    assert new.start_date_time == dt.datetime(year, 4, 4, 22, 0, tzinfo=dt.UTC)  # CEST
    assert new.elements[0]["price_components"][0]["price"] == "0.39"
    assert EVSE.objects.get(uid="NTE-GARE-1").tariff_ids == ["NTE_STD", f"NTE_STD_{year}"]


def test_ops_resends_a_held_outbox_stream(browse, staff_user):
    stream = StreamFactory(held=True, held_reason="OPERATOR", held_note="held by olga")
    MessageFactory(stream=stream)
    page = browse(staff_user("olga", "operations"))

    page.goto(f"{page.base}/admin/outbox/stream/")
    page.check(f"input[name=_selected_action][value='{stream.pk}']")
    page.select_option("select[name=action]", "resend_head")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("1 stream(s) released")
    page.shot("07-stream-resent")
    stream.refresh_from_db()
    assert not stream.held


def test_finance_sees_infrastructure_and_tariffs_but_cannot_change_or_publish(browse, staff_user):
    operator = _operator()
    draft = Tariff.objects.create(
        operator=operator,
        ocpi_id="DRAFT",
        elements=[{"price_components": [{"type": "ENERGY", "price": "0.30", "step_size": 1}]}],
    )
    page = browse(staff_user("fiona", "finance"))

    page.goto(f"{page.base}/admin/tariffs/tariff/{draft.pk}/change/")
    expect(page.locator(".field-in_words")).to_contain_text("0.30 €/kWh")
    expect(page.locator(".object-tools a:text-is('Publish')")).to_have_count(0)
    expect(page.locator("input[type=submit]")).to_have_count(0)
    page.shot("08-finance-tariff-read-only")
    refused = page.goto(f"{page.base}/admin/tariffs/tariff/{draft.pk}/publish/")
    assert refused.status == 403
    draft.refresh_from_db()
    assert not draft.is_published


def _shared_site(operator: Operator) -> Location:
    """A location with two complete EVSEs that a connected hub holds (its PUT delivered)."""
    from locations import services
    from roaming.outbox.models import Message
    from tests.factories import (
        ConnectorFactory,
        EVSEFactory,
        LocationFactory,
        PlatformEndpointFactory,
        PlatformFactory,
    )

    PlatformEndpointFactory(platform=PlatformFactory(name="IOP"), url="http://127.0.0.1:9/loc")
    location = LocationFactory(operator=operator, ocpi_id="NTE-PORT", name="Port de Nantes")
    for n in (1, 2):
        evse = EVSEFactory(location=location, uid=f"NTE-PORT-{n}", evse_id=f"FR*AB1*EPORT{n}")
        ConnectorFactory(evse=evse)
    services.save_location(location=location)
    Message.objects.update(state=Message.State.DELIVERED)
    return location


def test_ops_adds_an_evse_without_tariff_to_a_shared_site_and_it_is_held_back(browse, staff_user):
    """Issue 19.1: the new EVSE is held back and named; the hub keeps the site and its EVSEs."""
    from locations.ocpi import location_to_hub
    from locations.selectors import locations_for_ocpi
    from roaming.outbox.models import Message, Stream

    location = _shared_site(_operator())
    page = browse(staff_user("olga", "operations"))
    page.goto(f"{page.base}/admin/locations/location/{location.pk}/change/")
    add_evse = page.locator("a.djn-add-handler", has_text=re.compile("add another evse", re.I))
    add_evse.last.click()
    page.fill("#id_evses-2-uid", "NTE-PORT-3")
    page.select_option("#id_evses-2-preset", "AC_22")  # capabilities and a connector, no tariff
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator(".messagelist")).to_contain_text(
        "Held back from the hub, not sent until complete for Gireve (§3.5.1): "
        "EVSE FR*AB1*ENTEPORT3 (tariff_ids)"
    )
    fix = page.locator(".field-gireve_status a", has_text="EVSE FR*AB1*ENTEPORT3: give its")
    expect(fix).to_have_attribute("href", "#id_evses-2-tariff_ids")
    page.shot("09-evse-held-back")

    assert not Message.objects.filter(state=Message.State.PENDING).exists()  # no withdrawal
    assert Stream.objects.get().memo == {"synced": True}
    hub_copy = location_to_hub(locations_for_ocpi(Location.objects.filter(pk=location.pk)).get())
    assert hub_copy["publish"] is True
    assert [e["uid"] for e in hub_copy["evses"]] == ["NTE-PORT-1", "NTE-PORT-2"]


def test_ops_types_a_location_id_with_a_slash_and_is_told_on_the_field(browse, staff_user):
    """Issue 19.2: an id that would break OCPI URLs is refused on its field."""
    operator = _operator()
    page = browse(staff_user("olga", "operations"))
    page.goto(f"{page.base}/admin/locations/location/add/")
    page.select_option("#id_operator", str(operator.pk))
    page.fill("#id_ocpi_id", "NTE/GARE 2")
    page.fill("#id_address", "27 boulevard de Stalingrad")
    page.fill("#id_city", "Nantes")
    page.select_option("#id_country", "FRA")
    page.fill("#id_latitude", "47.2173")
    page.fill("#id_longitude", "-1.542")
    page.fill("#id_owner_name", "Nantes Métropole")
    page.click("input[name=_continue]")
    error = page.locator(".field-ocpi_id .errorlist")
    expect(error).to_contain_text("'NTE/GARE 2' contains a space, '/': use only letters, digits")
    page.locator(".form-row.field-ocpi_id").scroll_into_view_if_needed()
    page.shot("10-id-with-slash-refused")
    assert not Location.objects.exists()
