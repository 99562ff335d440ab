"""The outbound client against the hub simulator: real HTTP on loopback, every outcome."""

import base64

import pytest

from roaming.client import OcpiClient
from roaming.models import MessageLog
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db


def put_location(platform, operator, correlation_id=None):
    client = OcpiClient(platform, correlation_id=correlation_id)
    url = f"{client.endpoint('locations', 'RECEIVER')}/FR/AB1/LOC1"
    return client.send(
        "PUT",
        url,
        json={"id": "LOC1"},
        from_operator=operator,
        module="locations",
        object_id="LOC1",
    )


def test_put_reaches_hub_with_base64_token_routing_and_id_headers(connected_hub, hub_simulator):
    operator = OperatorFactory(country_code="FR", party_id="AB1")

    outcome = put_location(connected_hub, operator, correlation_id="corr-1")

    assert outcome.kind == "success" and outcome.ocpi_status == 1000
    assert hub_simulator.objects["locations/FR/AB1/LOC1"] == {"id": "LOC1"}
    headers = hub_simulator.received[-1].headers
    assert headers["Authorization"] == "Token " + base64.b64encode(b"hub-token-c").decode()
    assert (headers["OCPI-from-country-code"], headers["OCPI-from-party-id"]) == ("FR", "AB1")
    assert (headers["OCPI-to-country-code"], headers["OCPI-to-party-id"]) == ("FR", "107")
    assert headers["X-Correlation-ID"] == "corr-1" and headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("fault", "kind", "ocpi_status"),
    [("http500", "technical", 3000), ("reject2001", "rejected", 2001), ("down", "technical", None)],
)
def test_outcomes_are_classified(connected_hub, hub_simulator, fault, kind, ocpi_status):
    hub_simulator.set_fault(fault)

    outcome = put_location(connected_hub, OperatorFactory())

    assert (outcome.kind, outcome.ocpi_status) == (kind, ocpi_status)
    assert "locations/FR/AB1/LOC1" not in hub_simulator.objects


def test_read_timeout_is_a_technical_failure(connected_hub, hub_simulator):
    hub_simulator.set_fault("slow", delay=1.5)  # connected_hub reads for 1 s at most

    outcome = put_location(connected_hub, OperatorFactory())

    assert outcome.kind == "technical"
    assert "Timeout" in outcome.message


def test_hub_back_after_down_accepts_again(connected_hub, hub_simulator):
    hub_simulator.set_fault("down")
    assert put_location(connected_hub, OperatorFactory()).kind == "technical"

    hub_simulator.set_fault(None)

    assert put_location(connected_hub, OperatorFactory()).kind == "success"


def test_every_exchange_is_logged_without_the_token(connected_hub):
    outcome = put_location(connected_hub, OperatorFactory(), correlation_id="corr-log")

    log = MessageLog.objects.get(pk=outcome.log_id)
    assert (log.direction, log.http_status, log.ocpi_status) == ("OUT", 200, 1000)
    assert log.correlation_id == "corr-log" and log.object_id == "LOC1"
    assert "hub-token-c" not in str(log.request_headers)
    assert log.request_headers["Authorization"] == "<hidden>"


def test_pull_follows_link_and_honours_page_limit(connected_hub, hub_simulator):
    hub_simulator.tokens = [{"uid": f"{n:014X}"} for n in range(25)]
    connected_hub.page_limits = {"tokens": 10}
    connected_hub.save()

    pulled = list(OcpiClient(connected_hub).pull("tokens", from_operator=OperatorFactory()))

    assert [t["uid"] for t in pulled] == [t["uid"] for t in hub_simulator.tokens]
    pages = [r for r in hub_simulator.received if r.path.endswith("/tokens")]
    assert len(pages) == 3
