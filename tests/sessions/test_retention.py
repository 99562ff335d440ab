"""Day partitions of what every bridge event appends (issue 21.4, roaming.partitions and
sessions.retention), on PostgreSQL: created ahead, old days dropped whole, an insert for a day
without a partition kept in the DEFAULT one."""

import datetime as dt

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from roaming import partitions
from roaming.models import MessageLog
from roaming.tasks import purge_message_log
from sessions.csms.models import ProcessedEvent
from sessions.models import MeterSample
from sessions.tasks import maintain_partitions
from tests.factories import CsmsFactory, MessageLogFactory, SessionFactory

pytestmark = pytest.mark.django_db

TODAY = dt.datetime.now(dt.UTC).date()


def where(row) -> str:
    """The partition holding a row."""
    table = connection.ops.quote_name(type(row)._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [row.pk])
        return cursor.fetchone()[0]


def event(csms, day: dt.date, n: int = 0) -> ProcessedEvent:
    return ProcessedEvent.objects.create(
        csms=csms, event_id=f"e-{day}-{n}", kind="status", body_hash="x", answer={}, event_day=day
    )


def sample(session, at: dt.datetime) -> MeterSample:
    return MeterSample.objects.create(session=session, at=at, wh=1000, state="CHARGING")


def midday(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), dt.UTC)


def test_the_three_tables_are_partitioned_by_day():
    for model in (MessageLog, ProcessedEvent, MeterSample):
        assert partitions.is_partitioned(model._meta.db_table)


def test_the_task_creates_the_days_ahead(settings):
    settings.PARTITION_DAYS_AHEAD = 5
    maintain_partitions.apply()

    for model in (MessageLog, ProcessedEvent, MeterSample):
        days = partitions.partitions(model._meta.db_table)
        assert {TODAY + dt.timedelta(days=n) for n in range(6)} <= set(days)
        assert days[TODAY + dt.timedelta(days=5)] == (
            f"{model._meta.db_table}_p{TODAY + dt.timedelta(days=5):%Y%m%d}"
        )


def test_a_row_of_a_day_without_partition_lands_in_default_and_moves_when_it_comes():
    far = TODAY + dt.timedelta(days=400)
    event_row = event(CsmsFactory(), far)
    assert where(event_row) == "csms_processedevent_default"

    partitions.ensure_partitions(ProcessedEvent, 0, today=far)

    assert where(event_row) == f"csms_processedevent_p{far:%Y%m%d}"
    assert ProcessedEvent.objects.get(pk=event_row.pk).event_id == event_row.event_id


# Committed rows, as in production (the task runs in its own transaction;
# a DROP TABLE refuses rows whose deferred foreign-key checks are pending).
@pytest.mark.django_db(transaction=True)
def test_the_task_drops_old_days_of_processed_events(settings):
    settings.CSMS_EVENT_RETENTION_DAYS = 30
    csms, old_day = CsmsFactory(), TODAY - dt.timedelta(days=31)
    partitions.ensure_partitions(ProcessedEvent, 0, today=old_day)
    old = [event(csms, old_day, n) for n in range(3)]
    recent = event(csms, TODAY - dt.timedelta(days=29))  # DEFAULT: kept, not old enough
    today = event(csms, TODAY)
    assert where(old[0]) == f"csms_processedevent_p{old_day:%Y%m%d}"

    maintain_partitions.apply()

    assert old_day not in partitions.partitions("csms_processedevent")
    assert set(ProcessedEvent.objects.values_list("pk", flat=True)) == {recent.pk, today.pk}


# Committed rows, as in production (the task runs in its own transaction;
# a DROP TABLE refuses rows whose deferred foreign-key checks are pending).
@pytest.mark.django_db(transaction=True)
def test_the_message_log_purge_drops_old_days_on_postgresql(settings):
    settings.OCPI_MESSAGE_LOG_RETENTION_DAYS = 30
    old_day = TODAY - dt.timedelta(days=32)
    partitions.ensure_partitions(MessageLog, 0, today=old_day)
    old, recent = MessageLogFactory(), MessageLogFactory()
    MessageLog.objects.filter(pk=old.pk).update(created_at=midday(old_day))
    assert where(old) == f"roaming_messagelog_p{old_day:%Y%m%d}"

    purge_message_log.apply()

    assert old_day not in partitions.partitions("roaming_messagelog")
    assert list(MessageLog.objects.values_list("pk", flat=True)) == [recent.pk]


# Committed rows, as in production (the task runs in its own transaction;
# a DROP TABLE refuses rows whose deferred foreign-key checks are pending).
@pytest.mark.django_db(transaction=True)
def test_a_day_of_samples_waits_for_its_open_sessions(settings):
    settings.METER_SAMPLE_RETENTION_DAYS = 90
    old_day = TODAY - dt.timedelta(days=91)
    partitions.ensure_partitions(MeterSample, 0, today=old_day)
    open_session, finished = SessionFactory(), SessionFactory(status="COMPLETED")
    sample(open_session, midday(old_day))
    sample(finished, midday(old_day))
    kept = sample(finished, timezone.now())

    maintain_partitions.apply()

    assert old_day in partitions.partitions("charging_metersample")  # a session still open
    assert MeterSample.objects.count() == 3

    open_session.status = "COMPLETED"
    open_session.save(update_fields=["status"])
    maintain_partitions.apply()

    assert old_day not in partitions.partitions("charging_metersample")
    assert list(MeterSample.objects.values_list("pk", flat=True)) == [kept.pk]


# Committed rows, as in production (the task runs in its own transaction;
# a DROP TABLE refuses rows whose deferred foreign-key checks are pending).
@pytest.mark.django_db(transaction=True)
def test_old_samples_in_default_go_only_with_their_finished_session(settings):
    settings.METER_SAMPLE_RETENTION_DAYS = 90
    long_ago = midday(TODAY - dt.timedelta(days=400))  # a clock far behind: no partition
    open_session, finished = SessionFactory(), SessionFactory(status="COMPLETED")
    of_open, of_finished = sample(open_session, long_ago), sample(finished, long_ago)
    assert where(of_finished) == "charging_metersample_default"

    maintain_partitions.apply()

    assert list(MeterSample.objects.values_list("pk", flat=True)) == [of_open.pk]


def test_partitions_are_maintained_hourly_by_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["maintain-partitions"]

    assert entry["task"] == maintain_partitions.name
    assert entry["schedule"] == 3600


@pytest.mark.django_db(transaction=True)
def test_a_drop_waiting_behind_a_long_read_is_left_for_the_next_run(settings, monkeypatch):
    """DROP TABLE of a partition locks the whole table: queued behind a long read it would
    hold every insert behind it, so it gives up after LOCK_TIMEOUT and the next run drops it."""
    settings.CSMS_EVENT_RETENTION_DAYS = 30
    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "200ms")
    old_day = TODAY - dt.timedelta(days=31)
    partitions.ensure_partitions(ProcessedEvent, 0, today=old_day)
    old = event(CsmsFactory(), old_day)
    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432
    ) as reader:
        reader.execute("SELECT count(*) FROM csms_processedevent")  # its transaction stays open

        maintain_partitions.apply()

        assert old_day in partitions.partitions("csms_processedevent")
    maintain_partitions.apply()

    assert old_day not in partitions.partitions("csms_processedevent")
    assert not ProcessedEvent.objects.filter(pk=old.pk).exists()
