"""The meter register rule (issue 18 item 4, docs/sessions.md "Meter register"): a reading
lower than the one before it in time is a reset, counted on from the new register, never
negative, never silent: listed on the session in admin and on the CDR's finance page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from roaming.groups import ensure_staff_groups
from sessions import session_services as services
from sessions.charging_periods import Sample, build_periods, counted_wh, meter_resets
from sessions.models import Cdr
from tests.factories import UserFactory

from .conftest import TOKEN, utc

START = utc(2026, 3, 13, 8, 0)


def at(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def test_counted_energy_never_goes_negative_nor_loses_what_follows_a_reset():
    assert counted_wh(10_500, 10_400) == 0
    assert counted_wh(10_400, 10_700) == 300
    samples = [Sample(at(10), 10_500), Sample(at(20), 10_400), Sample(at(30), 10_700)]

    periods = build_periods(
        start=START, end=at(30), meter_start_wh=10_000, samples=samples, time_zone="UTC"
    )

    assert periods.total_energy == Decimal("0.8")  # 500 + 0 across the reset + 300
    assert periods.resets == [{"at": "2026-03-13T08:20:00Z", "from_wh": 10_500, "to_wh": 10_400}]


def test_a_lower_reading_with_an_earlier_time_is_late_not_a_reset():
    samples = [Sample(at(20), 10_500), Sample(at(10), 10_200)]  # received in this order
    assert meter_resets(10_000, samples) == []
    periods = build_periods(
        start=START, end=at(20), meter_start_wh=10_000, samples=samples, time_zone="UTC"
    )
    assert periods.total_energy == Decimal("0.5")


@pytest.mark.django_db
def test_a_reset_is_shown_in_admin_and_on_the_finance_cdr_page(charger, client):
    session = services.start_session(
        evse=charger[0], connector=charger[1], started_at=START, meter_start_wh=10_000,
        cdr_token=TOKEN, auth_method="AUTH_REQUEST", now=START,
    )  # fmt: skip
    for minutes, wh in ((10, 10_500), (20, 10_400)):
        session = services.record_meter_values(
            session=session, samples=[Sample(at(minutes), wh)], now=at(minutes)
        )
    session = services.stop_transaction(session=session, stopped_at=at(30), meter_stop_wh=10_700)
    cdr = Cdr.objects.get(session=session)
    assert cdr.data["total_energy"] == Decimal("0.8")
    groups = ensure_staff_groups()
    user = UserFactory(username="ops-and-finance")
    user.groups.add(groups["operations"], groups["finance"])
    client.force_login(user)

    admin_page = client.get(reverse("admin:charging_session_change", args=[session.pk]))
    finance_page = client.get(reverse("finance:cdr", args=[cdr.pk]))

    assert "2026-03-13T08:20:00Z: 10500 Wh → 10400 Wh" in admin_page.content.decode()
    html = finance_page.content.decode()
    assert 'id="meter-resets"' in html
    assert "10500" in html and "10400" in html
