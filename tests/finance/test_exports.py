"""Exports read back: the same CDRs as the list, exact decimals, local times with the zone."""

import csv
import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from sessions.finance.exports import HEADERS


@pytest.fixture
def finance(client, staff):
    client.force_login(staff["finance"])
    return client


def _body(answer) -> bytes:
    return b"".join(answer.streaming_content)


def test_csv_of_a_filtered_list(finance, three_charges):
    answer = finance.get("/finance/cdrs/export.csv?emsp=DE*TNM&sort=start")
    assert answer["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(_body(answer).decode())))
    assert [row["CDR id"] for row in rows] == [
        three_charges["A"].ocpi_id,
        three_charges["C"].ocpi_id,
    ]
    first = rows[0]
    assert first["Start (local)"] == "2026-03-03T10:00:00+01:00"  # 09:00Z in Paris winter
    assert first["Time zone"] == "Europe/Paris"
    assert first["Total excl. VAT"] == "4.0000" and first["Total incl. VAT"] == "4.8000"
    assert first["Energy (kWh)"] == "10.0000"
    assert (first["eMSP"], first["Contract id"], first["Location id"]) == (
        "DE*TNM", "DE-TNM-C12345678-X", "PARIS-1",
    )  # fmt: skip


def test_xlsx_of_a_statement_has_the_summary_and_exact_amounts(finance, three_charges):
    answer = finance.get("/finance/statements/export.xlsx?emsp=NL*EMP&month=2026-03")
    assert answer["Content-Disposition"].endswith('statement-NLEMP-20260301-20260331.xlsx"')
    book = load_workbook(io.BytesIO(_body(answer)), read_only=True)
    summary = [row for row in book["Summary"].iter_rows(values_only=True)]
    assert summary[0][:2] == ("Statement", "NL*EMP")
    eur = next(row for row in summary if row and row[0] == "EUR")
    # sessions, kWh, time, parking, excl, incl, previous (February: nothing)
    assert [Decimal(str(v)) for v in eur[1:8]] == [
        Decimal(v) for v in ("1", "20", "2", "0.5", "11", "13.2", "0")
    ]
    rows = list(book["CDRs"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 2
    cdr = dict(zip(HEADERS, rows[1], strict=True))
    assert cdr["CDR id"] == three_charges["B"].ocpi_id
    assert Decimal(str(cdr["Total incl. VAT"])) == Decimal("13.2000")
    assert cdr["Time zone"] == "Europe/Paris"
    assert cdr["Start (local)"].isoformat() == "2026-03-10T18:00:00"  # 17:00Z


def test_xlsx_cells_hold_the_exact_amount_shown_with_four_decimals(finance, three_charges):
    """Amounts have at most 14 digits (Cdr columns): the shortest text of the double the
    cell holds is the amount itself, and the cell shows it with 4 decimals."""
    answer = finance.get("/finance/cdrs/export.xlsx?emsp=NL*EMP")
    sheet = zipfile.ZipFile(io.BytesIO(_body(answer))).read("xl/worksheets/sheet1.xml").decode()
    values = re.findall(r"<v>([^<]*)</v>", sheet)
    assert "13.2" in values and "11" in values
    cell = load_workbook(io.BytesIO(_body(finance.get("/finance/cdrs/export.xlsx?emsp=NL*EMP"))))[
        "CDRs"
    ]["S2"]
    assert (Decimal(str(cell.value)), cell.number_format) == (Decimal("13.2000"), "0.0000")


def test_csv_statement_opens_with_its_summary(finance, three_charges):
    answer = finance.get(
        "/finance/statements/export.csv?emsp=DE*TNM&start=2026-03-01&end=2026-04-30"
    )
    lines = list(csv.reader(io.StringIO(_body(answer).decode())))
    assert lines[0] == ["Statement", "DE*TNM"]
    eur = next(line for line in lines if line and line[0] == "EUR")
    assert eur[1:7] == ["2", "15.0000", "1.500000", "0.000000", "6.0000", "7.2000"]
    header = lines.index(HEADERS)
    assert len(lines) - header - 1 == 2


@pytest.mark.parametrize(
    "url",
    [
        "/finance/cdrs/export.pdf",
        "/finance/cdrs/export.csv?start=yesterday",
        "/finance/statements/export.xlsx?emsp=nobody",
        "/finance/statements/export.csv?emsp=DE*TNM&month=2026-99",
    ],
)
def test_bad_export_requests_are_4xx_never_500(finance, three_charges, url):
    assert finance.get(url).status_code in (400, 404)


def test_credit_rows_carry_negative_volumes_and_every_column_sums_to_the_totals(
    finance, staff, three_charges
):
    # Issue 18, item 7: a credit row's kWh and hours were positive, so summing the export's
    # kWh column gave more than the screen's net total.
    from sessions import cdr_services

    cdr_services.credit_cdr(
        cdr=three_charges["B"], reason="wrong", user=staff["finance"], rebill=True
    )
    query = "start=2026-03-01&end=2026-04-30"
    rows = list(
        csv.DictReader(
            io.StringIO(_body(finance.get(f"/finance/cdrs/export.csv?{query}")).decode())
        )
    )
    credit = next(row for row in rows if row["Kind"] == "credit")
    assert (credit["Energy (kWh)"], credit["Session time (h)"], credit["of which parking (h)"]) == (
        "-20.0000", "-2.000000", "-0.500000",
    )  # fmt: skip
    assert (credit["Total excl. VAT"], credit["Total incl. VAT"]) == ("-11.0000", "-13.2000")
    totals = {t.currency: t for t in finance.get(f"/finance/cdrs/?{query}").context["totals"]}
    eur = totals["EUR"]
    columns = {
        "Energy (kWh)": eur.kwh,
        "Session time (h)": eur.hours,
        "of which parking (h)": eur.parking_hours,
        "Total excl. VAT": eur.excl_vat,
        "Total incl. VAT": eur.incl_vat,
    }
    for column, total in columns.items():
        assert sum(Decimal(row[column]) for row in rows) == total, column
    # The list shows the credit's kWh negative too.
    page = finance.get(f"/finance/cdrs/?{query}&kind=credit").content.decode()
    assert '<td class="num">-20.0000</td>' in page

    # The XLSX: the same negative volumes.
    book = load_workbook(io.BytesIO(_body(finance.get(f"/finance/cdrs/export.xlsx?{query}"))))
    sheet = list(book["CDRs"].iter_rows(values_only=True))
    xlsx_credit = dict(zip(HEADERS, next(r for r in sheet[1:] if r[2] == "credit"), strict=True))
    assert Decimal(str(xlsx_credit["Energy (kWh)"])) == Decimal(-20)
    assert Decimal(str(xlsx_credit["Session time (h)"])) == Decimal(-2)


def test_computed_amounts_have_their_own_number_of_decimals_on_every_database():
    # What SQLite's REAL arithmetic hands back for a cast amount ("9.85570000000000") is read
    # as 4 decimals, as PostgreSQL's numeric(20, 4); hours with 6.
    from sessions.finance.selectors import HOURS, MONEY

    assert str(MONEY.from_db_value(Decimal("9.85570000000000"), None, None)) == "9.8557"
    assert str(MONEY.from_db_value(9.8557, None, None)) == "9.8557"
    assert str(MONEY.from_db_value(Decimal("-13.2"), None, None)) == "-13.2000"
    assert str(HOURS.from_db_value(Decimal("0.666700000000000"), None, None)) == "0.666700"
    assert MONEY.from_db_value(None, None, None) is None
