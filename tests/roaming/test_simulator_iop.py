"""The hub simulator playing IOP's side of qualification against our live server (Gireve
§3.3: Pull EVCI, Remote start and stop FromIOP), and breaking each use case on purpose.

Real HTTP every way: it registers with us (Register FromIOP), pulls our locations page by page,
sends START_SESSION and STOP_SESSION; the CSMS double plays the charge point."""

import base64

import pytest
import requests

from locations import services as locations
from roaming.models import MessageLog, Platform
from roaming.registration import invite
from roaming.simulator import QUALIFICATION_TOKEN, USE_CASE_FAULTS
from roaming.simulator.faults import DRIFTED_MODULE, RTA_HTTP_500
from roaming.simulator.tokens import load_qualification_token
from sessions.commands.models import Command
from sessions.csms.simulator import ChargePoint
from tests.commands.test_remote_start import run
from tests.commands.test_remote_start_and_stop import deliver_all
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    OperatorFactory,
)
from tests.outbox.workers import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
PARTS = ("Country-Code", "Party-Id")


@pytest.fixture
def operator():
    return OperatorFactory(country_code="FR", party_id="AB1", name="Électro Route")


@pytest.fixture
def sites(operator):
    """Five locations (three pages of two); PAR-1/E1 is the test EVSE."""
    made = []
    for ocpi_id in ("PAR-1", "PAR-2", "PAR-3", "PAR-4", "PAR-5"):
        location = LocationFactory(operator=operator, ocpi_id=ocpi_id)
        ConnectorFactory(evse=EVSEFactory(location=location, uid=f"{ocpi_id[-1]}-E1"))
        locations.save_location(location=location)
        made.append(location)
    ConnectorFactory(evse=EVSEFactory(location=made[0], uid="E1"))
    locations.save_location(location=made[0])
    return made


@pytest.fixture
def hub(live_server, settings, hub_simulator, operator):
    """The simulator registered with us FromIOP, as at the start of qualification."""
    settings.OCPI_BASE_URL = f"{live_server.url}/ocpi"
    _, token_a = invite(name="Gireve")
    answer = hub_simulator.register_with(f"{live_server.url}/ocpi/versions", token_a)
    assert answer["status_code"] == 1000, answer
    yield hub_simulator
    hub_simulator.iop_session_wait = 0  # a play still waiting ends before the database goes
    if hub_simulator.iop_thread is not None:
        hub_simulator.iop_thread.join(timeout=30)


def steps(hub, name: str) -> list[dict]:
    return [s for s in hub.iop_play if s["step"] == name]


def charge_through(hub, double, thread) -> None:
    """What our workers and the charge point do while IOP plays: run each command it sends,
    deliver every push, until its play is over."""
    start = wait_until(
        lambda: Command.objects.filter(type="START_SESSION").first(), timeout=30, what="START"
    )
    run(start, double)  # accepted, the result posted; the EV plugs in: the session starts
    deliver_all()  # ACTIVE, with the start's authorization_reference, reaches the hub
    stop = wait_until(
        lambda: Command.objects.filter(type="STOP_SESSION").first(), timeout=30, what="STOP"
    )
    run(stop, double)
    deliver_all()
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_iop_pulls_every_page_then_starts_and_stops_a_charge(hub, sites, double):
    thread = hub.play_iop("PAR-1", "E1", party="FR*AB1")
    charge_through(hub, double, thread)

    # Pull EVCI: limit 2, Link followed to the end: three pages, every location once.
    pages = steps(hub, "pull_evci")
    assert [(p["status"], p["ocpi_status"]) for p in pages] == [(200, 1000)] * 3
    assert "limit=2" in pages[0]["url"] and pages[1]["url"] == pages[0]["next_url"]
    assert pages[2]["url"] == pages[1]["next_url"] and pages[2]["next_url"] is None
    assert pages[0]["total"] == "5"
    pulled = [loc["id"] for page in pages for loc in page["answer"]["data"]]
    assert sorted(pulled) == ["PAR-1", "PAR-2", "PAR-3", "PAR-4", "PAR-5"]
    [location] = steps(hub, "pull_evci_location")
    [evse] = steps(hub, "pull_evci_evse")
    assert location["answer"]["data"]["id"] == "PAR-1" and evse["answer"]["data"]["uid"] == "E1"
    # Remote start: our CommandResponse, then the CommandResult we posted to its response_url.
    [start] = steps(hub, "start_session")
    assert start["url"].endswith("/ocpi/2.2.1/commands/START_SESSION")
    assert start["status"] == 200 and start["answer"]["data"]["result"] == "ACCEPTED"
    assert start["request"]["token"]["type"] == "APP_USER"
    assert [s["answer"] for s in steps(hub, "start_session_result")] == [{"result": "ACCEPTED"}]
    command = Command.objects.get(type="START_SESSION")
    assert command.sender == "FR*107" and command.evse.uid == "E1"
    assert command.authorization_reference == start["request"]["authorization_reference"]
    # Remote stop: for the session that start began (its authorization_reference).
    [stop] = steps(hub, "stop_session")
    session = hub.session("FR", "AB1", stop["request"]["session_id"])
    assert session["authorization_reference"] == command.authorization_reference
    assert stop["answer"]["data"]["result"] == "ACCEPTED"
    assert [s["answer"] for s in steps(hub, "stop_session_result")] == [{"result": "ACCEPTED"}]
    assert hub.iop_play[-1]["step"] == "done" and not steps(hub, "error")


