"""A self-test CDR (sessions.test_charge) beside real ones: never billed, so no total,
statement or export counts it; the CDR list shows it only when asked, marked TEST."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from sessions import cdr_services
from sessions.finance import selectors
from sessions.test_charge import begin_test_charge, finish_test_charge, update_test_charge
from tests.factories import AuthorizationFactory, UserFactory

from .conftest import DE_TNM, utc

URL = "/finance/cdrs/"
ALL = f"{URL}?start=2026-01-01"


@pytest.fixture
def finance(client, staff):
    client.force_login(staff["finance"])
    return client


def _test_cdr(evse, start: dt.datetime, authorization=None):
    session = begin_test_charge(evse=evse, authorization=authorization, now=start)
    session = update_test_charge(session, now=start + dt.timedelta(minutes=5))
    return finish_test_charge(session, now=start + dt.timedelta(minutes=10))


@pytest.fixture
def test_cdr(three_charges, charger):
    """DE*TNM's token (as the hub returned it) in March, beside charge A (DE*TNM, March)."""
    authorization = AuthorizationFactory(
        evse=charger, uid=DE_TNM["uid"], token=DE_TNM, authorization_reference="QUALIF-1"
    )
    return _test_cdr(charger, utc(2026, 3, 5, 9, 0), authorization)


def _csv_ids(answer) -> list[str]:
    text = b"".join(answer.streaming_content).decode()
    return [row["CDR id"] for row in csv.DictReader(io.StringIO(text))]


def test_totals_statements_and_exports_leave_the_test_cdr_out(finance, three_charges, test_cdr):
    real = [three_charges[name].ocpi_id for name in "ABC"]
    assert test_cdr.is_test and test_cdr.total_energy > 0

    # The list: hidden unless asked; the totals are the real ones either way.
    for query in (ALL, f"{ALL}&tests=shown"):
        answer = finance.get(query)
        [eur] = answer.context["totals"]
        assert (eur.cdrs, eur.sessions, eur.kwh, eur.excl_vat) == (
            3, 3, Decimal("35.0000"), Decimal("17.0000"),
        )  # fmt: skip
    assert test_cdr.ocpi_id not in [c.ocpi_id for c in finance.get(ALL).context["page"]]

    # The statement of DE*TNM for March: charge A only.
    answer = finance.get("/finance/statements/?emsp=DE*TNM&month=2026-03")
    [(march, _)] = answer.context["totals"]
    assert (march.cdrs, march.sessions, march.excl_vat) == (1, 1, Decimal("4.0000"))
    assert [c.ocpi_id for c in answer.context["page"]] == [three_charges["A"].ocpi_id]

    # Exports: the list's (even when the list shows it) and the statement's.
    assert sorted(_csv_ids(finance.get(f"{URL}export.csv?start=2026-01-01&tests=shown"))) == (
        sorted(real)
    )
    assert _csv_ids(finance.get(f"{URL}export.csv?start=2026-01-01&tests=only")) == []
    answer = finance.get("/finance/statements/export.xlsx?emsp=DE*TNM&month=2026-03")
    book = load_workbook(io.BytesIO(b"".join(answer.streaming_content)), read_only=True)
    ids = [row[0] for row in book["CDRs"].iter_rows(min_row=2, values_only=True)]
    assert ids == [three_charges["A"].ocpi_id]
    eur = next(row for row in book["Summary"].iter_rows(values_only=True) if row[:1] == ("EUR",))
    assert eur[1] == 1  # sessions


def test_the_list_shows_it_marked_only_when_asked(finance, test_cdr):
    shown = finance.get(f"{ALL}&tests=shown")
    assert test_cdr.ocpi_id in [c.ocpi_id for c in shown.context["page"]]
    assert shown.context["page"].paginator.count == 4 and shown.context["export_count"] == 3
    html = shown.content.decode()
    row = next(r for r in html.split("<tr>") if test_cdr.ocpi_id in r)
    assert '<span class="tag test"' in row
    assert 'id="test-cdrs"' in html
    only = finance.get(f"{ALL}&tests=only")
    assert [c.ocpi_id for c in only.context["page"]] == [test_cdr.ocpi_id]
    assert only.context["totals"] == []
    assert 'class="tag test"' not in finance.get(ALL).content.decode()


def test_its_page_says_test_and_it_cannot_be_credited(client, staff, test_cdr):
    client.force_login(staff["superuser"])
    answer = client.get(f"/finance/cdrs/{test_cdr.pk}/")
    assert answer.status_code == 200
    assert 'id="test-cdr"' in answer.content.decode()
    assert answer.context["creditable"] is False
    with pytest.raises(ValidationError, match="self-test"):
        cdr_services.credit_cdr(cdr=test_cdr, reason="no", user=UserFactory(), rebill=True)
    assert test_cdr.credits.count() == 0


def test_our_own_party_of_a_test_without_a_hub_token_is_not_an_emsp(charger):
    cdr = _test_cdr(charger, utc(2026, 3, 5, 9, 0))
    operator = charger.location.operator
    assert (cdr.emsp_country_code, cdr.emsp_party_id) == (operator.country_code, operator.party_id)
    assert selectors.emsps() == []


def test_the_dashboard_month_has_no_test_cdr_waiting_or_counted(finance, connected_hub, charger):
    session = begin_test_charge(evse=charger)
    cdr = finish_test_charge(update_test_charge(session))  # today, its POST still queued
    assert selectors.unacknowledged().filter(pk=cdr.pk).exists()

    answer = finance.get("/finance/")

    assert answer.context["totals"] == [] and answer.context["by_emsp"] == []
    assert answer.context["waiting_count"] == 0 and answer.context["waiting"] == []
