"""The price explained line by line agrees with the pricing engine and with the CDR: day and
night windows, a start fee, step rounding, min price, and whose tariff description it was."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse

from sessions.finance.demo import charge
from sessions.finance.explanation import explain_cdr
from tariffs import services as tariff_services
from tariffs.pricing import price_cdr
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory, TariffFactory

from .conftest import DE_TNM, NL_EMP, utc

DAY_NIGHT = [
    {
        "price_components": [{"type": "ENERGY", "price": "0.20", "vat": "20.0", "step_size": 1}],
        "restrictions": {"start_time": "22:00", "end_time": "06:00"},
    },
    {
        "price_components": [
            {"type": "FLAT", "price": "1.00", "vat": "20.0", "step_size": 1},
            {"type": "ENERGY", "price": "0.30", "vat": "20.0", "step_size": 1},
            {"type": "PARKING_TIME", "price": "6.00", "vat": "20.0", "step_size": 300},
        ]
    },
]
CHEAP_FOR_NL = [
    {"price_components": [{"type": "ENERGY", "price": "0.10", "vat": "21.0", "step_size": 1}]}
]


@pytest.fixture
def night_charger(db):
    location = LocationFactory(time_zone="Europe/Paris")
    evse = EVSEFactory(location=location, uid="N1", tariff_ids=["DAYNIGHT"])
    ConnectorFactory(evse=evse)
    for (country, party), elements, extra in (
        (("", ""), DAY_NIGHT, {"min_price": {"excl_vat": "2.00", "incl_vat": "2.40"}}),
        (("NL", "EMP"), CHEAP_FOR_NL, {}),
    ):
        tariff_services.save_tariff(
            tariff=TariffFactory.build(
                operator=location.operator, ocpi_id="DAYNIGHT", elements=elements,
                start_date_time=utc(2026, 1, 1), target_operator_country_code=country,
                target_operator_party_id=party, **extra,
            )
        )  # fmt: skip
    return evse


NIGHT_START = utc(2026, 3, 13, 20, 30)  # 21:30 in Paris


def _charge(evse, token, kwh, minutes, parking, start=NIGHT_START):
    session = charge(
        evse=evse, token=token, start=start, kwh=Decimal(kwh), minutes=minutes,
        parking_minutes=parking, transaction_id="T",
    )  # fmt: skip
    return session.cdrs.get()


def test_lines_cover_the_windows_the_fee_and_the_step_rounding(night_charger):
    # 21:30 to 22:30 Paris charging 12 kWh, then 7 min parked (billed per 5 min: 10 min).
    cdr = _charge(night_charger, DE_TNM, "12", 60, 7)
    explanation = explain_cdr(cdr, "Europe/Paris")
    engine = price_cdr(cdr.data["tariffs"][0], cdr.data, "Europe/Paris").cost_fields()

    assert explanation.total == engine["total_cost"] == cdr.data["total_cost"]
    assert explanation.matches and not explanation.min_price_applied
    billed = {(line.element, line.type, line.step_rounding) for line in explanation.lines}
    assert billed == {
        (2, "FLAT", False), (2, "ENERGY", False), (1, "ENERGY", False),
        (2, "PARKING_TIME", False), (2, "PARKING_TIME", True),
    }  # fmt: skip
    night = [line for line in explanation.lines if line.element == 1]
    assert all(line.start.hour >= 22 for line in night)  # local times
    step = next(line for line in explanation.lines if line.step_rounding)
    parked = sum(
        Decimal(d["volume"])
        for p in cdr.data["charging_periods"]
        for d in p["dimensions"]
        if d["type"] == "PARKING_TIME"
    )
    # 7 min (0.1167 h, read as 420 s) + 180 s of step rounding: the 10 min of two steps
    assert parked == Decimal("0.1167") and step.seconds == 180
    assert "0.05 h (3 min, 180 s) more billed" in step.words
    assert "step rounding of the parking time up to the next step of 300 s" in step.words
    lines_sum = sum(line.excl_vat for line in explanation.lines)
    assert abs(lines_sum - explanation.total["excl_vat"]) <= Decimal("0.0001") * len(
        explanation.lines
    )
    assert "default description" in explanation.whose


def test_vat_is_shown_per_component_on_the_rounded_amount_and_adds_up(night_charger, client, staff):
    # Issue 18, item 2: VAT on each component's amount rounded to 4 decimals, then summed.
    cdr = _charge(night_charger, DE_TNM, "12.3457", 61, 7)
    explanation = explain_cdr(cdr, "Europe/Paris")
    assert explanation.matches
    vat_lines = explanation.vat_lines
    assert {(line.element, line.type) for line in vat_lines} == {
        (2, "FLAT"), (2, "ENERGY"), (1, "ENERGY"), (2, "PARKING_TIME"),
    }  # fmt: skip
    for line in vat_lines:
        assert line.excl_vat == line.excl_vat.quantize(Decimal("0.0001"))
        vat = (line.excl_vat * line.vat / 100).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        assert (line.vat_amount, line.incl_vat) == (vat, line.excl_vat + vat)
    assert sum(line.excl_vat for line in vat_lines) == cdr.data["total_cost"]["excl_vat"]
    assert sum(line.incl_vat for line in vat_lines) == cdr.data["total_cost"]["incl_vat"]
    client.force_login(staff["finance"])
    page = client.get(reverse("finance:cdr", args=[cdr.pk])).content.decode()
    assert "VAT, per price component" in page
    assert vat_lines[0].words in page


def test_min_price_is_said_and_applied(night_charger, client, staff):
    cdr = _charge(night_charger, DE_TNM, "1", 10, 0)  # 1.00 + 0.30 < min_price 2.00
    explanation = explain_cdr(cdr, "Europe/Paris")
    assert explanation.min_price_applied
    assert explanation.total["excl_vat"] == Decimal("2.0000") == cdr.total_cost_excl_vat
    client.force_login(staff["finance"])
    page = client.get(reverse("finance:cdr", args=[cdr.pk])).content.decode()
    assert "raised to the tariff&#x27;s min_price 2.00" in page or "min_price 2.00" in page
    assert "The pricing engine gives the same total as the CDR" in page


def test_the_emsps_own_description_is_named(night_charger, client, staff):
    cdr = _charge(night_charger, NL_EMP, "10", 60, 0)
    explanation = explain_cdr(cdr, "Europe/Paris")
    assert "targeted at this eMSP (NL*EMP)" in explanation.whose
    assert explanation.total["excl_vat"] == Decimal("1.0000")
    client.force_login(staff["operations"])
    page = client.get(reverse("finance:cdr", args=[cdr.pk])).content.decode()
    assert "targeted at this eMSP (NL*EMP)" in page
    assert "energy: 10 kWh at 0.10 per kWh" in page
    assert "<svg" in page and "from 22:00 to 06:00" not in page


def test_a_wrong_cdr_total_is_pointed_out(night_charger):
    cdr = _charge(night_charger, DE_TNM, "12", 60, 0)
    cdr.data["total_cost"] = {"excl_vat": Decimal("1.0000"), "incl_vat": Decimal("1.2000")}
    explanation = explain_cdr(cdr, "Europe/Paris")
    assert not explanation.matches
    assert explanation.cdr_total["excl_vat"] == Decimal("1.0000")


def test_a_credit_cdr_is_explained_by_its_original(night_charger, staff):
    from sessions import cdr_services

    cdr = _charge(night_charger, DE_TNM, "12", 60, 7, start=utc(2026, 3, 14, 10, 0))
    credit = cdr_services.credit_cdr(cdr=cdr, reason="x", user=staff["finance"]).credit
    explanation = explain_cdr(credit, "Europe/Paris")
    assert explanation.matches and explanation.total == cdr.data["total_cost"]
    assert cdr.ocpi_id in explanation.notes[0]
