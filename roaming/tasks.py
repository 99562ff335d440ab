"""Celery tasks of the connection layer (thin wrappers around services)."""

from celery import shared_task

from . import message_log


@shared_task
def purge_message_log() -> int:
    """Drop OCPI exchanges older than OCPI_MESSAGE_LOG_RETENTION_DAYS (run daily by beat)."""
    return message_log.purge()
