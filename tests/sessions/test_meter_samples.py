"""Meter values at constant cost (issue 21 item 2): samples are rows of their own table, a
meter value computes the open tail only, and what it gives equals a full recomputation from
every sample, whatever order the values arrive in (late, replaced, meter resets); the CDR
built at the stop is that full recomputation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessions import session_services as services
from sessions.charging_periods import Sample, without_session_dimensions
from sessions.models import Cdr, MeterSample, Session
from sessions.session_state import derive

from .conftest import TOKEN, utc

# Paris 21:30 on a weekday: the DAYNIGHT tariff's 22:00 window falls inside.
START = utc(2026, 3, 12, 20, 30)


def _start(charger, meter_start_wh=10_000) -> Session:
    return services.start_session(
        evse=charger[0], connector=charger[1], started_at=START, meter_start_wh=meter_start_wh,
        cdr_token=TOKEN, auth_method="AUTH_REQUEST", now=START,
    )  # fmt: skip


def _full(session: Session) -> Session:
    """The same session derived again from every stored sample (the batch path)."""
    again = Session.objects.get(pk=session.pk)
    derive(again)
    return again


def _same(live: Session, full: Session) -> None:
    assert live.charging_periods == full.charging_periods
    assert (live.kwh, live.total_cost, live.meter_resets) == (
        full.kwh,
        full.total_cost,
        full.meter_resets,
    )


@pytest.mark.django_db
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(30, 900), st.integers(-500, 3000), st.sampled_from(["CHARGING", "EV_IDLE"])
        ),
        min_size=2,
        max_size=10,
    ),
    order=st.randoms(use_true_random=False),
)
def test_live_state_equals_a_full_recomputation_after_every_value_and_at_the_cdr(
    charger, steps, order
):
    session = _start(charger)
    samples, seconds, wh = [], 0, 10_000
    for gap, change, state in steps:
        seconds, wh = seconds + gap, max(0, wh + change)
        samples.append(Sample(START + dt.timedelta(seconds=seconds), wh, state, Decimal(7400)))
    arrival = order.sample(samples, len(samples))
    for sample in arrival:
        session = services.record_meter_values(session=session, samples=[sample], now=sample.at)
        _same(session, _full(session))
    stop = samples[-1].at + dt.timedelta(minutes=5)
    session = services.stop_transaction(
        session=session, stopped_at=stop, meter_stop_wh=samples[-1].wh + 100
    )

    cdr = Cdr.objects.get(session=session)
    full = derive(Session.objects.get(pk=session.pk), session_dimensions=False)
    assert cdr.data["charging_periods"] == without_session_dimensions(full.periods)
    assert cdr.data["total_energy"] == full.total_energy
    assert MeterSample.objects.filter(session=session).count() == len(samples) + 1


@pytest.mark.django_db
def test_a_meter_value_writes_one_row_and_reads_no_history(charger):
    session = _start(charger)
    at = START
    for minute in range(1, 31):
        at = START + dt.timedelta(minutes=minute)
        session = services.record_meter_values(
            session=session, samples=[Sample(at, 10_000 + 120 * minute)], now=at
        )
    with CaptureQueriesContext(connection) as queries:
        services.record_meter_values(
            session=session, samples=[Sample(at + dt.timedelta(minutes=1), 14_000)], now=at
        )
    sql = [q["sql"] for q in queries.captured_queries]
    # The history is never read back: no SELECT on the samples, one INSERT of the new one.
    assert not [q for q in sql if q.startswith("SELECT") and "charging_metersample" in q]
    assert len([q for q in sql if q.startswith('INSERT INTO "charging_metersample"')]) == 1
    assert MeterSample.objects.filter(session=session).count() == 31
