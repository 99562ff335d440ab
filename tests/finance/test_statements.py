"""Statements per eMSP and period, with the previous period and daily figures; the dashboard's
month, held and unacknowledged CDRs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from roaming.outbox.models import Message
from sessions.finance import selectors
from sessions.models import Cdr

URL = "/finance/statements/"


@pytest.fixture
def finance(client, staff):
    client.force_login(staff["finance"])
    return client


def test_a_month_for_one_emsp_with_the_previous_month(finance, three_charges):
    answer = finance.get(f"{URL}?emsp=DE*TNM&month=2026-04")
    [(now, before)] = answer.context["totals"]
    assert (now.sessions, now.kwh, now.excl_vat, now.incl_vat) == (
        1, Decimal("5"), Decimal("2.0000"), Decimal("2.4000"),
    )  # fmt: skip
    assert (before.sessions, before.excl_vat) == (1, Decimal("4.0000"))  # March: A
    assert answer.context["before"] == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert [cdr.ocpi_id for cdr in answer.context["page"]] == [three_charges["C"].ocpi_id]
    html = answer.content.decode()
    assert html.count("<svg") == 2  # daily revenue and energy


def test_daily_figures_are_per_paris_day(three_charges):
    march = selectors.in_period(Cdr.objects.all(), dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    rows = selectors.daily(march)
    assert [(r["day"], r["excl_vat"], r["kwh"]) for r in rows] == [
        (dt.date(2026, 3, 3), Decimal("4.0000"), Decimal("10.0000")),
        (dt.date(2026, 3, 10), Decimal("11.0000"), Decimal("20.0000")),
    ]


def test_any_period_compares_with_as_many_days_before():
    assert selectors.previous_period(dt.date(2026, 3, 10), dt.date(2026, 3, 16)) == (
        dt.date(2026, 3, 3), dt.date(2026, 3, 9),
    )  # fmt: skip
    assert selectors.previous_period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == (
        dt.date(2026, 2, 1), dt.date(2026, 2, 28),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("emsp=DE*TNM&month=2026-13", "A month is written YYYY-MM"),
        ("emsp=DETNM&month=2026-03", "An eMSP is written like FR*ABC"),
        ("emsp=DE*TNM", "Choose a month, or both dates"),
        ("emsp=DE*TNM&start=2026-03-10&end=2026-03-01", "The end date is before"),
        ("emsp=DE*TNM&start=2020-01-01&end=2026-03-01", "at most a year"),
    ],
)
def test_bad_statement_requests_are_form_errors(finance, three_charges, query, message):
    answer = finance.get(f"{URL}?{query}")
    assert answer.status_code == 200 and message in answer.content.decode()


def test_dashboard_shows_this_month_held_and_unacknowledged(finance, three_charges, monkeypatch):
    held, waiting = three_charges["A"], three_charges["B"]
    Cdr.objects.filter(pk=held.pk).update(state=Cdr.State.HELD, held_reason="total mismatch")
    # B's POST to the hub is still pending (a real outbox message on the session's stream).
    from sessions.session_push import CDR_MODULE, stream_key
    from tests.factories import PlatformFactory, StreamFactory

    stream = StreamFactory(platform=PlatformFactory(), key=stream_key(waiting.session))
    Message.objects.create(
        stream=stream, method="POST", path="", endpoint_module=CDR_MODULE,
        object_id=waiting.ocpi_id, state=Message.State.PENDING,
    )  # fmt: skip
    monkeypatch.setattr(
        "sessions.finance.views.timezone.now", lambda: dt.datetime(2026, 4, 20, tzinfo=dt.UTC)
    )
    answer = finance.get(reverse("finance:dashboard"))
    assert [r["totals"].excl_vat for r in answer.context["by_emsp"]] == [Decimal("2.0000")]
    assert [c.ocpi_id for c in answer.context["held"]] == [held.ocpi_id]
    assert [c.ocpi_id for c in answer.context["waiting"]] == [waiting.ocpi_id]
    detail = finance.get(reverse("finance:cdr", args=[waiting.pk])).content.decode()
    assert "POST cdrs" in detail and "pending" in detail
