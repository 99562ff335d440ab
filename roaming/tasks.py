"""Celery tasks of the connection layer (thin wrappers around services)."""

from celery import shared_task

from . import heartbeat, message_log


@shared_task
def purge_message_log() -> int:
    """Drop OCPI exchanges older than OCPI_MESSAGE_LOG_RETENTION_DAYS (run daily by beat)."""
    return message_log.purge()


@shared_task(ignore_result=True, expires=60)
def worker_heartbeat() -> None:
    """Run every HEARTBEAT_SECONDS by beat: a worker took it from the broker (/health/workers)."""
    heartbeat.touch("worker")
