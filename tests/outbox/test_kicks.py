"""Every change leaves its stream with a delivery on its way (issue 21: a status change took
1.8 s to reach the hub instead of 28 ms).

A worker's task that finds its stream locked by a producer skips it (SELECT ... SKIP LOCKED);
the producer's commit must then ring the doorbell again, or its message waits for the sweeper
(OUTBOX_SWEEP_SECONDS). Real parts: two database connections, the Redis broker, the hub
simulator; no worker (the broker's queue is read).
"""

import threading

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import connection, transaction

from locations import services
from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory, OperatorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def queued_tasks() -> int:
    """Tasks waiting in the broker's default queue (Redis list; none: 0)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return broker.llen(current_app.conf.task_default_queue)


def test_a_change_made_while_a_worker_skips_its_locked_stream_is_kicked(connected_hub):
    location = LocationFactory(operator=OperatorFactory(country_code="FR", party_id="AB1"))
    evse = EVSEFactory(location=location, uid="E1", status="AVAILABLE")
    ConnectorFactory(evse=evse)
    services.save_location(location=location)
    stream = Stream.objects.get()
    assert delivery.deliver_stream(stream.pk) == 1  # the hub holds the location
    services.set_evse_status(evse=evse, status="CHARGING")  # due, kicked
    current_app.control.purge()  # a worker took that task...
    locked, release = threading.Event(), threading.Event()

    def producer():
        try:
            with transaction.atomic():
                services.set_evse_status(evse=evse, status="AVAILABLE")
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=producer)
    thread.start()
    assert locked.wait(30)
    # ...and finds the stream locked by the producer: it leaves it (SKIP LOCKED).
    assert delivery.deliver_stream(stream.pk) == 0
    release.set()
    thread.join()

    assert queued_tasks() == 1  # the producer's commit kicked the stream again
    assert delivery.deliver_stream(stream.pk) == 2
    assert not Message.objects.filter(state=Message.State.PENDING).exists()


def test_a_change_committed_while_its_stream_is_being_delivered_goes_in_the_same_task(
    connected_hub, hub_simulator
):
    """The change's own task finds the stream leased and does nothing; the deliverer, which
    reads what is pending under the stream's row lock after recording its head, sends it."""
    location = LocationFactory(operator=OperatorFactory(country_code="FR", party_id="AB1"))
    evse = EVSEFactory(location=location, uid="E1", status="AVAILABLE")
    ConnectorFactory(evse=evse)
    services.save_location(location=location)
    stream = Stream.objects.get()
    hub_simulator.set_fault("slow", delay=0.4)  # under the 1 s read timeout
    results = []

    def deliverer():
        try:
            results.append(delivery.deliver_stream(stream.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=deliverer)
    thread.start()
    while not hub_simulator.received:  # the PUT is on its way, the lease taken
        thread.join(0.01)
    services.set_evse_status(evse=evse, status="CHARGING")
    assert delivery.deliver_stream(stream.pk) == 0  # its kick: the stream is leased
    thread.join()

    assert results == [2]
    assert [r.method for r in hub_simulator.received] == ["PUT", "PATCH"]
    stream.refresh_from_db()
    assert (stream.next_attempt_at, stream.lease_owner, stream.locked_until) == (None, "", None)


def test_a_stream_due_with_nothing_pending_is_released_idle(connected_hub):
    location = LocationFactory(operator=OperatorFactory(country_code="FR", party_id="AB1"))
    ConnectorFactory(evse=EVSEFactory(location=location, uid="E1"))
    services.save_location(location=location)
    stream = Stream.objects.get()
    Message.objects.update(state=Message.State.SKIPPED)  # an operator skipped it

    assert delivery.deliver_stream(stream.pk) == 0
    stream.refresh_from_db()
    assert (stream.next_attempt_at, stream.lease_owner, stream.locked_until) == (None, "", None)
