"""Finance journeys in a real browser (issue 15): find a CDR, read why it costs what it
costs, export the month, credit it with a reason; and what finance or ops may not do.

Data: `demo_data --charging`, months of charges made through the session services.
Screenshots (1280x800) go to docs/screenshots/finance-*.png.
"""

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from roaming.audit import action_of
from sessions.finance import selectors
from sessions.models import Cdr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(transactional_db):
    call_command("demo_data", "--charging", stdout=io.StringIO())
    return Cdr.objects.filter(emsp_country_code="NL", emsp_party_id="EMP", credit=False)


def test_finance_finds_explains_exports_and_credits_a_cdr(browse, staff_user, demo, tmp_path):
    fiona = staff_user("fiona", "finance")
    page = browse(fiona)

    page.goto(f"{page.base}/finance/")
    expect(page.locator("h1")).to_contain_text("so far")
    page.shot("finance-dashboard")

    # Find: the NL*EMP CDRs of one month, the most expensive first.
    target = (
        demo.filter(
            data__total_parking_time__gt=0,
            data__tariffs__0__target_operator_party_id="EMP",  # NL*EMP's own tariff
            rebill_of__isnull=True,
        )
        .exclude(credits__isnull=False)
        .order_by("-start_date_time")
        .first()
    )
    day = target.start_date_time.astimezone(selectors.FINANCE_ZONE).date()
    page.goto(f"{page.base}/finance/cdrs/")
    page.fill("#id_emsp", "NL*EMP")
    page.fill("#id_start", day.replace(day=1).isoformat())
    page.fill("#id_end", day.isoformat())
    page.click("button:text-is('Filter')")
    expect(page.locator("table tbody tr").first).to_contain_text("NL*EMP")
    expected = selectors.totals_by_currency(
        selectors.for_emsp(
            selectors.in_period(Cdr.objects.all(), day.replace(day=1), day), "NL*EMP"
        )
    )[0]
    expect(page.locator(".totals")).to_contain_text(f"{expected.excl_vat} EUR")
    page.shot("finance-cdr-list")

    # Export what is listed, read it back.
    with page.expect_download() as download:
        page.click("a:text-is('XLSX')")
    path = tmp_path / "cdrs.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path, read_only=True)["CDRs"].iter_rows(values_only=True))
    assert len(rows) - 1 == expected.cdrs
    assert {row[12] for row in rows[1:]} == {"Europe/Paris"}

    # Open it and read its price, line by line.
    page.click(f"a:text-is('{target.ocpi_id}')")
    expect(page.locator("#explanation")).to_contain_text("parking time")
    expect(page.locator("#price-check")).to_contain_text("same total as the CDR")
    expect(page.locator("body")).to_contain_text("targeted at this eMSP (NL*EMP)")
    page.shot("finance-cdr-detail")
    page.locator("h2:text-is('Timeline')").evaluate("e => e.scrollIntoView()")
    page.shot("finance-cdr-timeline")

    # Credit it: a reason of blanks is refused, then a real one goes through.
    page.click("a:text-is('Credit / re-bill this CDR…')")
    expect(page.locator(".notice")).to_contain_text("Gireve §3.9.3")
    page.fill("#id_reason", "   ")
    page.check("#id_confirm")
    page.click("button:text-is('Issue the credit')")
    expect(page.locator(".errorlist")).to_contain_text("required")
    assert not Cdr.objects.filter(credit_reference=target).exists()
    page.fill("#id_reason", "Driver disputes the parking: barrier broken that evening")
    page.check("#id_confirm")
    page.shot("finance-credit")
    page.click("button:text-is('Issue the credit')")
    expect(page.locator(".messages")).to_contain_text(f"Credit CDR {target.ocpi_id}-C issued")
    credit = Cdr.objects.get(credit_reference=target)
    assert credit.created_by == fiona and "barrier broken" in credit.reason
    entries = LogEntry.objects.filter(user=fiona).order_by("pk")
    # Her login through the login page is in the trail too (roaming.accounts).
    assert [action_of(e) for e in entries if action_of(e) != "login"] == [
        "credit_cdr",
        "rebill_cdr",
    ]
    expect(page.locator("body")).to_contain_text(f"credit of {target.ocpi_id}")
    page.shot("finance-credited")

    # The month's statement for the eMSP.
    page.goto(f"{page.base}/finance/statements/?emsp=NL*EMP&month={day:%Y-%m}")
    expect(page.locator("#statement-totals")).to_contain_text("EUR")
    page.shot("finance-statement")


def test_what_ops_and_finance_may_not_do(browse, staff_user, demo):
    cdr = demo.first()
    page = browse(staff_user("olga", "operations"))
    page.goto(f"{page.base}/finance/cdrs/{cdr.pk}/")
    expect(page.locator("#no-credit")).to_contain_text("You may view this CDR but not credit it")
    expect(page.locator("a:text-is('Credit / re-bill this CDR…')")).to_have_count(0)
    answer = page.goto(f"{page.base}/finance/cdrs/{cdr.pk}/credit/")
    assert answer.status == 403

    page = browse(staff_user("fiona", "finance"))
    location = cdr.session.location
    page.goto(f"{page.base}/admin/locations/location/{location.pk}/change/")
    expect(page.locator("input[name=_save]")).to_have_count(0)  # view only
    assert page.goto(f"{page.base}/admin/locations/location/add/").status == 403
    assert page.goto(f"{page.base}/admin/tariffs/tariff/add/").status == 403
    assert not Cdr.objects.filter(credit=True, created_by__username__in=["olga", "fiona"]).exists()
