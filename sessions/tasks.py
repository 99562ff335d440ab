"""Celery tasks of the sessions layer (thin wrappers around services)."""

from celery import shared_task

from . import retention


@shared_task(ignore_result=True)
def maintain_partitions() -> None:
    """Daily partitions created ahead, old ones dropped (sessions.retention; beat, hourly)."""
    retention.maintain()
