"""The hub simulator itself: what tests and people rely on when they play against it."""

import base64
import socket
import threading

import pytest
import requests

from roaming.hub_simulator import HubSimulator


def hub_headers(token="hub-token-c", routed=True) -> dict:
    headers = {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}
    if routed:
        headers |= {
            "OCPI-from-country-code": "FR",
            "OCPI-from-party-id": "AB1",
            "OCPI-to-country-code": "FR",
            "OCPI-to-party-id": "107",
        }
    return headers


def call(hub, method, path, body=None, **kwargs):
    return requests.request(
        method, f"{hub.url}/2.2.1/{path}", json=body, headers=hub_headers(**kwargs), timeout=5
    )


def test_down_really_refuses_connections_and_comes_back_on_the_same_port(hub_simulator):
    port = hub_simulator.port

    hub_simulator.set_fault("down")
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
    hub_simulator.set_fault(None)

    assert hub_simulator.port == port
    assert call(hub_simulator, "GET", "../versions", routed=False).json()["status_code"] == 1000


def test_down_also_cuts_kept_alive_connections(hub_simulator):
    session = requests.Session()
    url = hub_simulator.versions_url
    assert session.get(url, headers=hub_headers(), timeout=5).status_code == 200

    hub_simulator.set_fault("down")

    with pytest.raises(requests.ConnectionError):
        session.get(url, headers=hub_headers(), timeout=5)


def test_locations_follow_put_and_patch_merge_semantics(hub_simulator):
    location = {"id": "LOC1", "name": "Parking", "evses": [{"uid": "E1", "status": "AVAILABLE"}]}
    call(hub_simulator, "PUT", "locations/FR/AB1/LOC1", location)
    call(hub_simulator, "PATCH", "locations/FR/AB1/LOC1", {"name": "Garage"})
    call(hub_simulator, "PUT", "locations/FR/AB1/LOC1/E2", {"uid": "E2", "connectors": []})
    connector = {"id": "1", "standard": "IEC_62196_T2"}
    call(hub_simulator, "PUT", "locations/FR/AB1/LOC1/E2/1", connector)
    call(hub_simulator, "PATCH", "locations/FR/AB1/LOC1/E1", {"status": "CHARGING"})

    stored = hub_simulator.objects["locations/FR/AB1/LOC1"]
    assert stored["name"] == "Garage"
    assert [(e["uid"], e.get("status")) for e in stored["evses"]] == [
        ("E1", "CHARGING"),
        ("E2", None),
    ]
    assert stored["evses"][1]["connectors"] == [connector]
    read_back = call(hub_simulator, "GET", "locations/FR/AB1/LOC1/E2/1").json()
    assert read_back["data"] == connector


def test_patch_of_an_unknown_object_is_refused_with_2003(hub_simulator):
    answer = call(hub_simulator, "PATCH", "sessions/FR/AB1/S1", {"kwh": 2})

    assert (answer.status_code, answer.json()["status_code"]) == (404, 2003)


def test_wrong_token_and_missing_routing_headers_are_refused(hub_simulator):
    assert call(hub_simulator, "PUT", "tariffs/FR/AB1/T1", {}, token="nope").status_code == 401
    unrouted = call(hub_simulator, "PUT", "tariffs/FR/AB1/T1", {"id": "T1"}, routed=False)
    assert unrouted.json()["status_code"] == 2001
    assert "tariffs/FR/AB1/T1" not in hub_simulator.objects


@pytest.mark.parametrize(
    ("fault", "http_status", "ocpi_status"), [("http500", 500, 3000), ("reject2001", 200, 2001)]
)
def test_fault_modes_answer_as_configured(hub_simulator, fault, http_status, ocpi_status):
    hub_simulator.set_fault(fault)

    answer = call(hub_simulator, "PUT", "tariffs/FR/AB1/T1", {"id": "T1"})

    assert (answer.status_code, answer.json()["status_code"]) == (http_status, ocpi_status)


def test_slow_mode_outlasts_a_short_read_timeout(hub_simulator):
    hub_simulator.set_fault("slow", delay=0.5)

    with pytest.raises(requests.ReadTimeout):
        requests.get(hub_simulator.versions_url, headers=hub_headers(), timeout=(1, 0.2))


def test_real_time_authorize_needs_location_references(hub_simulator):
    hub_simulator.tokens = [{"uid": "AA11", "type": "RFID"}]
    hub_simulator.authorizations["BB22"] = "BLOCKED"
    where = {"location_id": "LOC1"}

    known = call(hub_simulator, "POST", "tokens/AA11/authorize?type=RFID", where).json()
    blocked = call(hub_simulator, "POST", "tokens/BB22/authorize", where).json()
    unknown = call(hub_simulator, "POST", "tokens/CC33/authorize", where)
    no_location = call(hub_simulator, "POST", "tokens/AA11/authorize", {}).json()

    assert known["data"]["allowed"] == "ALLOWED" and known["data"]["token"]["uid"] == "AA11"
    assert blocked["data"]["allowed"] == "BLOCKED"
    assert (unknown.status_code, unknown.json()["status_code"]) == (404, 2004)
    assert no_location["status_code"] == 2002


def test_command_results_are_received(hub_simulator):
    url = hub_simulator.command_response_url("CMD1")

    requests.post(url, json={"result": "ACCEPTED"}, headers=hub_headers(routed=False), timeout=5)

    assert hub_simulator.command_results == {"CMD1": {"result": "ACCEPTED"}}


def test_every_request_is_recorded_under_concurrency(hub_simulator):
    def put(n):
        call(hub_simulator, "PUT", f"tariffs/FR/AB1/T{n}", {"id": f"T{n}"})

    threads = [threading.Thread(target=put, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(hub_simulator.requests_to("tariffs", "PUT")) == 40
    assert len([k for k in hub_simulator.objects if k.startswith("tariffs/")]) == 40
    assert all(r.headers["OCPI-to-party-id"] == "107" for r in hub_simulator.received)


def test_unknown_fault_mode_is_refused():
    with pytest.raises(ValueError, match="unknown fault mode"):
        HubSimulator().set_fault("flaky")
