"""Copies of one event sent at the same moment (a CSMS retrying on a timeout): every copy gets
the winner's answer, for every bridge event (docs/csms-bridge.md "Idempotency").

Real concurrency: threads POSTing to a live server on PostgreSQL (transactional database, one
connection per request), a barrier releasing the copies together, several rounds.
"""

import datetime as dt
import json
import threading

import pytest
import requests

from roaming.models import MessageLog
from sessions.csms.models import ProcessedEvent, Transaction
from sessions.models import Authorization, Cdr

from .bridge import HUB_TOKEN, UID, authorize_event, now, sample, status_event, transaction_event
from .bridge import transaction_started as started_event

pytestmark = pytest.mark.django_db(transaction=True)
COPIES = 3
ROUNDS = 3


def at_once(live_server, csms, endpoint: str, event: dict) -> list[tuple[int, dict]]:
    """POST `COPIES` copies of `event` together; their (status, body), in any order."""
    barrier = threading.Barrier(COPIES)
    answers: list = [None] * COPIES
    body = json.dumps(event)

    def send(index: int) -> None:
        with requests.Session() as session:
            barrier.wait()
            response = session.post(
                f"{live_server.url}/api/csms/v1/{endpoint}",
                data=body,
                headers={
                    "Authorization": f"Bearer {csms.api_key}",
                    "Content-Type": "application/json",
                },
                timeout=60,
            )
            answers[index] = (response.status_code, response.json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def one_answer(answers: list[tuple[int, dict]]) -> dict:
    """Every copy got 200 and the same body; exactly one was the first (duplicate false)."""
    assert [status for status, _ in answers] == [200] * COPIES, answers
    firsts = [body for _, body in answers if body["duplicate"] is False]
    assert len(firsts) == 1, answers
    for _, body in answers:
        assert body == {**firsts[0], "duplicate": body["duplicate"]}
    return firsts[0]


def test_simultaneous_copies_of_every_event_get_the_winners_answer(
    live_server, csms, evse, connected_hub, hub_simulator
):
    hub_simulator.tokens.append(HUB_TOKEN)
    statuses = ["Charging", "Available"]
    for round_ in range(ROUNDS):
        tx = f"TXC{round_}"
        t0 = now() - dt.timedelta(minutes=30)

        status = status_event(status=statuses[round_ % 2])
        assert one_answer(at_once(live_server, csms, "evse-status", status))["applied"] is True

        decision = one_answer(at_once(live_server, csms, "authorize", authorize_event(UID)))
        assert decision["accepted"] is True

        start = started_event(tx, t0, authorization_id=decision["authorization_id"])
        assert one_answer(at_once(live_server, csms, "transaction-started", start))["applied"]

        values = transaction_event(tx, now(), samples=[sample(t0 + dt.timedelta(minutes=10), 3000)])
        assert one_answer(at_once(live_server, csms, "meter-values", values))["applied"]

        stop = transaction_event(
            tx, t0 + dt.timedelta(minutes=20), meter_stop_wh=4000, ev_still_plugged=True
        )
        assert one_answer(at_once(live_server, csms, "transaction-stopped", stop))["applied"]

        left = transaction_event(tx, t0 + dt.timedelta(minutes=25))
        assert one_answer(at_once(live_server, csms, "ev-left", left))["applied"]

    # Each event had its effect once.
    assert ProcessedEvent.objects.count() == 6 * ROUNDS
    assert Authorization.objects.count() == ROUNDS
    assert Transaction.objects.count() == ROUNDS
    assert Cdr.objects.count() == ROUNDS
    # Every copy was logged with the answer it got.
    logged = MessageLog.objects.filter(module="csms").values_list("http_status", flat=True)
    assert sorted(set(logged)) == [200]
    assert len(logged) == 6 * ROUNDS * COPIES
