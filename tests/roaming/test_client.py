"""The outbound client against the hub simulator: real HTTP on loopback, every outcome."""

import base64
import datetime as dt

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
    operator = OperatorFactory(country_code="FR", party_id="AB7")
    outcome = put_location(connected_hub, operator, correlation_id="corr-log")

    log = MessageLog.objects.get(pk=outcome.log_id)
    assert (log.direction, log.http_status, log.ocpi_status) == ("OUT", 200, 1000)
    assert log.correlation_id == "corr-log" and log.object_id == "LOC1"
    assert (log.party, log.platform) == ("FR*AB7", connected_hub)  # searchable by our operator
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


def test_pull_follows_the_hubs_link_verbatim(connected_hub, hub_simulator):
    hub_simulator.tokens = [{"uid": f"{n:014X}"} for n in range(5)]
    connected_hub.page_limits = {"tokens": 2}
    connected_hub.save()

    list(OcpiClient(connected_hub).pull("tokens", from_operator=OperatorFactory()))

    pages = hub_simulator.requests_to("tokens", "GET")
    # The hub's opaque cursor only exists in its Link header: we sent it back untouched.
    assert [sorted(p.query) for p in pages[1:]] == [["cursor", "limit", "offset"]] * 2
    assert [p.query["offset"] for p in pages[1:]] == [["2"], ["4"]]


def test_pull_asks_for_the_iop_page_size_by_default(connected_hub, hub_simulator):
    list(OcpiClient(connected_hub).pull("tokens", from_operator=OperatorFactory()))

    assert hub_simulator.requests_to("tokens", "GET")[0].query["limit"] == ["1000"]


def test_pull_failing_midway_raises_rather_than_returning_a_partial_list(
    connected_hub, hub_simulator
):
    hub_simulator.tokens = [{"uid": f"{n:014X}"} for n in range(4)]
    connected_hub.page_limits = {"tokens": 2}
    connected_hub.save()
    pulled = OcpiClient(connected_hub).pull("tokens", from_operator=OperatorFactory())

    first = next(pulled)
    next(pulled)
    hub_simulator.set_fault("http500")

    assert first["uid"] == "00000000000000"
    with pytest.raises(ConnectionError, match="HTTP 500|Simulated"):
        next(pulled)


def test_pull_of_a_module_they_do_not_send_is_a_clear_error(connected_hub):
    with pytest.raises(LookupError, match="no cdrs SENDER"):
        list(OcpiClient(connected_hub).pull("cdrs"))


def test_routing_headers_come_from_the_client_owned_url_when_not_given(
    connected_hub, hub_simulator
):
    client = OcpiClient(connected_hub)

    outcome = client.send(
        "PATCH",
        f"{client.endpoint('sessions', 'RECEIVER')}/FR/AB9/S1",
        json={"kwh": 1},
        module="sessions",
    )

    assert outcome.kind == "rejected"  # unknown session at the hub, but it was routed
    headers = hub_simulator.received[-1].headers
    assert (headers["OCPI-from-country-code"], headers["OCPI-from-party-id"]) == ("FR", "AB9")


def test_missing_routing_headers_are_rejected_by_the_hub(connected_hub, hub_simulator):
    client = OcpiClient(connected_hub)

    outcome = client.send("GET", f"{client.endpoint('tokens', 'SENDER')}", module="tokens")

    assert (outcome.kind, outcome.ocpi_status) == ("rejected", 2001)


def test_refused_token_is_technical_so_the_message_is_retried(connected_hub, hub_simulator):
    connected_hub.outgoing_token = "not-the-hub-token"

    outcome = put_location(connected_hub, OperatorFactory())

    assert (outcome.kind, outcome.http_status) == ("technical", 401)


def test_check_helper_reads_the_hubs_copy_of_an_evse(connected_hub, hub_simulator):
    operator = OperatorFactory(country_code="FR", party_id="AB1")
    client = OcpiClient(connected_hub)
    evse = {"uid": "E1", "status": "AVAILABLE", "connectors": [{"id": "1"}]}
    client.send(
        "PUT",
        client.object_url("locations", operator, "LOC1"),
        json={"id": "LOC1", "evses": [evse]},
        module="locations",
    )
    client.send(
        "PATCH",
        client.object_url("locations", operator, "LOC1", "E1"),
        json={"status": "CHARGING"},
        module="locations",
    )

    found = client.get_object("locations", operator, "LOC1", "E1")
    missing = client.get_object("locations", operator, "LOC1", "E2")

    assert found.kind == "success" and found.data["status"] == "CHARGING"
    assert (missing.kind, missing.ocpi_status) == ("rejected", 2003)
    assert MessageLog.objects.get(pk=found.log_id).object_id == "LOC1"


def test_cdr_check_uses_the_location_the_hub_answered(connected_hub, hub_simulator):
    operator = OperatorFactory(country_code="FR", party_id="AB1")
    client = OcpiClient(connected_hub)
    cdr = {"country_code": "FR", "party_id": "AB1", "id": "CDR1", "total_energy": 12}

    posted = client.send("POST", client.endpoint("cdrs", "RECEIVER"), json=cdr, module="cdrs")
    found = client.get_object("cdrs", operator, url=posted.headers["Location"])

    assert found.data == cdr


def test_pull_never_asks_more_than_the_hub_page_limit_and_formats_dates(
    connected_hub, hub_simulator
):
    since = dt.datetime(2026, 1, 1, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))

    list(
        OcpiClient(connected_hub).pull(
            "tokens", from_operator=OperatorFactory(), params={"limit": 5000, "date_from": since}
        )
    )

    query = hub_simulator.requests_to("tokens", "GET")[0].query
    assert query["limit"] == ["1000"]
    assert query["date_from"] == ["2026-01-01T12:00:00Z"]
