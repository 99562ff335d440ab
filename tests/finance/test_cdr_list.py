"""The CDR list: each filter, the net totals of the filtered set (by hand), sorting, paging,
bad input as form errors, and a bounded number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sessions import cdr_services
from sessions.finance import selectors

URL = "/finance/cdrs/"
ALL = f"{URL}?start=2026-01-01"


@pytest.fixture
def finance(client, staff):
    client.force_login(staff["finance"])
    return client


def _listed(answer) -> list[str]:
    return [cdr.ocpi_id for cdr in answer.context["page"]]


def _totals(answer) -> dict:
    return {t.currency: t for t in answer.context["totals"]}


def test_totals_of_everything_are_the_sums_by_hand(finance, three_charges):
    eur = _totals(finance.get(ALL))["EUR"]
    assert (eur.cdrs, eur.sessions) == (3, 3)
    assert eur.kwh == Decimal("35.0000")
    assert eur.excl_vat == Decimal("17.0000")  # 4 + (8 + 3) + 2
    assert eur.incl_vat == Decimal("20.4000")
    # total_time: A 1 h, B 1.5 h charging + 0.5 h parked, C 0.5 h
    assert (eur.hours, eur.parking_hours) == (Decimal("3.5"), Decimal("0.5"))


@pytest.mark.parametrize(
    ("query", "expected", "excl_vat"),
    [
        ("emsp=DE*TNM", {"A", "C"}, "6.0000"),
        ("emsp=de*tnm&start=2026-03-01&end=2026-03-31", {"A"}, "4.0000"),
        ("start=2026-04-01", {"C"}, "2.0000"),
        ("end=2026-03-31", {"A", "B"}, "15.0000"),
        ("min_amount=3&max_amount=10", {"A"}, "4.0000"),
        ("tariff=simple", {"A", "B", "C"}, "17.0000"),
        ("tariff=OTHER", set(), None),
        ("q=nl-emp-c0000", {"B"}, "11.0000"),
        ("q=AABBCCDD", {"B"}, "11.0000"),
        ("kind=original", {"A", "B", "C"}, "17.0000"),
        ("kind=held", set(), None),
    ],
)
def test_each_filter_lists_and_totals_its_cdrs(finance, three_charges, query, expected, excl_vat):
    answer = finance.get(f"{URL}?{query}")
    names = {three_charges[n].ocpi_id: n for n in three_charges}
    assert {names[i] for i in _listed(answer)} == expected
    totals = _totals(answer)
    assert (totals["EUR"].excl_vat if totals else None) == (excl_vat and Decimal(excl_vat))


def test_cdr_id_prefix_operator_and_location(finance, three_charges):
    cdr = three_charges["B"]
    assert _listed(finance.get(f"{URL}?q={cdr.ocpi_id[:10].upper()}")) == [cdr.ocpi_id]
    location = cdr.session.location
    assert (
        len(_listed(finance.get(f"{URL}?location={location.pk}&operator={cdr.operator_id}"))) == 3
    )


def test_credit_and_rebill_keep_net_totals_and_are_filtered_by_kind(finance, three_charges, staff):
    cdr = three_charges["A"]
    cdr_services.credit_cdr(cdr=cdr, reason="wrong", user=staff["finance"], rebill=True)

    eur = _totals(finance.get(ALL))["EUR"]
    assert (eur.cdrs, eur.sessions, eur.kwh, eur.excl_vat) == (5, 3, Decimal("35"), Decimal("17"))
    credit = _totals(finance.get(f"{URL}?kind=credit"))["EUR"]
    assert (credit.cdrs, credit.sessions, credit.excl_vat, credit.kwh) == (
        1, -1, Decimal("-4.0000"), Decimal("-10"),
    )  # fmt: skip
    assert _listed(finance.get(f"{URL}?kind=credited")) == [cdr.ocpi_id]
    assert _listed(finance.get(f"{URL}?kind=rebill")) == [f"{cdr.session.ocpi_id}-R1"]


def test_sorting_by_amount_both_ways(finance, three_charges):
    ids = {three_charges[n].ocpi_id: n for n in three_charges}
    assert [ids[i] for i in _listed(finance.get(f"{URL}?sort=amount"))] == ["C", "A", "B"]
    assert [ids[i] for i in _listed(finance.get(f"{URL}?sort=-amount"))] == ["B", "A", "C"]
    assert [ids[i] for i in _listed(finance.get(ALL))] == ["C", "B", "A"]  # newest first


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-13-01", "start"),
        ("start=2026-04-01&end=2026-03-01", "end"),
        ("emsp=FR-ABC", "emsp"),
        ("min_amount=5&max_amount=1", "max_amount"),
        ("min_amount=abc", "min_amount"),
        ("operator=999999", "operator"),
        ("sort=evil", "sort"),
    ],
)
def test_bad_filters_are_form_errors_and_list_nothing(finance, three_charges, query, field):
    answer = finance.get(f"{URL}?{query}")
    assert answer.status_code == 200
    assert field in answer.context["form"].errors
    assert _listed(answer) == [] and answer.context["totals"] == []
    assert "Fix the filters above" in answer.content.decode()


def test_the_bare_list_opens_on_this_month(finance, three_charges):
    answer = finance.get(URL)
    assert answer.status_code == 302 and "?start=" in answer["Location"]
    assert answer["Location"].endswith("-01")


def test_pages_of_fifty(finance, three_charges, monkeypatch):
    monkeypatch.setattr("sessions.finance.views.PAGE_SIZE", 2)
    first, second = finance.get(ALL), finance.get(f"{ALL}&page=2")
    assert len(_listed(first)) == 2 and len(_listed(second)) == 1
    assert first.context["page"].paginator.num_pages == 2


def test_period_bounds_are_paris_days():
    start, end = selectors.local_bounds(*[__import__("datetime").date(2026, 3, 1)] * 2)
    assert start.isoformat() == "2026-03-01T00:00:00+01:00"
    assert end.isoformat() == "2026-03-02T00:00:00+01:00"


@pytest.mark.parametrize(
    "url",
    [
        "/finance/",
        "/finance/cdrs/?start=2026-01-01",
        "/finance/cdrs/?emsp=DE*TNM&start=2026-03-01&q=DE&tariff=SIMPLE&kind=credited",
        "/finance/statements/?emsp=DE*TNM&month=2026-03",
    ],
)
def test_pages_take_a_bounded_number_of_queries(
    finance, three_charges, django_assert_max_num_queries, url
):
    with django_assert_max_num_queries(12):
        assert finance.get(url).status_code == 200


def test_detail_and_credit_pages_take_a_bounded_number_of_queries(
    finance, three_charges, staff, django_assert_max_num_queries
):
    cdr = three_charges["B"]
    cdr_services.credit_cdr(cdr=cdr, reason="x", user=staff["finance"], rebill=True)
    with django_assert_max_num_queries(12):
        assert finance.get(reverse("finance:cdr", args=[cdr.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert finance.get(reverse("finance:credit", args=[cdr.pk])).status_code == 200
