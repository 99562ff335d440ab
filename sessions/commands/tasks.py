"""Celery tasks of the commands flow: ids only, each calling one function; a function that
returns a delay is run again after it (retries within the command's timeout only).

Published by `doorbell` by name after commit; `sweep` (beat) catches what a lost task left.
"""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from . import callbacks, results
from .doorbell import publish
from .enums import CommandState
from .models import Command

# A task is rung at once; the sweeper steps in only for what stayed due this much longer.
SWEEP_GRACE = dt.timedelta(seconds=3)


def _again(task: str, command_pk: int, delay: float | None) -> None:
    if delay is not None:
        publish(task, command_pk, countdown=delay)


@shared_task
def call_csms(command_pk: int) -> None:
    _again("call_csms", command_pk, results.call_csms(command_pk))


@shared_task
def expire(command_pk: int) -> None:
    _again("expire", command_pk, results.expire(command_pk))


@shared_task
def post_result(command_pk: int) -> None:
    _again("post_result", command_pk, callbacks.post_result(command_pk))


@shared_task
def sweep() -> int:
    """Run by beat: TIMEOUTs due, results not posted, commands never sent (a lost task)."""
    now = timezone.now()
    late = now - SWEEP_GRACE
    waiting = Command.objects.filter(state=CommandState.WAITING)
    for pk in waiting.filter(result_due_at__lte=late).values_list("pk", flat=True):
        results.expire(pk)
    # Never sent: its task was lost (one still calling would have counted its attempt by now).
    unsent = now - SWEEP_GRACE - dt.timedelta(seconds=settings.COMMAND_CSMS_TIMEOUT_SECONDS)
    for pk in waiting.filter(csms_attempts=0, received_at__lte=unsent).values_list("pk", flat=True):
        _again("call_csms", pk, results.call_csms(pk))
    unclaimed = Q(callback_claimed_until__isnull=True) | Q(callback_claimed_until__lt=now)
    due = Q(callback_next_at__lte=late) | Q(callback_next_at__isnull=True, result_at__lte=late)
    to_post = Command.objects.filter(unclaimed, due, state=CommandState.RESULT)
    pks = list(to_post.values_list("pk", flat=True))
    for pk in pks:
        _again("post_result", pk, callbacks.post_result(pk))
    return len(pks)
