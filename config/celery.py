import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cpo_roaming")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _keep_database_connections(**kwargs):
    """Worker processes keep their PostgreSQL connection between tasks (unless DATABASE_URL
    sets conn_max_age): a push task is a few milliseconds, a new connection costs as much.
    Celery's Django fixup still closes unusable or obsolete connections after each task."""
    from django.db import connections

    for connection in connections.all():
        if connection.vendor == "postgresql" and not connection.settings_dict.get("CONN_MAX_AGE"):
            connection.settings_dict["CONN_MAX_AGE"] = int(
                os.environ.get("CELERY_WORKER_CONN_MAX_AGE", "300")
            )
            connection.settings_dict["CONN_HEALTH_CHECKS"] = True