def test_iop_calls_carry_its_token_routing_and_request_ids(hub, sites):
    """As our server logged them: authenticated with its token, from FR*107 to FR*AB1."""
    hub.break_use_case("commands")  # the pull only

    hub.play_iop("PAR-1", "E1").join(timeout=30)

    pulls = MessageLog.objects.filter(direction="IN", module="locations").order_by("pk")
    assert [p.http_status for p in pulls] == [200] * 5  # three pages, the location, the EVSE
    assert all(p.platform is not None for p in pulls)  # its token, base64 (OCPI 2.2.1)
    routing = {
        tuple(p.request_headers[f"Ocpi-{w}-{part}"] for w in ("From", "To") for part in PARTS)
        for p in pulls
    }
    assert routing == {("FR", "107", "FR", "AB1")}
    assert len({p.request_id for p in pulls}) == 5 and all(p.correlation_id for p in pulls)
    assert not Command.objects.exists() and not steps(hub, "start_session")
    assert [s["step"] for s in hub.iop_play][-1] == "done"


def test_authorizing_the_qualification_badge_makes_iop_play_at_that_evse(hub, sites, double):
    """--play-iop: answering the real-time authorize of the qualification token starts it at
    the EVSE named in the LocationReferences, for the CPO that asked."""
    hub.play_iop_on_authorize = True
    load_qualification_token(hub)

    swipe = double.report(
        "authorize",
        double.bridge.event(
            ChargePoint("PAR-1", "E1"), id_tag=QUALIFICATION_TOKEN["uid"], reader_format="HEX"
        ),
    )
    assert swipe["accepted"] is True, swipe
    wait_until(lambda: hub.iop_thread, timeout=10, what="play_iop started")
    charge_through(hub, double, hub.iop_thread)

    [asked] = hub.authorize_requests
    assert asked["location"] == {"location_id": "PAR-1", "evse_uids": ["E1"]}
    assert len(steps(hub, "pull_evci")) == 3
    [start] = steps(hub, "start_session")
    assert (start["request"]["location_id"], start["request"]["evse_uid"]) == ("PAR-1", "E1")
    assert steps(hub, "stop_session")[0]["answer"]["data"]["result"] == "ACCEPTED"


def test_play_iop_for_people_on_loopback(hub_simulator, live_server, settings, sites):
    hub = hub_simulator
    hub.break_use_case("commands")
    url = hub.url.replace("/ocpi", "/simulator/play-iop")
    body = {"location_id": "PAR-1", "evse_uid": "E1", "to": "FR*AB1"}
    unregistered = requests.post(url, json=body, timeout=5)
    settings.OCPI_BASE_URL = f"{live_server.url}/ocpi"
    hub.register_with(f"{live_server.url}/ocpi/versions", invite(name="Gireve")[1])

    refused = requests.post(url, json={"location_id": "PAR-1"}, timeout=5)
    started = requests.post(url, json=body, timeout=5)
    hub.iop_thread.join(timeout=30)

    assert unregistered.status_code == 409 and unregistered.json()["status_code"] == 2000
    assert refused.status_code == 400 and refused.json()["status_code"] == 2001
    assert started.status_code == 200
    listed = requests.get(url, timeout=5).json()["data"]
    assert [s["step"] for s in listed] == ["pull_evci"] * 3 + [
        "pull_evci_location",
        "pull_evci_evse",
        "done",
    ]


# --- faults: one per use case ---------------------------------------------------------


