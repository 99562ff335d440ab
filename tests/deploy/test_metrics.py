"""/metrics: the roaming workflow, not only the outbox (roaming/metrics.py, sessions/metrics.py)."""

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from sessions.models import Cdr
from tests.csms.bridge import authorize_event, call
from tests.csms.conftest import (  # noqa: F401 (the CSMS bridge tests' fixtures)
    csms,
    evse,
    location,
    operator,
)
from tests.factories import CdrFactory

pytestmark = pytest.mark.django_db


def scrape() -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of one GET /metrics."""
    text = Client().get("/metrics").content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_badge_decided_by_the_hub_counts_everywhere(
    csms, evse, connected_hub, hub_simulator  # noqa: F811
):
    hub_simulator.authorize_as("04A23B1C5D6E7F", "ALLOWED")
    before = scrape()

    answer = call(csms, "authorize", authorize_event("04A23B1C5D6E7F"))
    assert answer.status_code == 200
    call(csms, "authorize", {"event_id": "not a uuid"})  # a 400 counts too

    after = scrape()
    grew = {
        name: value(after, name, **labels) - value(before, name, **labels)
        for name, labels in [
            ("ocpi_authorize_decisions_total",
             {"reason": "ALLOWED", "source": "HUB", "accepted": "True"}),
            ("ocpi_authorize_seconds_count", {"part": "decision"}),
            ("ocpi_authorize_seconds_count", {"part": "hub"}),
            ("csms_bridge_events_total", {"event": "authorize", "status": "200"}),
            ("csms_bridge_events_total", {"event": "authorize", "status": "400"}),
            ("ocpi_hub_call_seconds_count",
             {"module": "tokens", "method": "POST", "outcome": "success"}),
        ]
    }
    assert set(grew.values()) == {1.0}, grew


def test_database_states_are_read_at_each_scrape():
    CdrFactory()
    CdrFactory(state=Cdr.State.HELD, held_reason="no tariff")
    samples = scrape()
    assert value(samples, "ocpi_cdrs", state="QUEUED", kind="cdr") == 1
    assert value(samples, "ocpi_cdrs", state="HELD", kind="cdr") == 1
    assert ("ocpi_sessions_active", ()) in samples
    assert ("ocpi_outbox_stuck_streams", ()) in samples
