"""Sessions and CDRs in admin: read-only for everyone, and every message that left on the
session's stream shown with its state, attempts, outcome and links (issue 13.7)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from roaming.groups import ensure_staff_groups
from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from sessions import cdr_services, session_push
from sessions import session_services as services
from sessions.charging_periods import Sample
from sessions.models import Cdr
from tests.factories import UserFactory

from .conftest import TOKEN, utc

pytestmark = pytest.mark.django_db
START = utc(2026, 3, 13, 20, 30)


@pytest.fixture
def staff():
    groups = ensure_staff_groups()
    users = {}
    for name in ("operations", "finance"):
        users[name] = UserFactory(username=name)
        users[name].groups.add(groups[name])
    return users


def _deliver(stream):
    while delivery.deliver_stream(stream.pk):
        pass


@pytest.fixture
def charged(put_hub, charger, hub_simulator):
    """A charge whose messages all reached the hub, then a credit CDR the hub refused (2001)."""
    session = services.start_session(
        evse=charger[0],
        connector=charger[1],
        started_at=START,
        meter_start_wh=0,
        cdr_token=TOKEN,
        auth_method="AUTH_REQUEST",
        now=START,
    )
    at = START + dt.timedelta(minutes=20)
    session = services.record_meter_values(session=session, samples=[Sample(at, 2400)], now=at)
    end = START + dt.timedelta(minutes=40)
    session = services.stop_transaction(session=session, stopped_at=end, meter_stop_wh=4800)
    stream = Stream.objects.get(key=session_push.stream_key(session))
    _deliver(stream)
    cdr = Cdr.objects.get(session=session)
    credit = cdr_services.credit_cdr(cdr=cdr, reason="meter fault", user=UserFactory()).credit
    hub_simulator.set_fault("reject2001")
    _deliver(stream)
    return session, cdr, credit


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr><td><a href=\"/admin/outbox/message/(\d+)/change/\">", html)


@pytest.mark.parametrize("group", ["operations", "finance"])
def test_session_and_cdr_pages_show_every_message_with_its_outcome(client, staff, group, charged):
    session, cdr, credit = charged
    client.force_login(staff[group])
    messages = list(Message.objects.filter(stream__key=session_push.stream_key(session)))
    assert len(messages) == 5  # ACTIVE, update, COMPLETED, CDR, credit CDR

    page = client.get(reverse("admin:charging_session_change", args=[session.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert _rows(html) == [str(m.pk) for m in sorted(messages, key=lambda m: m.pk)]
    assert html.count("delivered</td><td>1</td>") == 4  # state, then attempts
    assert "rejected by the platform (stream held)</td><td>1</td>" in html
    assert "200 / 1000" in html and "200 / 2001" in html
    assert "Simulated rejection" in html  # the hub's message for the refused credit CDR
    assert html.count('href="/admin/roaming/messagelog/') == 5  # each exchange, in the log
    stream = messages[0].stream
    assert reverse("admin:outbox_stream_change", args=[stream.pk]) in html
    assert "cdrs" in html and f"sessions/{session.operator.country_code}" in html

    # A CDR's page shows its own POST only (the original's id is the session's id).
    for sent, state in ((cdr, "delivered"), (credit, "rejected")):
        html = client.get(reverse("admin:charging_cdr_change", args=[sent.pk])).content.decode()
        post = Message.objects.get(endpoint_module="cdrs", object_id=sent.ocpi_id)
        assert _rows(html) == [str(post.pk)]
        assert state in html
        if sent is cdr:
            assert session_push.hub_location(cdr) in html  # the hub's Location header
    for name in ("session", "cdr"):
        assert client.get(reverse(f"admin:charging_{name}_changelist")).status_code == 200


@pytest.mark.parametrize("group", ["operations", "finance"])
def test_nobody_adds_changes_or_deletes_a_session_or_a_cdr(client, staff, group, charged):
    session, cdr, _ = charged
    client.force_login(staff[group])
    for name, obj in (("session", session), ("cdr", cdr)):
        assert client.get(reverse(f"admin:charging_{name}_add")).status_code == 403
        change = reverse(f"admin:charging_{name}_change", args=[obj.pk])
        assert client.post(change, {"status": "INVALID", "state": "HELD"}).status_code == 403
        delete = reverse(f"admin:charging_{name}_delete", args=[obj.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    session.refresh_from_db()
    assert session.status == "COMPLETED" and Cdr.objects.get(pk=cdr.pk).state == "QUEUED"
