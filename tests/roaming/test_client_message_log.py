"""Message log retention: old exchanges are purged by the daily Celery task."""

import datetime as dt

import pytest
from django.utils import timezone

from roaming.models import MessageLog
from roaming.tasks import purge_message_log
from tests.factories import MessageLogFactory

pytestmark = pytest.mark.django_db


def aged(days: int) -> MessageLog:
    log = MessageLogFactory()
    MessageLog.objects.filter(pk=log.pk).update(created_at=timezone.now() - dt.timedelta(days=days))
    return log


def test_purge_drops_exchanges_older_than_the_retention(settings):
    settings.OCPI_MESSAGE_LOG_RETENTION_DAYS = 30
    old, recent = aged(31), aged(29)

    deleted = purge_message_log()

    assert deleted == 1
    assert list(MessageLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not MessageLog.objects.filter(pk=old.pk).exists()


def test_purge_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-ocpi-message-log"]

    assert entry["task"] == purge_message_log.name
    assert entry["schedule"] == 24 * 3600
