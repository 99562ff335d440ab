"""Audit 2 journeys in a real browser (issue 19.3, 19.4, 19.8): prices typed as people type
them, tariff times in the operator's zone, each group's front door, a refusal that helps.

Screenshots (1280x800) go to docs/screenshots/09-*.png to 12-*.png.
"""

import datetime as dt

import pytest
from playwright.sync_api import expect

from roaming.models import Operator
from tariffs import services
from tariffs.models import Tariff
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _operator() -> Operator:
    return Operator.objects.create(
        country_code="FR", party_id="AB1", name="Électro Route", website="https://er.example.com"
    )


def test_vat_typed_as_20_percent_is_stored_as_20_and_1e20_is_refused_with_the_maximum(
    browse, staff_user
):
    operator = _operator()
    page = browse(staff_user("olga", "operations"))
    page.goto(f"{page.base}/admin/tariffs/tariff/add/")
    page.select_option("#id_operator", str(operator.pk))
    page.fill("#id_ocpi_id", "NTE_AC")
    page.select_option("#id_type", "REGULAR")
    first = page.locator(".te-element").nth(0)
    first.locator(".te-price").fill("1e20")
    first.locator(".te-vat").fill("20%")
    expect(page.locator(".te-words")).to_contain_text("the price must be at most 100000")
    page.click("input[name=_continue]")
    expect(page.locator(".errorlist")).to_contain_text(
        "Prices 1, line 1: the price must be at most 100000 (got 1e20)."
    )
    assert not Tariff.objects.exists()

    page.locator(".te-element").nth(0).locator(".te-price").fill("0.35")
    page.click(".te-add-element")
    second = page.locator(".te-element").nth(1)
    expect(second.locator(".te-price-unit")).to_have_value("min")  # time is quoted per minute
    second.locator(".te-price").fill("0.05")
    second.locator(".te-vat").fill("20 %")
    expect(page.locator(".te-words")).to_have_text(
        "0.35 €/kWh; 3.00 €/h billed per minute (excl. VAT; VAT 20 %)"
    )
    page.shot("09-tariff-vat-typed-with-percent")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("is a draft")
    components = [e["price_components"][0] for e in Tariff.objects.get().elements]
    assert [c["vat"] for c in components] == ["20", "20"]
    assert components[1]["price"] == "3.00"


def test_the_tariff_page_is_in_paris_time_and_an_end_typed_there_stays_there(browse, staff_user):
    operator = _operator()  # FR, no location yet: Europe/Paris
    tariff = services.save_tariff(
        tariff=Tariff(
            operator=operator,
            ocpi_id="NTE_AC",
            currency="EUR",
            elements=[{"price_components": [{"type": "ENERGY", "price": "0.35", "step_size": 1}]}],
            start_date_time=dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC),
        )
    )
    page = browse(staff_user("olga", "operations"))
    page.goto(f"{page.base}/admin/tariffs/tariff/{tariff.pk}/change/")
    expect(page.locator(".fieldBox.field-applies_from")).to_contain_text(
        "2027-01-01 00:00:00 (Europe/Paris)"
    )
    expect(page.locator(".fieldBox.field-end_date_time label").first).to_contain_text(
        "Ends (Europe/Paris)"
    )
    page.fill("#id_end_date_time_0", "2027-12-31")
    page.fill("#id_end_date_time_1", "23:59:59")
    page.shot("10-tariff-end-in-paris-time")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("#id_end_date_time_1")).to_have_value("23:59:59")
    tariff.refresh_from_db()
    assert tariff.end_date_time == dt.datetime(2027, 12, 31, 22, 59, 59, tzinfo=dt.UTC)

    page.goto(f"{page.base}/admin/tariffs/tariff/")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("2027-01-01 00:00 CET")
    expect(row).to_contain_text("2027-12-31 23:59 CET")


def test_finance_lands_on_finance_and_a_refusal_says_what_to_do(chromium, live_server, staff_user):
    staff_user("fiona", "finance")
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")  # the address people type first
        expect(page.locator("#id_auth-username")).to_be_visible()
        page.fill("#id_auth-username", "fiona")
        page.fill("#id_auth-password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/finance/")
        expect(page.locator("h1").first).to_be_visible()

        refused = page.goto(f"{live_server.url}/admin/tariffs/tariff/assign-evses/")
        assert refused.status == 403
        expect(page.locator("h1")).to_have_text("You may not use this page")
        expect(page.locator("a:text-is('Finance')")).to_have_attribute("href", "/finance/")
        page.screenshot(path=str(_shot("11-refusal-says-what-to-do")))
        page.click("a:text-is('Finance')")
        page.wait_for_url(f"{live_server.url}/finance/")
        page.goto(f"{live_server.url}/admin/")
        expect(page.locator("#finance-pointer")).to_contain_text("finance screens")
        page.screenshot(path=str(_shot("12-admin-points-finance-to-its-screens")))
    finally:
        context.close()


def _shot(name: str):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
