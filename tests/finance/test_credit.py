"""Credit and re-bill from the CDR page: recorded with the user and the reason in the audit
trail; bad input is a form error and writes nothing."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from roaming.audit import action_of
from sessions.models import Cdr


@pytest.fixture
def finance(client, staff):
    client.force_login(staff["finance"])
    return client


def test_credit_and_rebill_through_the_page(finance, staff, three_charges):
    cdr = three_charges["B"]
    url = reverse("finance:credit", args=[cdr.pk])
    page = finance.get(url).content.decode()
    assert "Gireve §3.9.3" in page and "not forwarded" in page

    answer = finance.post(
        url, {"reason": "Parking billed while the barrier was broken", "rebill": "on",
              "confirm": "on"},
    )  # fmt: skip

    credit = Cdr.objects.get(credit=True)
    rebill = Cdr.objects.get(rebill_of=cdr)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("finance:cdr", args=[rebill.pk])
    assert (credit.credit_reference, credit.created_by, credit.reason) == (
        cdr, staff["finance"], "Parking billed while the barrier was broken",
    )  # fmt: skip
    assert str(credit.total_cost_excl_vat) == "-11.0000"
    entries = LogEntry.objects.filter(user=staff["finance"]).order_by("pk")
    assert [(action_of(e), e.object_id) for e in entries] == [
        ("credit_cdr", str(credit.pk)),
        ("rebill_cdr", str(rebill.pk)),
    ]
    assert all("barrier was broken" in e.change_message for e in entries)
    chain = finance.get(answer["Location"]).content.decode()
    assert f"credit of {cdr.ocpi_id}" in chain and f"re-bill of {cdr.ocpi_id}" in chain


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"reason": "   ", "rebill": "on", "confirm": "on"}, "reason"),
        ({"reason": "wrong", "rebill": "on"}, "confirm"),
        ({"reason": "x" * 1001, "confirm": "on"}, "reason"),
        (
            {"reason": "wrong", "rebill_tariff_id": "NOPE", "confirm": "on"},
            "tariff: Tariff NOPE has no description for eMSP",
        ),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(finance, three_charges, data, error):
    cdr = three_charges["A"]
    entries = LogEntry.objects.count()
    answer = finance.post(reverse("finance:credit", args=[cdr.pk]), data)
    assert answer.status_code == 200
    form = answer.context["form"]
    assert error in form.errors or any(error in e for e in form.non_field_errors())
    assert Cdr.objects.count() == 3 and LogEntry.objects.count() == entries


def test_a_cdr_is_credited_once_and_a_credit_never(finance, staff, three_charges):
    cdr = three_charges["C"]
    url = reverse("finance:credit", args=[cdr.pk])
    data = {"reason": "wrong", "confirm": "on"}
    assert finance.post(url, data).status_code == 302
    again = finance.post(url, data)
    assert "was already credited" in str(again.context["form"].non_field_errors())
    credit = Cdr.objects.get(credit=True)
    answer = finance.post(reverse("finance:credit", args=[credit.pk]), data)
    assert "is a credit CDR" in str(answer.context["form"].non_field_errors())
    assert Cdr.objects.filter(credit=True).count() == 1
    assert (
        "Credit / re-bill this CDR"
        not in finance.get(reverse("finance:cdr", args=[cdr.pk])).content.decode()
    )


def test_unknown_cdr_is_404(finance, db):
    assert finance.get(reverse("finance:cdr", args=[999999])).status_code == 404
    assert finance.post(reverse("finance:credit", args=[999999]), {}).status_code == 404
