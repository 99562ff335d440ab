"""A charge point that never answers, with real Celery workers doing the timing: the CSMS call,
the TIMEOUT task at `result_due_at` (published with an ETA) and the callback. The eMSP gets
exactly one result, TIMEOUT, posted before the timeout we announced; the same start posted
twice by the hub runs once."""

import subprocess
import time

import pytest
from django.db import connection
from django.utils import timezone

from sessions.commands.models import Command
from sessions.models import RemoteStart
from tests.outbox.workers import PrivateRedis, Workers, point_celery_at, wait_until

from .conftest import send, start_body

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers(transactional_db, tmp_path):
    redis = PrivateRedis().start()
    previous = point_celery_at(redis.url)
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"  # test_<name>: where this test writes
    )
    pool = Workers(database_url=database_url, broker_url=redis.url, logs=tmp_path)
    pool.start("commands", concurrency=2)
    yield pool
    pool.stop_all()
    point_celery_at(previous)
    subprocess.run(["redis-cli", "-p", str(redis.port), "flushall"], capture_output=True)
    redis.stop()


def test_a_silent_charge_point_gets_one_timeout_before_the_announced_timeout(
    hub, double, location, workers, settings
):
    settings.COMMAND_TIMEOUT_SECONDS, settings.COMMAND_TIMEOUT_MARGIN_SECONDS = 6, 3
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
