"""CSV and XLSX of a filtered CDR list or a statement, streamed with bounded memory.

Rows come from a server-side cursor (`iterator`) in chunks; CSV goes to the client as it is
written; XLSX is written row by row by openpyxl's write_only mode into a temporary file
(a zip cannot be sent before its directory is known) and then streamed from it. Amounts are
the exact Decimals (CSV text; XLSX numbers, shown with 4 decimals: at most 14 digits, as
in the Cdr columns, so the double a cell holds prints back as the exact amount; the same
digits on every database, selectors.Quantized); a credit row's volumes are negative, like
its amounts, so every column sums to the net totals;
times are in the location's time zone, the zone named in its own column (and in the CSV
value's offset). Self-test CDRs are never exported (selectors.billable): an export is what
was billed.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from ..models import Cdr
from . import selectors

CHUNK = 2000
HEADERS = [
    "CDR id",
    "Session id",
    "Kind",
    "At the hub",
    "eMSP",
    "Contract id",
    "Operator",
    "Location id",
    "EVSE id",
    "Tariff id",
    "Start (local)",
    "End (local)",
    "Time zone",
    "Energy (kWh)",
    "Session time (h)",
    "of which parking (h)",
    "Currency",
    "Total excl. VAT",
    "Total incl. VAT",
    "Credit of",
]
_FIELDS = [
    "ocpi_id",
    "session_ocpi_id",
    "credit",
    "rebill_of_id",
    "state",
    "hub_delivered",
    "hub_last",
    "emsp_country_code",
    "emsp_party_id",
    "contract_id",
    "operator_code",
    "operator_party",
    "location_id",
    "evse_id",
    "tariff_id",
    "start_date_time",
    "end_date_time",
    "time_zone",
    "kwh",
    "hours",
    "parking_hours",
    "currency",
    "total_cost_excl_vat",
    "incl_vat",
    "credit_of",
]
DECIMAL_COLUMNS = {13, 14, 15, 17, 18}
DATE_COLUMNS = {10, 11}


def rows(queryset: QuerySet[Cdr]) -> Iterator[list]:
    """Export rows (Python values: Decimal, aware local datetime) from a server-side cursor;
    self-test CDRs left out."""
    zones: dict[str, ZoneInfo] = {}
    values = (
        selectors.with_hub_messages(selectors.cdr_rows(selectors.billable(queryset)))
        .annotate(session_ocpi_id=KT("data__session_id"), credit_of=KT("data__credit_reference_id"))
        .values_list(*_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    for row in values:
        (cdr_id, session_id, credit, rebill_of, state, delivered, last, country, party,
         contract, op_cc, op_pid, location, evse, tariff, start, end, zone_name, kwh, hours,
         parking, currency, excl, incl, credit_of) = row  # fmt: skip
        zone = zones.get(zone_name) or zones.setdefault(zone_name, ZoneInfo(zone_name))
        kind = "credit" if credit else ("re-bill" if rebill_of else "original")
        yield [
            cdr_id,
            session_id or "",
            kind,
            selectors.hub_words(state, delivered, last),
            f"{country}*{party}",
            contract or "",
            f"{op_cc}*{op_pid}",
            location or "",
            evse or "",
            tariff or "",
            start.astimezone(zone),
            end.astimezone(zone),
            zone_name,
            kwh,
            hours,
            parking,
            currency,
            excl,
            incl,
            credit_of or "",
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_text(row: list) -> list:
    return [
        value.isoformat() if isinstance(value, dt.datetime) else ("" if value is None else value)
        for value in row
    ]


def csv_lines(preamble: Iterable[list], body: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for line in preamble:
        yield writer.writerow(line)
    yield writer.writerow(HEADERS)
    for row in body:
        yield writer.writerow(_csv_text(row))


def csv_response(filename: str, body: Iterable[list], preamble: Iterable[list] = ()):
    response = StreamingHttpResponse(csv_lines(preamble, body), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def write_xlsx(target, body: Iterable[list], summary: list[list] | None = None) -> None:
    """Write the workbook (a Summary sheet when given, then CDRs) row by row to `target`."""
    book = Workbook(write_only=True)
    if summary:
        sheet = book.create_sheet("Summary")
        for line in summary:
            sheet.append([_xlsx_cell(sheet, value, amount=True) for value in line])
    sheet = book.create_sheet("CDRs")
    sheet.append(HEADERS)
    for row in body:
        sheet.append(
            [
                _xlsx_cell(sheet, value, amount=i in DECIMAL_COLUMNS, date=i in DATE_COLUMNS)
                for i, value in enumerate(row)
            ]
        )
    book.save(target)


def _xlsx_cell(sheet, value, *, amount: bool = False, date: bool = False):
    if date and isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))  # local wall time
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if amount and value is not None and not isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.0000"
        return cell
    return value


def xlsx_response(filename: str, body: Iterable[list], summary: list[list] | None = None):
    # Not a `with`: FileResponse closes (so removes) it once the body is sent.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    write_xlsx(handle, body, summary)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
