"""A charge point that never answers, with real Celery workers doing the timing: the CSMS call,
the TIMEOUT task at `result_due_at` (published with an ETA) and the callback. The eMSP gets
exactly one result, TIMEOUT, posted before the timeout we announced; the same start posted
twice by the hub runs once."""

import time

import pytest
from django.utils import timezone

from sessions.commands.models import Command
from sessions.models import RemoteStart
from tests.outbox.workers import wait_until

from .conftest import send, start_body

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_silent_charge_point_gets_one_timeout_before_the_announced_timeout(
    hub, double, location, workers, settings
):
    settings.COMMAND_TIMEOUT_SECONDS, settings.COMMAND_TIMEOUT_MARGIN_SECONDS = 6, 3
    workers.start("commands", concurrency=2)
    double.mode = "silent"  # the CSMS takes the command; the charge point never answers

    sent = send(hub, "START_SESSION", start_body())
    again = send(hub, "START_SESSION", start_body(), command_id=sent.command_id)
    wait_until(
        lambda: hub.results_of(sent.command_id),
        timeout=20,
        what="a result at the response_url",
        tick=None,
    )
    command = Command.objects.get()
    while timezone.now() <= command.expires_at:  # nothing more may come, even later
        time.sleep(0.5)

    command.refresh_from_db()
    assert sent.response == again.response == {"result": "ACCEPTED", "timeout": 6}
    assert [call.verified for call in double.received] == [True]  # one start, signed
    assert RemoteStart.objects.count() == 1
    assert [r["result"] for r in hub.results_of(sent.command_id)] == ["TIMEOUT"]
    assert command.state == "DELIVERED" and command.result_source == "TIMEOUT"
    assert command.result_due_at <= command.result_at < command.callback_at < command.expires_at
    assert workers.log_tail().count("Traceback") == 0, workers.log_tail()
