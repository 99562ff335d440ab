"""The hub simulator itself: what tests and people rely on when they play against it."""

import base64
import socket
import threading

import pytest
import requests

from roaming.simulator import UNKNOWN, HubSimulator


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
    where = {"location_id": "LOC1"}

    known = call(hub_simulator, "POST", "tokens/AA11/authorize?type=RFID", where).json()
    no_location = call(hub_simulator, "POST", "tokens/AA11/authorize", {}).json()

    assert known["data"]["allowed"] == "ALLOWED" and known["data"]["token"]["uid"] == "AA11"
    assert no_location["status_code"] == 2002


@pytest.mark.parametrize("allowed", ["ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"])
def test_authorize_answers_what_is_set_for_the_token(hub_simulator, allowed):
    hub_simulator.authorize_as("BB22", allowed, info={"language": "fr", "text": "Bonjour"})

    answer = call(hub_simulator, "POST", "tokens/BB22/authorize", {"location_id": "L1"}).json()

    assert answer["data"]["allowed"] == allowed
    assert answer["data"]["info"] == {"language": "fr", "text": "Bonjour"}
    assert hub_simulator.authorize_requests[-1]["location"] == {"location_id": "L1"}


@pytest.mark.parametrize("http_status", [404, 200])
def test_unknown_token_is_2004_with_the_http_status_set(hub_simulator, http_status):
    hub_simulator.tokens = [{"uid": "AA11", "type": "RFID"}]
    hub_simulator.authorize_as("AA11", UNKNOWN, unknown_http=http_status)

    answer = call(hub_simulator, "POST", "tokens/AA11/authorize", {"location_id": "L1"})
    never_seen = call(hub_simulator, "POST", "tokens/ZZ99/authorize", {"location_id": "L1"})

    assert (answer.status_code, answer.json()["status_code"]) == (http_status, 2004)
    assert (never_seen.status_code, never_seen.json()["status_code"]) == (404, 2004)


def test_slow_authorize_outlasts_a_short_read_timeout(hub_simulator):
    hub_simulator.authorize_as("AA11", "ALLOWED", delay=0.5)
    url = f"{hub_simulator.url}/2.2.1/tokens/AA11/authorize"

    with pytest.raises(requests.ReadTimeout):
        requests.post(url, json={"location_id": "L1"}, headers=hub_headers(), timeout=(1, 0.1))


def test_an_authorize_answer_outside_ocpi_is_refused():
    with pytest.raises(ValueError, match="allowed must be"):
        HubSimulator().authorize_as("AA11", "MAYBE")


def test_command_results_are_received(hub_simulator):
    url = hub_simulator.command_response_url("CMD1")

    for result in ("ACCEPTED", "TIMEOUT"):
        requests.post(url, json={"result": result}, headers=hub_headers(routed=False), timeout=5)
    wrong = requests.post(url, json={"result": "OK"}, headers=hub_headers(), timeout=5)

    assert hub_simulator.command_results == {"CMD1": {"result": "TIMEOUT"}}
    assert [r["result"] for r in hub_simulator.command_results_received["CMD1"]] == [
        "ACCEPTED",
        "TIMEOUT",
    ]
    assert wrong.json()["status_code"] == 2001


def test_sessions_are_put_patched_and_read_back(hub_simulator):
    session = {"id": "S1", "status": "ACTIVE", "kwh": 0, "last_updated": "2026-01-01T10:00:00Z"}
    before_put = call(hub_simulator, "PATCH", "sessions/FR/AB1/S1", {"kwh": 1})
    call(hub_simulator, "PUT", "sessions/FR/AB1/S1", session)
    no_time = call(hub_simulator, "PATCH", "sessions/FR/AB1/S1", {"kwh": 2}).json()
    done = {"kwh": 7.5, "status": "COMPLETED", "last_updated": "2026-01-01T11:00:00Z"}
    call(hub_simulator, "PATCH", "sessions/FR/AB1/S1", done)

    read_back = call(hub_simulator, "GET", "sessions/FR/AB1/S1").json()["data"]

    assert (before_put.status_code, before_put.json()["status_code"]) == (404, 2003)
    assert no_time["status_code"] == 2001
    assert read_back == hub_simulator.session("FR", "AB1", "S1") == {**session, **done}
    history = hub_simulator.session_history["sessions/FR/AB1/S1"]
    assert [(s["status"], s["kwh"]) for s in history] == [("ACTIVE", 0), ("COMPLETED", 7.5)]


def test_a_cdr_is_posted_and_read_back_at_the_location_answered(hub_simulator):
    cdr = {"country_code": "FR", "party_id": "AB1", "id": "CDR1", "total_energy": 7.5}
    url = f"{hub_simulator.url}/2.2.1/cdrs"

    first = requests.post(url, json=cdr, headers=hub_headers(), timeout=5)
    again = requests.post(url, json={**cdr, "total_energy": 9}, headers=hub_headers(), timeout=5)
    read_back = requests.get(first.headers["Location"], headers=hub_headers(), timeout=5)
    no_id = requests.post(url, json={"total_energy": 1}, headers=hub_headers(), timeout=5)

    assert first.headers["Location"] == again.headers["Location"] == f"{url}/FR/AB1/CDR1"
    assert read_back.json()["data"] == cdr == hub_simulator.cdr("FR", "AB1", "CDR1")
    assert hub_simulator.cdr_posts == {"cdrs/FR/AB1/CDR1": 2}
    assert no_id.json()["status_code"] == 2001


def test_a_forgotten_location_or_evse_is_unknown_to_patches(hub_simulator):
    location = {"id": "L1", "evses": [{"uid": "E1"}, {"uid": "E2"}]}
    call(hub_simulator, "PUT", "locations/FR/AB1/L1", location)

    assert hub_simulator.forget("locations/FR/AB1/L1/E1")
    evse_gone = call(hub_simulator, "PATCH", "locations/FR/AB1/L1/E1", {"status": "CHARGING"})
    assert hub_simulator.forget("locations/FR/AB1/L1")
    location_gone = call(hub_simulator, "GET", "locations/FR/AB1/L1")

    assert (evse_gone.status_code, evse_gone.json()["status_code"]) == (404, 2003)
    assert (location_gone.status_code, location_gone.json()["status_code"]) == (404, 2003)
    assert not hub_simulator.forget("locations/FR/AB1/L1")


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
