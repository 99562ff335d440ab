"""Housekeeping of the embedded run's broker (kombu's SQLAlchemy transport on SQLite)."""

import sqlite3

from celery import shared_task
from django.conf import settings


@shared_task(ignore_result=True)
def purge_consumed_broker_messages() -> int:
    """kombu's SQLAlchemy transport marks a consumed message invisible and never deletes it:
    about 50 MB a day of beat's tasks. Deletes them (hourly, embedded broker only)."""
    path = settings.CELERY_BROKER_URL.removeprefix("sqla+sqlite:///")
    with sqlite3.connect(path, timeout=30) as broker:
        return broker.execute("DELETE FROM kombu_message WHERE visible = 0").rowcount
