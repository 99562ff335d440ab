"""Enqueueing: same transaction as the change, one stream per object and platform, FIFO ids."""

import datetime as dt

import pytest
from django.db import transaction

from roaming.models import Platform, PlatformEndpoint
from roaming.outbox import services
from roaming.outbox.models import Message, Stream
from tests.factories import PlatformFactory

pytestmark = pytest.mark.django_db


def _platform(name, *, status="CONNECTED", modules=("locations",)):
    platform = PlatformFactory(name=name, status=status)
    for module in modules:
        PlatformEndpoint.objects.create(
            platform=platform,
            identifier=module,
            role="RECEIVER",
            url=f"https://{name}.example.com/ocpi/2.2.1/{module}",
        )
    return platform


def _enqueue(platform, key="location:1", path="/FR/AB1/LOC1", body=None):
    return services.enqueue(
        platform=platform,
        stream_key=key,
        module="locations",
        method="PUT",
        path=path,
        body=body or {"id": "LOC1"},
        object_id="LOC1",
    )


def test_message_is_written_with_the_change_or_not_at_all():
    platform = _platform("hub")
    with pytest.raises(RuntimeError), transaction.atomic():
        _enqueue(platform)
        raise RuntimeError("the change failed")
    assert not Message.objects.exists()
    _enqueue(platform)
    assert Message.objects.get().state == Message.State.PENDING


def test_enqueue_for_hub_targets_connected_platforms_with_a_receiver():
    hub = _platform("hub")
    _platform("suspended", status=Platform.Status.SUSPENDED)
    _platform("tariffs-only", modules=("tariffs",))
    messages = services.enqueue_for_hub(
        module="locations",
        stream_key="location:7",
        method="PATCH",
        path="/FR/AB1/LOC7/E1",
        body={"status": "CHARGING", "last_updated": "2026-01-01T12:00:00Z"},
        object_id="LOC7",
    )
    assert [m.stream.platform for m in messages] == [hub]
    assert messages[0].stream.key == "location:7"


def test_one_stream_per_object_and_platform_in_creation_order():
    first, second = _platform("a"), _platform("b")
    for n in range(3):
        _enqueue(first, body={"n": n})
        _enqueue(second, body={"n": n})
    _enqueue(first, key="location:2", path="/FR/AB1/LOC2")
    assert Stream.objects.count() == 3
    stream = Stream.objects.get(platform=first, key="location:1")
    assert [m.body["n"] for m in stream.messages.order_by("pk")] == [0, 1, 2]


def test_idle_stream_becomes_due_but_a_stream_in_backoff_keeps_its_retry_time():
    platform = _platform("hub")
    message = _enqueue(platform)
    stream = message.stream
    stream.refresh_from_db()
    assert stream.next_attempt_at == message.created_at
    later = message.created_at + dt.timedelta(minutes=5)
    Stream.objects.filter(pk=stream.pk).update(next_attempt_at=later)
    _enqueue(platform)
    stream.refresh_from_db()
    assert stream.next_attempt_at == later


def test_celery_is_kicked_once_per_stream_after_commit(django_capture_on_commit_callbacks):
    platform = _platform("hub")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(5):
            _enqueue(platform)
        _enqueue(platform, key="location:2")
    assert len(callbacks) == 1
    assert callbacks[0].stream_ids == set(Stream.objects.values_list("pk", flat=True))


def test_kick_of_a_rolled_back_savepoint_is_registered_again(django_capture_on_commit_callbacks):
    platform = _platform("hub")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            _enqueue(platform)
            raise RuntimeError
        _enqueue(platform, key="location:2")
    assert len(callbacks) == 1
    assert Stream.objects.get(pk__in=callbacks[0].stream_ids).key == "location:2"


def test_skip_needs_a_reason_and_keeps_the_message():
    platform = _platform("hub")
    message = _enqueue(platform)
    with pytest.raises(ValueError, match="reason"):
        services.skip(stream=message.stream, reason="  ")
    services.skip(stream=message.stream, reason="fixed in admin, corrected PUT queued")
    message.refresh_from_db()
    assert message.state == Message.State.SKIPPED
    assert message.note == "fixed in admin, corrected PUT queued"
