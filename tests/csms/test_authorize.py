"""POST /api/csms/v1/authorize: the decision path against the hub simulator on loopback."""

import datetime as dt

import pytest

from roaming.simulator import envelope
from sessions.models import Authorization
from tests.factories import RemoteStartFactory, TokenFactory

from .bridge import authorize_event, call

pytestmark = pytest.mark.django_db
UID = "04A23B1C5D6E7F"


def swipe(csms, id_tag=UID, **fields) -> dict:
    response = call(csms, "authorize", authorize_event(id_tag, **fields))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("hub_answer", "options", "accepted", "ocpp_status", "reason"),
    [
        ("ALLOWED", {}, True, "Accepted", "ALLOWED"),
        ("BLOCKED", {}, False, "Blocked", "BLOCKED"),
        ("EXPIRED", {}, False, "Expired", "EXPIRED"),
        ("NO_CREDIT", {}, False, "Invalid", "NO_CREDIT"),
        ("NOT_ALLOWED", {}, False, "Invalid", "NOT_ALLOWED"),
        ("UNKNOWN", {"unknown_http": 404}, False, "Invalid", "UNKNOWN_TOKEN"),
        ("UNKNOWN", {"unknown_http": 200}, False, "Invalid", "UNKNOWN_TOKEN"),
    ],
)
def test_hub_answer_decides_and_is_stored_with_its_reference(
    csms, evse, connected_hub, hub_simulator, hub_answer, options, accepted, ocpp_status, reason
):
    hub_simulator.authorize_as(UID, hub_answer, **options)

    answer = swipe(csms)

    assert (answer["accepted"], answer["ocpp_status"], answer["reason"]) == (
        accepted,
        ocpp_status,
        reason,
    )
    stored = Authorization.objects.get()
    assert (stored.evse, stored.accepted, stored.reason, stored.source) == (
        evse,
        accepted,
        reason,
        "HUB",
    )
    assert len(hub_simulator.authorize_requests) == 1
    if hub_answer != "UNKNOWN":
        # Kept exactly as the hub returned them, for the Session and CDR (Gireve §3.6.1).
        assert stored.token == {"uid": UID, "type": "RFID"}
        assert stored.authorization_reference == answer["authorization_reference"]
        assert len(stored.authorization_reference) == 16


def test_hub_gets_one_location_and_exactly_one_evse_with_routing_headers(
    csms, evse, connected_hub, hub_simulator
):
    swipe(csms, "04:a2:3b:1c", evse_uid="E2")

    [request] = hub_simulator.requests_to("tokens", "POST")
    assert request.path.endswith("/tokens/04A23B1C/authorize")
    assert request.query == {"type": ["RFID"]}
    assert request.json == {"location_id": "PAR-1", "evse_uids": ["E2"]}
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert [
        headers[f"ocpi-{way}-{part}"]
        for way in ("from", "to")
        for part in ("country-code", "party-id")
    ] == ["FR", "AB1", "FR", "107"]


@pytest.mark.parametrize(
    ("id_tag", "reader_format"),
    [
        ("XYZ12345", "HEX"),  # not hexadecimal
        ("0123456789ABCDEF", "HEX"),  # 8 bytes: neither a 4- nor a 7-byte UID
        ("04A23", "HEX_REVERSED"),  # half a byte
        ("99999999999999999999", "DECIMAL"),  # larger than 7 bytes
        ("04:A2:3B:1C:5D:6E:7F:80:91", "HEX"),  # 9 bytes (e.g. a 10-byte UID reader)
    ],
)
def test_malformed_uid_is_refused_locally_and_never_reaches_the_hub(
    csms, evse, connected_hub, hub_simulator, id_tag, reader_format
):
    answer = swipe(csms, id_tag, reader_format=reader_format)

    assert (answer["accepted"], answer["reason"], answer["source"]) == (
        False,
        "INVALID_UID",
        "LOCAL",
    )
    assert hub_simulator.requests_to("tokens") == []
    assert Authorization.objects.get().reason == "INVALID_UID"


def test_reader_formats_are_normalised_before_the_hub_sees_them(
    csms, evse, connected_hub, hub_simulator
):
    swipe(csms, "7f-6e-5d-1c-3b-a2-04", reader_format="HEX_REVERSED")
    swipe(csms, str(0x04A23B1C), reader_format="DECIMAL")
    swipe(csms, "a23b1c")

    uids = [r["uid"] for r in hub_simulator.authorize_requests]
    assert uids == ["04A23B1C5D6E7F", "04A23B1C", "00A23B1C"]


def test_whitelist_always_is_answered_locally(csms, evse, connected_hub, hub_simulator):
    TokenFactory(uid=UID, whitelist="ALWAYS", group_id="FLEET-1")

    answer = swipe(csms)

    assert (answer["accepted"], answer["source"], answer["group_id"]) == (
        True,
        "WHITELIST",
        "FLEET-1",
    )
    assert hub_simulator.requests_to("tokens") == []


