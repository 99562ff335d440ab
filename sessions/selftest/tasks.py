"""The self-test as a Celery task: admin's "Run self-test" returns at once, the run's page
shows the report when done. Published by name from roaming.admin (which imports no app
above it), with the id of a queued SelfTestRun holding the options."""

from celery import shared_task
from django.utils import timezone

from roaming.models import SelfTestRun

from .runner import Options, SelfTestError, run_selftest

TASK_NAME = "sessions.selftest.tasks.run_selftest"


@shared_task(name=TASK_NAME)
def run_selftest_task(run_id: int) -> str:
    """Run a queued self-test once (a redelivered task finds it started and does nothing)."""
    updated = SelfTestRun.objects.filter(pk=run_id, result=SelfTestRun.Result.QUEUED).update(
        result=SelfTestRun.Result.RUNNING, started_at=timezone.now()
    )
    if not updated:
        return "already run"
    run = SelfTestRun.objects.select_related("platform").get(pk=run_id)
    try:
        run = run_selftest(
            platform=run.platform,
            options=Options(**run.options),
            started_by=run.started_by,
            run=run,
        )
    except (SelfTestError, TypeError) as error:
        run.result, run.summary, run.finished_at = (
            SelfTestRun.Result.REFUSED,
            str(error),
            timezone.now(),
        )
        run.save(update_fields=["result", "summary", "finished_at"])
    return run.result
