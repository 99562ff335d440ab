"""Queries per bridge request, pinned (issue 21: the charger-facing hot path at a low, constant
cost). The count covers the whole request: key, event claim, effect, outbox, message log."""

import pytest

from roaming.simulator.demo_tokens import load_demo_tokens
from tests.factories import EvseMappingFactory

from .bridge import HUB_TOKEN, UID, authorize_event, call, status_event

pytestmark = pytest.mark.django_db

STATUS_QUERIES = 11  # 9, and the test transaction's SAVEPOINT and RELEASE
# 8 of ours (replay check, EVSE, claim, answer and log) and of the decision (remote start,
# token, hub platform and endpoints, the hub call's log, the authorization), and the test
# transaction's SAVEPOINT and RELEASE (twice).
AUTHORIZE_QUERIES = 14


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def test_a_status_event_that_reaches_the_hub(
    csms, evse, connected_hub, django_assert_max_num_queries
):
    ok(call(csms, "evse-status", status_event(status="Charging")))  # the hub holds it now
    for word in ("Available", "Charging", "Available", "Charging"):
        with django_assert_max_num_queries(STATUS_QUERIES):
            assert ok(call(csms, "evse-status", status_event(status=word)))["applied"]


def test_a_status_event_by_ocpp_ids(csms, evse, connected_hub, django_assert_max_num_queries):
    EvseMappingFactory(csms=csms, evse=evse, charge_point_id="CP-1", connector_id=1)
    ocpp = {"location_id": None, "evse_uid": None, "charge_point_id": "CP-1", "connector_id": 1}
    ok(call(csms, "evse-status", status_event(status="Charging", **ocpp)))
    with django_assert_max_num_queries(STATUS_QUERIES):
        assert ok(call(csms, "evse-status", status_event(status="Available", **ocpp)))["applied"]


def test_a_replayed_status_event(csms, evse, connected_hub, django_assert_max_num_queries):
    event = status_event(status="Charging")
    ok(call(csms, "evse-status", event))
    with django_assert_max_num_queries(5):  # 3, and the test transaction's SAVEPOINT, RELEASE
        assert ok(call(csms, "evse-status", event))["duplicate"] is True


@pytest.mark.parametrize(
    ("id_tag", "fields"),
    [(UID, {}), ("FR-DEM-C00000005", {"id_token_type": "eMAID"})],  # a badge, a PnC contract
)
def test_an_authorize_the_hub_decides(
    csms, evse, connected_hub, hub_simulator, django_assert_max_num_queries, id_tag, fields
):
    hub_simulator.tokens.append(HUB_TOKEN)
    load_demo_tokens(hub_simulator)  # the demo eMAID, type OTHER
    ok(call(csms, "authorize", authorize_event(id_tag, **fields)))
    with django_assert_max_num_queries(AUTHORIZE_QUERIES):
        assert ok(call(csms, "authorize", authorize_event(id_tag, **fields)))["accepted"] is True
