"""charging.0006 moves the sessions' JSON samples into MeterSample rows, and back when
unapplied: nothing is lost either way (issue 21 item 2)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sessions import session_services as services
from sessions.charging_periods import Sample
from sessions.models import MeterSample, Session

from .conftest import TOKEN, utc

BEFORE = [("charging", "0005_session_meter_resets")]
START = utc(2026, 3, 12, 20, 30)


def _rows(session_pk: int) -> list[tuple]:
    return list(
        MeterSample.objects.filter(session_id=session_pk)
        .order_by("at")
        .values_list("at", "wh", "state", "power_w", "current_a", "soc")
    )


@pytest.mark.django_db(transaction=True)
def test_json_samples_move_to_the_table_and_back(charger):
    session = services.start_session(
        evse=charger[0], connector=charger[1], started_at=START, meter_start_wh=0,
        cdr_token=TOKEN, auth_method="AUTH_REQUEST", now=START,
    )  # fmt: skip
    samples = [
        Sample(START + dt.timedelta(minutes=10), 1200, "CHARGING", Decimal("7200.5")),
        Sample(START + dt.timedelta(minutes=20), 2400, "EV_IDLE", None, Decimal(16), Decimal(80)),
    ]
    session = services.record_meter_values(session=session, samples=samples, now=START)
    rows = _rows(session.pk)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)  # unapplied: the rows go back into the JSON
        old = executor.loader.project_state(BEFORE).apps.get_model("charging", "Session")
        assert old.objects.get(pk=session.pk).samples == [
            {"at": "2026-03-12T20:40:00Z", "wh": 1200, "state": "CHARGING",
             "power_w": Decimal("7200.500")},
            {"at": "2026-03-12T20:50:00Z", "wh": 2400, "state": "EV_IDLE",
             "current_a": Decimal("16.000"), "soc": Decimal("80.00")},
        ]  # fmt: skip
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # applied: back into rows
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert _rows(session.pk) == rows
    assert Session.objects.get(pk=session.pk).live_state == {}  # rebuilt at the next value
    later = Sample(START + dt.timedelta(minutes=30), 3600)
    again = services.record_meter_values(
        session=Session.objects.get(pk=session.pk), samples=[later], now=START
    )
    assert again.kwh == Decimal("3.6")
