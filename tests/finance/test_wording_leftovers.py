"""Finance screens and exports said things only a developer reads (issue 19, audit 2 E4, B7):
"-1 sessions (net)", "#2 · 2 (PARKING_TIME)", "for ('NL', 'EMP')", "no more than 14 digits",
a "Fix the filters above" naming no field, and State "QUEUED" in the CSV."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sessions import cdr_services
from sessions.session_push import CDR_MODULE, stream_key
from tests.factories import MessageFactory, StreamFactory


@pytest.fixture
def finance(client, staff):
    client.force_login(staff["finance"])
    return client


def test_a_credit_only_filter_counts_credited_sessions_in_words(finance, staff, three_charges):
    cdr_services.credit_cdr(cdr=three_charges["A"], user=staff["finance"], reason="wrong meter")
    page = finance.get(reverse("finance:cdrs") + "?kind=credit").content.decode()
    assert "-1 session" not in page
    assert "1 session credited" in page


def test_price_lines_name_the_element_and_price_in_words(finance, three_charges):
    page = finance.get(reverse("finance:cdr", args=[three_charges["B"].pk])).content.decode()
    assert "(PARKING_TIME)" not in page and "(ENERGY)" not in page
    assert "element 1, price 2: parking time" in page


def test_a_rebill_under_an_unknown_tariff_names_the_emsp_and_the_local_start(staff, three_charges):
    with pytest.raises(ValidationError) as refused:
        cdr_services.credit_cdr(
            cdr=three_charges["B"], user=staff["finance"], reason="x", rebill_tariff_id="NOPE"
        )
    message = " ".join(refused.value.message_dict["tariff"])
    assert "('NL', 'EMP')" not in message and "+00:00" not in message
    assert "NL*EMP" in message and "2026-03-10 18:00 (Europe/Paris)" in message


def test_too_large_an_amount_filter_says_the_limit_in_words(finance, three_charges):
    page = finance.get(reverse("finance:cdrs") + "?min_amount=123456789012345").content.decode()
    assert "14 digits" not in page
    assert "at most 9999999999.9999" in page


def test_an_unknown_sort_is_named(finance, three_charges):
    page = finance.get(reverse("finance:cdrs") + "?sort=nonsense").content.decode()
    assert "The sort order in the address is unknown" in page


def test_csv_state_uses_the_screen_words(finance, three_charges):
    sent = three_charges["A"]
    MessageFactory(
        stream=StreamFactory(key=stream_key(sent.session), module="sessions"),
        method="POST", path="", endpoint_module=CDR_MODULE, object_id=sent.ocpi_id,
        state="DELIVERED",
    )  # fmt: skip
    answer = finance.get("/finance/cdrs/export.csv?sort=start")
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    states = {row["CDR id"]: row["At the hub"] for row in rows}
    assert states[sent.ocpi_id] == "acknowledged by the hub"
    assert states[three_charges["B"].ocpi_id] == "not sent: no hub platform took CDRs"
    assert "QUEUED" not in states.values()
