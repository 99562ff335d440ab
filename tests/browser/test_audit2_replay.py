"""Audit 2 leftovers replayed in a real browser (issue 19): A8 (a 3 MB paste under DEBUG, as
`.ci/start` runs), B8 (finance is pointed at nothing it cannot use), E4 (finance filter
messages in words). No screenshots: these pages are shown by other journeys.
"""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from locations.models import Location
from roaming import audit
from roaming.models import Operator
from tests.factories import TariffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _operator() -> Operator:
    return Operator.objects.create(
        country_code="FR", party_id="AB1", name="Électro Route", website="https://er.example.com"
    )


def test_a8_a_3_mb_paste_under_debug_is_refused_with_the_friendly_page(
    browse, staff_user, settings
):
    settings.DEBUG = True  # as .ci/start: Django's debug page was shown (audit 2, A8)
    _operator()
    page = browse(staff_user("olga", "operations"))
    page.goto(f"{page.base}/admin/locations/location/add/")
    page.eval_on_selector("#id_name", "e => e.removeAttribute('maxlength')")
    page.eval_on_selector("#id_name", "e => { e.value = 'x'.repeat(3 * 1024 * 1024) }")
    page.click("input[name=_save]")
    expect(page.locator("h1")).to_have_text("Request refused")
    expect(page.locator("body")).to_contain_text("Nothing was saved.")
    expect(page.locator("body")).not_to_contain_text("Traceback")
    assert not Location.objects.exists()


def test_b8_finance_is_pointed_at_nothing_it_cannot_use(browse, staff_user):
    operator = _operator()
    tariff = TariffFactory(operator=operator, ocpi_id="LIVE", published_at=timezone.now())
    olga = staff_user("olga", "operations")
    audit.record(actor=olga, action="admin_user", objects=[olga], detail="new staff user")
    page = browse(staff_user("fiona", "finance"))

    page.goto(f"{page.base}/admin/tariffs/tariff/{tariff.pk}/change/")
    expect(page.locator(".field-gireve_status")).to_contain_text("Published")
    expect(page.locator("body")).not_to_contain_text("Change prices from a date")

    page.goto(f"{page.base}/admin/roaming/auditentry/")
    expect(page.locator("#result_list")).to_contain_text(f"user: {olga.username}")
    user_url = f"/admin/auth/user/{olga.pk}/change/"
    expect(page.locator(f"#result_list a[href='{user_url}']")).to_have_count(0)
    for href in page.locator("#result_list a").evaluate_all("els => els.map(e => e.href)"):
        assert page.request.get(href).status == 200, href  # every link it shows opens
    assert User.objects.filter(username="fiona").exists()


def test_e4_finance_filter_messages_name_the_field_in_words(browse, staff_user):
    page = browse(staff_user("fiona", "finance"))
    page.goto(f"{page.base}/finance/cdrs/?min_amount=123456789012345")
    expect(page.locator("#filters")).to_contain_text("An amount is at most 9999999999.9999")
    expect(page.locator("body")).not_to_contain_text("14 digits")
    page.goto(f"{page.base}/finance/cdrs/?sort=kwh-desc")
    expect(page.locator("body")).to_contain_text("The sort order in the address is unknown")