@pytest.mark.parametrize("fault", ["down", "slow", "http500"])
@pytest.mark.parametrize(
    ("whitelist", "valid", "accepted"),
    [
        ("ALWAYS", False, False),  # invalid: asked the hub, which cannot answer
        ("ALLOWED", True, True),
        ("ALLOWED_OFFLINE", True, True),
        ("NEVER", True, False),
        (None, None, False),  # no cached token
    ],
)
def test_hub_unreachable_accepts_only_tokens_cached_as_allowed_offline(
    csms, evse, connected_hub, hub_simulator, settings, fault, whitelist, valid, accepted
):
    settings.AUTHORIZE_TIMEOUT_SECONDS = 0.3
    if whitelist is not None:
        TokenFactory(uid=UID, whitelist=whitelist, valid=valid)
    if fault == "slow":
        hub_simulator.authorize_as(UID, "ALLOWED", delay=1.0)  # answers after our timeout
    else:
        hub_simulator.set_fault(fault)

    answer = swipe(csms)

    expected = ("OFFLINE_WHITELIST", "OFFLINE") if accepted else ("HUB_UNREACHABLE", "HUB")
    assert (answer["accepted"], answer["reason"], answer["source"]) == (accepted, *expected)
    token = Authorization.objects.get().token
    assert (token["uid"], token["whitelist"]) == (UID, whitelist) if accepted else token is None


def test_unknown_token_is_refused_even_when_cached_as_allowed(
    csms, evse, connected_hub, hub_simulator
):
    """404 is the eMSP's verdict, never a reason to fall back on the cache (roaming §1.6)."""
    TokenFactory(uid=UID, whitelist="ALLOWED")
    hub_simulator.authorize_as(UID, "UNKNOWN")

    assert swipe(csms)["reason"] == "UNKNOWN_TOKEN"


def test_remote_start_in_the_last_15_minutes_skips_the_hub(
    csms, evse, connected_hub, hub_simulator
):
    RemoteStartFactory(evse=evse, uid=UID)
    RemoteStartFactory(
        evse=evse,
        uid="0000000A",
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16),
    )

    recent = swipe(csms, UID.lower())
    stale = swipe(csms, "0000000A")

    assert (recent["accepted"], recent["source"], recent["authorization_reference"]) == (
        True,
        "REMOTE_START",
        "REMOTE-REF-1",
    )
    assert stale["source"] == "HUB"
    assert [r["uid"] for r in hub_simulator.authorize_requests] == ["0000000A"]


def test_replayed_swipe_gets_the_same_answer_without_asking_the_hub_again(
    csms, evse, connected_hub, hub_simulator
):
    event = authorize_event(UID)
    first = call(csms, "authorize", event).json()
    again = call(csms, "authorize", event).json()

    assert again == {**first, "duplicate": True}
    assert len(hub_simulator.authorize_requests) == 1
    assert Authorization.objects.count() == 1


def answer_authorize_with(hub, http_status: int, body: dict) -> None:
    """The hub answers every authorize with this (what its simulator has no setting for)."""
    original = hub.answer

    def answer(method, path, query, headers, request_body):
        if path.endswith("/authorize"):
            return http_status, body, {}
        return original(method, path, query, headers, request_body)

    hub.answer = answer


@pytest.mark.parametrize("status_code", [4002, 4003, 3000])
@pytest.mark.parametrize(("whitelist", "accepted"), [("ALLOWED_OFFLINE", True), (None, False)])
def test_hub_error_statuses_count_as_unreachable(
    csms, evse, connected_hub, hub_simulator, status_code, whitelist, accepted
):
    if whitelist:
        TokenFactory(uid=UID, whitelist=whitelist)
    answer_authorize_with(hub_simulator, 200, envelope(None, status_code, "eMSP not reachable"))

    answer = swipe(csms)

    assert (answer["accepted"], answer["reason"]) == (
        accepted,
        "OFFLINE_WHITELIST" if accepted else "HUB_UNREACHABLE",
    )
    assert Authorization.objects.get().hub_ocpi_status == status_code


@pytest.mark.parametrize(
    ("returned", "reason"),
    [
        ({"location_id": "PAR-1", "evse_uids": ["E2"]}, "EVSE_NOT_ALLOWED"),
        ({"location_id": "LYO-1"}, "EVSE_NOT_ALLOWED"),
        ({"location_id": "par-1", "evse_uids": ["e2", "e1"]}, "ALLOWED"),
        ({"location_id": "PAR-1"}, "ALLOWED"),
    ],
)
def test_allowed_only_at_the_evses_the_hub_returns(
    csms, evse, connected_hub, hub_simulator, returned, reason
):
    info = {"allowed": "ALLOWED", "token": {"uid": UID, "type": "RFID"}, "location": returned}
    answer_authorize_with(hub_simulator, 200, envelope(info))

    assert swipe(csms)["reason"] == reason


def test_an_answer_that_is_no_authorization_info_counts_as_unreachable(
    csms, evse, connected_hub, hub_simulator
):
    TokenFactory(uid=UID, whitelist="ALLOWED")
    answer_authorize_with(hub_simulator, 200, envelope({"token": {"uid": UID}}))

    answer = swipe(csms)

    assert (answer["accepted"], answer["reason"]) == (True, "OFFLINE_WHITELIST")
    assert "allowed: required" in Authorization.objects.get().hub_message
