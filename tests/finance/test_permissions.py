"""Who may open the finance pages and who may credit (roaming.groups, sessions.finance.access).

Walked as production runs: STAFF_2FA_REQUIRED on, each user logged in with an enrolled
device (tests/conftest.py `login_with_second_factor`); without one, tests/accounts.
"""

import pytest
from django.urls import reverse

from sessions.models import Cdr

PAGES = ["dashboard", "cdrs", "cdr", "statement", "cdrs-export", "statement-export"]


def _url(name: str, cdr: Cdr) -> str:
    if name == "cdr":
        return reverse("finance:cdr", args=[cdr.pk])
    if name == "cdrs-export":
        return reverse("finance:cdrs-export", args=["csv"])
    if name == "statement-export":
        return reverse("finance:statement-export", args=["csv"]) + "?emsp=DE*TNM&month=2026-03"
    if name == "cdrs":
        return reverse("finance:cdrs") + "?start=2026-01-01"
    return reverse(f"finance:{name}")


@pytest.fixture
def login(login_with_second_factor):
    return login_with_second_factor


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_the_login_page(client, three_charges, page):
    answer = client.get(_url(page, three_charges["A"]))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("group", "status"),
    [("superuser", 200), ("finance", 200), ("operations", 200), ("no group", 403)],
)
def test_pages_open_to_finance_operations_and_superusers_only(
    client, login, staff, three_charges, page, group, status
):
    login(client, staff[group])
    assert client.get(_url(page, three_charges["A"])).status_code == status


@pytest.mark.parametrize("group", ["operations", "no group"])
def test_who_lacks_credit_cdr_can_neither_see_nor_post_the_credit(
    client, login, staff, three_charges, group
):
    cdr = three_charges["A"]
    login(client, staff[group])
    url = reverse("finance:credit", args=[cdr.pk])
    assert client.get(url).status_code == 403
    answer = client.post(url, {"reason": "wrong price", "rebill": "on", "confirm": "on"})
    assert answer.status_code == 403
    assert not Cdr.objects.filter(credit=True).exists()
    if group == "operations":
        page = client.get(reverse("finance:cdr", args=[cdr.pk])).content.decode()
        assert "Credit / re-bill this CDR" not in page
        assert "You may view this CDR but not credit it" in page


@pytest.mark.parametrize("group", ["finance", "superuser"])
def test_finance_and_superusers_are_offered_the_credit(client, login, staff, three_charges, group):
    login(client, staff[group])
    cdr = three_charges["A"]
    page = client.get(reverse("finance:cdr", args=[cdr.pk])).content.decode()
    assert reverse("finance:credit", args=[cdr.pk]) in page
    assert client.get(reverse("finance:credit", args=[cdr.pk])).status_code == 200


def test_finance_still_cannot_change_infrastructure_in_admin(client, login, staff, three_charges):
    login(client, staff["finance"])
    location = three_charges["A"].session.location
    url = reverse("admin:locations_location_change", args=[location.pk])
    assert client.post(url, {"name": "changed"}).status_code == 403
    assert staff["finance"].has_perm("charging.credit_cdr")
    assert not staff["operations"].has_perm("charging.credit_cdr")