def hub_call(hub, method, path, body=None, **params) -> requests.Response:
    """A CPO's call to the simulator: its token C, routing from FR*AB1 to FR*107."""
    headers = {
        "Authorization": "Token " + base64.b64encode(hub.token.encode()).decode(),
        "OCPI-from-country-code": "FR",
        "OCPI-from-party-id": "AB1",
        "OCPI-to-country-code": "FR",
        "OCPI-to-party-id": "107",
    }
    url = f"{hub.url}/2.2.1/{path}"
    return requests.request(method, url, json=body, headers=headers, params=params, timeout=5)


@pytest.mark.parametrize(
    ("fault", "path", "body"),
    [
        ("push_evci", "locations/FR/AB1/LOC1", {"id": "LOC1", "evses": []}),
        ("push_tariffs", "tariffs/FR/AB1/T1", {"id": "T1", "currency": "EUR"}),
        ("push_sessions", "sessions/FR/AB1/S1", {"id": "S1", "status": "ACTIVE"}),
    ],
)
def test_a_broken_push_is_accepted_and_lost(hub_simulator, fault, path, body):
    hub_simulator.break_use_case(fault)

    put = hub_call(hub_simulator, "PUT", path, body)
    patch = hub_call(hub_simulator, "PATCH", path, {"last_updated": "2026-01-01T00:00:00Z"})
    got = hub_call(hub_simulator, "GET", path)

    assert put.json()["status_code"] == patch.json()["status_code"] == 1000
    assert (got.status_code, got.json()["status_code"]) == (404, 2003)


def test_broken_push_evci_keeps_the_old_location(hub_simulator):
    hub_call(hub_simulator, "PUT", "locations/FR/AB1/LOC1", {"id": "LOC1", "name": "Old"})
    hub_simulator.break_use_case("push_evci")

    hub_call(hub_simulator, "PATCH", "locations/FR/AB1/LOC1", {"name": "New"})

    assert hub_call(hub_simulator, "GET", "locations/FR/AB1/LOC1").json()["data"]["name"] == "Old"


def test_broken_cdrs_are_refused_with_2001(hub_simulator):
    hub_simulator.break_use_case("push_cdrs")

    posted = hub_call(
        hub_simulator, "POST", "cdrs", {"country_code": "FR", "party_id": "AB1", "id": "C1"}
    )

    assert (posted.status_code, posted.json()["status_code"]) == (200, 2001)
    assert hub_simulator.cdr("FR", "AB1", "C1") is None


@pytest.mark.parametrize(("fault", "http_status"), [("rta", 200), (RTA_HTTP_500, 500)])
def test_broken_real_time_authorization_answers_3000(hub_simulator, fault, http_status):
    load_qualification_token(hub_simulator)
    hub_simulator.break_use_case(fault)
    uid = QUALIFICATION_TOKEN["uid"]

    answer = hub_call(
        hub_simulator, "POST", f"tokens/{uid}/authorize", {"location_id": "PAR-1"}, type="RFID"
    )

    assert (answer.status_code, answer.json()["status_code"]) == (http_status, 3000)


def test_broken_credentials_list_a_drifted_url(hub):
    stored = Platform.objects.get().endpoint_url(DRIFTED_MODULE, "RECEIVER")
    before = hub.read_details(hub.versions_url, hub.token)["endpoints"]
    hub.break_use_case("credentials")

    after = hub.read_details(hub.versions_url, hub.token)["endpoints"]

    [now] = [e["url"] for e in after if e["identifier"] == DRIFTED_MODULE]
    assert stored == f"{hub.url}/2.2.1/{DRIFTED_MODULE}" != now
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert [new["identifier"] for _, new in changed] == [DRIFTED_MODULE]


def test_broken_pull_evci_skips_the_pull(hub, sites):
    hub.break_use_case("pull_evci")
    hub.iop_session_wait = 0  # no charge point here: no session will come

    hub.play_iop("PAR-1", "E1").join(timeout=30)

    assert not MessageLog.objects.filter(direction="IN", module="locations").exists()
    assert not any(s["step"].startswith("pull_evci") for s in hub.iop_play)
    assert steps(hub, "start_session")  # the rest is still played


def test_every_use_case_can_be_broken_and_nothing_else(hub_simulator):
    with pytest.raises(ValueError, match="unknown use case"):
        hub_simulator.break_use_case("push_everything")
    for name in USE_CASE_FAULTS:
        hub_simulator.break_use_case(name)
    assert hub_simulator.broken == set(USE_CASE_FAULTS)
