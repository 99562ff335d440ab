"""POST transaction-started, meter-values, transaction-stopped, ev-left: CSMS transactions
become Sessions and CDRs, linked to the authorization they follow."""

import datetime as dt
from decimal import Decimal

import pytest

from roaming.models import MessageLog
from sessions.csms.models import Transaction
from sessions.models import Authorization, Cdr, Session
from tests.factories import EvseMappingFactory, RemoteStartFactory

from .bridge import (
    HUB_TOKEN,
    UID,
    authorize_event,
    call,
    now,
    sample,
    stamp,
    status_event,
    transaction_event,
    transaction_started,
)

pytestmark = pytest.mark.django_db


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def swipe(csms, uid=UID) -> dict:
    return ok(call(csms, "authorize", authorize_event(uid)))


@pytest.fixture
def hub_knows_token(connected_hub, hub_simulator):
    hub_simulator.tokens.append(HUB_TOKEN)
    return hub_simulator


def test_a_charge_from_swipe_to_cdr(csms, evse, hub_knows_token):
    decision = swipe(csms)
    t0 = now() - dt.timedelta(hours=1)

    started = ok(
        call(
            csms,
            "transaction-started",
            transaction_started("TX1", t0, authorization_id=decision["authorization_id"]),
        )
    )
    assert (started["reporting"], started["session_status"]) == ("ROAMING", "ACTIVE")
    session = Session.objects.get(ocpi_id=started["session_id"])
    # Exactly what the hub gave with the authorization (Gireve §3.6.1, §3.8.5).
    assert session.cdr_token == {k: HUB_TOKEN[k] for k in session.cdr_token}
    assert session.authorization_reference == decision["authorization_reference"]
    assert session.auth_method == "AUTH_REQUEST"
    assert session.transaction_id == "TX1"

    values = transaction_event(
        "TX1",
        now(),
        samples=[
            sample(t0 + dt.timedelta(minutes=20), 4000, "Charging", power_w="7200.5"),
            sample(t0 + dt.timedelta(minutes=40), 6000, "SuspendedEV"),
        ],
    )
    assert ok(call(csms, "meter-values", values))["kwh"] == "5.0000"
    stop = transaction_event(
        "TX1",
        t0 + dt.timedelta(minutes=45),
        meter_stop_wh=6000,
        reason="EVDisconnected",
        ev_still_plugged=True,
        signed_data={"encoding_method": "OCMF", "signed_values": []},
    )
    assert ok(call(csms, "transaction-stopped", stop))["session_status"] == "ACTIVE"
    left = ok(call(csms, "ev-left", transaction_event("TX1", t0 + dt.timedelta(minutes=50))))

    assert left["session_status"] == "COMPLETED"
    cdr = Cdr.objects.get(session=session)
    assert cdr.data["total_energy"] == 5
    # 40 → 50 min: the EV asked for no power.
    assert cdr.data["total_parking_time"] == Decimal("0.1667")
    transaction = Transaction.objects.get()
    assert transaction.signed_data == {"encoding_method": "OCMF", "signed_values": []}
    assert transaction.stop_reason == "EVDisconnected"


def test_the_id_tag_alone_finds_the_latest_decision_at_that_evse(csms, evse, hub_knows_token):
    decision = swipe(csms)

    started = ok(
        call(
            csms,
            "transaction-started",
            transaction_started("TX1", now(), id_tag="04:a2:3b:1c:5d:6e:7f"),
        )
    )

    transaction = Transaction.objects.get()
    assert transaction.authorization_id == decision["authorization_id"]
    assert started["reporting"] == "ROAMING"
    # One swipe, one transaction: a second start with that badge follows nothing of the hub's.
    second = transaction_started("TX2", now(), evse_uid="E1", id_tag=UID)
    assert ok(call(csms, "transaction-started", second))["reporting"] == "NOT_REPORTED"


def test_a_remote_start_gives_command_and_its_token(csms, evse):
    remote = RemoteStartFactory(
        evse=evse,
        created_at=now(),
        uid="APP42",
        type="APP_USER",
        token={**HUB_TOKEN, "uid": "APP42", "type": "APP_USER"},
        authorization_reference="REF-CMD-1",
    )

    started = ok(
        call(
            csms,
            "transaction-started",
            transaction_started("TX9", now(), remote_start_id=remote.pk),
        )
    )

    session = Session.objects.get(ocpi_id=started["session_id"])
    assert (session.auth_method, session.authorization_reference, session.cdr_token["uid"]) == (
        "COMMAND",
        "REF-CMD-1",
        "APP42",
    )


def test_a_token_the_hub_refused_gives_an_invalid_session(csms, evse, hub_knows_token):
    hub_knows_token.authorize_as(UID, "BLOCKED")
    decision = swipe(csms)

    started = ok(
        call(
            csms,
            "transaction-started",
            transaction_started("TX2", now(), authorization_id=decision["authorization_id"]),
        )
    )

    assert (started["reporting"], started["session_status"]) == ("INVALID", "INVALID")
    values = transaction_event("TX2", now(), samples=[sample(now(), 2000)])
    answer = ok(call(csms, "meter-values", values))
    assert (answer["applied"], answer["reason"]) == (False, "recorded only: session INVALID")
    assert not Cdr.objects.exists()


def test_a_badge_the_hub_never_saw_is_not_reported_except_on_advenir_stations(csms, evse, operator):
    answer = ok(
        call(csms, "transaction-started", transaction_started("TX3", now(), id_tag="0A0B0C0D"))
    )
    assert (answer["reporting"], answer["session_id"]) == ("NOT_REPORTED", None)
    stop = ok(
        call(csms, "transaction-stopped", transaction_event("TX3", now(), meter_stop_wh=1500))
    )
    assert stop["applied"] is False
    assert Transaction.objects.get().meter_stop_wh == 1500

    evse.location.advenir_reporting = True
    evse.location.save()
    answer = ok(
        call(csms, "transaction-started", transaction_started("TX4", now(), id_tag="0A0B0C0D"))
    )
    session = Session.objects.get(ocpi_id=answer["session_id"])
    assert answer["reporting"] == "ADVENIR"
    assert session.cdr_token["contract_id"] == "Gireve2Advenir"


def test_unknown_transaction_is_a_logged_404(csms, evse):
    body = transaction_event("NOPE", now(), meter_stop_wh=10)

    response = call(csms, "transaction-stopped", body)

    assert response.status_code == 404
    assert "Unknown transaction NOPE" in response.json()["detail"]
    log = MessageLog.objects.get(object_id=body["event_id"])
    assert log.http_status == 404


def test_a_replayed_event_changes_nothing_and_a_second_stop_is_refused(csms, evse, hub_knows_token):
    decision = swipe(csms)
    t0 = now() - dt.timedelta(minutes=30)
    ok(
        call(
            csms,
            "transaction-started",
            transaction_started("TX5", t0, authorization_id=decision["authorization_id"]),
        )
    )
    values = transaction_event("TX5", now(), samples=[sample(t0 + dt.timedelta(minutes=10), 3000)])

    first, again = ok(call(csms, "meter-values", values)), ok(call(csms, "meter-values", values))

    assert again == {**first, "duplicate": True}
    stop = transaction_event("TX5", t0 + dt.timedelta(minutes=20), meter_stop_wh=4000)
    assert ok(call(csms, "transaction-stopped", stop))["session_status"] == "COMPLETED"
    other = transaction_event("TX5", t0 + dt.timedelta(minutes=21), meter_stop_wh=4000)
    refused = call(csms, "transaction-stopped", other)
    assert refused.status_code == 409
    assert "already stopped" in refused.json()["detail"]
    late = call(csms, "meter-values", transaction_event("TX5", now(), samples=[sample(t0, 1000)]))
    assert late.status_code == 409
    assert Cdr.objects.count() == 1


def test_out_of_order_time_comes_from_the_status_feed(csms, evse, hub_knows_token):
    decision = swipe(csms)
    t0 = now() - dt.timedelta(hours=2)
    body = transaction_started("TX6", t0, authorization_id=decision["authorization_id"])
    ok(call(csms, "transaction-started", body))
    for minutes, status in ((30, "Faulted"), (45, "Available")):
        event = status_event(timestamp=stamp(t0 + dt.timedelta(minutes=minutes)), status=status)
        ok(call(csms, "evse-status", event))

    stop = transaction_event("TX6", t0 + dt.timedelta(minutes=60), meter_stop_wh=9000)
    ok(call(csms, "transaction-stopped", stop))

    session = Session.objects.get()
    down = [stamp(t0 + dt.timedelta(minutes=m))[:19] + "Z" for m in (30, 45)]
    assert session.out_of_order == [down]
    # Gireve §3.9.2: an hour minus the 15 minutes out of order.
    assert Cdr.objects.get().data["total_time"] == Decimal("0.75")


@pytest.mark.parametrize(
    ("endpoint", "fields", "field"),
    [
        ("meter-values", {"samples": []}, "samples"),
        ("meter-values", {"samples": [{"timestamp": "2026-01-01T00:00:00Z"}]}, "samples"),
        (
            "meter-values",
            {
                "samples": [
                    {
                        "timestamp": "2026-01-01T00:00:00Z",
                        "energy_wh": 5,
                        "charging_state": "Napping",
                    }
                ]
            },
            "samples",
        ),
        ("transaction-stopped", {"meter_stop_wh": -1}, "meter_stop_wh"),
        ("transaction-stopped", {}, "meter_stop_wh"),
        ("ev-left", {"transaction_id": ""}, "transaction_id"),
    ],
)
def test_bad_bodies_name_the_field_and_write_nothing(csms, evse, endpoint, fields, field):
    body = {**transaction_event("TX1", now()), **fields}

    response = call(csms, endpoint, body)

    assert response.status_code == 400
    assert field in response.json()
    assert not Transaction.objects.exists() and not Session.objects.exists()


def test_a_start_ahead_of_our_clock_or_naming_another_evses_authorization_is_refused(
    csms, evse, hub_knows_token
):
    decision = swipe(csms)
    ahead = transaction_started("TX1", now() + dt.timedelta(minutes=10))
    elsewhere = transaction_started(
        "TX1", now(), evse_uid="E2", authorization_id=decision["authorization_id"]
    )
    started = transaction_started("TX1", now(), authorization_id=decision["authorization_id"])
    again = transaction_started("TX1", now(), authorization_id=decision["authorization_id"])

    assert call(csms, "transaction-started", ahead).status_code == 400
    assert call(csms, "transaction-started", elsewhere).status_code == 404
    assert call(csms, "transaction-started", started).status_code == 200
    refused = call(csms, "transaction-started", again)
    assert refused.status_code == 409
    assert Session.objects.count() == 1


def test_ocpp_ids_name_the_evse_through_the_mapping(csms, evse, hub_knows_token):
    EvseMappingFactory(csms=csms, evse=evse, charge_point_id="CP-PARIS-1", connector_id=2)
    swipe(csms)
    body = transaction_started(
        "TX7",
        now(),
        location_id=None,
        evse_uid=None,
        charge_point_id="CP-PARIS-1",
        connector_id="2",
        id_tag=UID,
    )

    started = ok(call(csms, "transaction-started", body))

    session = Session.objects.get(ocpi_id=started["session_id"])
    assert (session.evse, session.connector) == (evse, evse.connectors.get())


def test_a_register_going_backwards_is_a_flagged_reset_and_counting_goes_on(
    csms, evse, hub_knows_token
):
    """Issue 18 item 4: 10,500 then 10,400 Wh is a meter reset, never taken silently; the
    energy after it is billed on top (docs/sessions.md "Meter register")."""
    decision = swipe(csms)
    t0 = now() - dt.timedelta(hours=1)
    body = transaction_started(
        "TXR", t0, authorization_id=decision["authorization_id"], meter_start_wh=10_000
    )
    ok(call(csms, "transaction-started", body))

    def values(minutes, wh):
        at = t0 + dt.timedelta(minutes=minutes)
        event = transaction_event("TXR", now(), samples=[sample(at, wh)])
        return ok(call(csms, "meter-values", event))

    assert values(10, 10_500)["reason"] == ""
    assert values(20, 10_500)["reason"] == ""  # the same register again: no reset
    reset = values(30, 10_400)
    assert (reset["applied"], reset["reason"], reset["kwh"]) == (True, "meter_reset", "0.5000")
    assert values(40, 10_700)["kwh"] == "0.8000"  # 500 + 0 across the reset + 300
    # A late, lower reading with an EARLIER time is out of order, not a reset.
    late = values(5, 10_200)
    assert (late["reason"], late["kwh"]) == ("", "0.8000")
    # The stop register follows the same rule: below meter_start after a replacement is taken.
    stop = transaction_event("TXR", t0 + dt.timedelta(minutes=50), meter_stop_wh=10_900)
    stopped = ok(call(csms, "transaction-stopped", stop))
    assert (stopped["session_status"], stopped["kwh"]) == ("COMPLETED", "1.0000")
    session = Session.objects.get()
    assert session.meter_resets == [
        {"at": stamp(t0 + dt.timedelta(minutes=30))[:19] + "Z", "from_wh": 10_500, "to_wh": 10_400}
    ]
    assert Cdr.objects.get().data["total_energy"] == 1


def test_a_stop_register_below_the_start_is_a_reset_not_a_refusal(csms, evse, hub_knows_token):
    decision = swipe(csms)
    t0 = now() - dt.timedelta(hours=1)
    body = transaction_started(
        "TXS", t0, authorization_id=decision["authorization_id"], meter_start_wh=10_000
    )
    ok(call(csms, "transaction-started", body))
    replaced = [sample(t0 + dt.timedelta(minutes=20), 100)]  # a new meter, from 100 Wh
    assert (
        ok(call(csms, "meter-values", transaction_event("TXS", now(), samples=replaced)))["reason"]
        == "meter_reset"
    )

    stop = transaction_event("TXS", t0 + dt.timedelta(minutes=40), meter_stop_wh=2100)
    stopped = ok(call(csms, "transaction-stopped", stop))

    assert (stopped["applied"], stopped["kwh"]) == (True, "2.0000")
    assert Cdr.objects.get().data["total_energy"] == 2


# --- one normaliser, one matcher (issue 18 item 6a): authorize and the start agree ----------


@pytest.mark.parametrize(
    ("id_tag", "reader_format"),
    [
        ("04:a2:3b:1c:5d:6e:7f", "HEX"),
        ("04-A2-3B-1C-5D-6E-7F", "HEX"),
        ("7F6E5D1C3BA204", "HEX_REVERSED"),
        (str(0x04A23B1C5D6E7F), "DECIMAL"),
    ],
)
def test_every_uid_form_authorized_is_the_one_the_start_links(
    csms, evse, hub_knows_token, id_tag, reader_format
):
    decision = ok(call(csms, "authorize", authorize_event(id_tag, reader_format=reader_format)))
    assert (decision["accepted"], decision["uid"]) == (True, UID)

    body = transaction_started("TXU", now(), id_tag=id_tag, reader_format=reader_format)
    started = ok(call(csms, "transaction-started", body))

    assert started["reporting"] == "ROAMING"
    assert Transaction.objects.get().authorization_id == decision["authorization_id"]


def test_an_id_tag_authorize_refuses_as_no_uid_is_no_uid_for_the_start_either(csms, evse):
    too_long = "APP-" + "X" * 36  # not a CiString(36) Token.uid
    decision = ok(call(csms, "authorize", authorize_event(too_long, token_type="APP_USER")))
    assert (decision["reason"], decision["uid"]) == ("INVALID_UID", "")

    body = transaction_started("TXA", now(), id_tag=too_long, token_type="APP_USER")
    started = ok(call(csms, "transaction-started", body))

    assert (started["reporting"], started["reason"]) == (
        "NOT_REPORTED",
        "id tag is not a token uid: not roaming",
    )


def test_a_remote_start_at_the_charge_point_links_a_start_on_its_other_connector(
    csms, evse, location
):
    """OCPP RemoteStartTransaction names the charge point: the EV may plug into its other
    connector, and the charge point starts without an Authorize. The start matches the remote
    start as the authorize decision does (EVSE or charge point)."""
    other = location.evses.get(uid="E2")
    EvseMappingFactory(csms=csms, evse=evse, charge_point_id="CP-1", connector_id=1)
    EvseMappingFactory(csms=csms, evse=other, charge_point_id="CP-1", connector_id=2)
    RemoteStartFactory(
        evse=evse,
        charge_point_id="CP-1",
        created_at=now(),
        uid=UID,
        token={**HUB_TOKEN},
        authorization_reference="REF-CMD-2",
    )
    at_other = ok(call(csms, "authorize", authorize_event(UID, evse_uid="E2")))
    assert (at_other["accepted"], at_other["source"]) == (True, "REMOTE_START")
    Authorization.objects.all().delete()  # this time the charge point starts without asking

    body = transaction_started("TXC", now(), evse_uid="E2", id_tag=UID)
    started = ok(call(csms, "transaction-started", body))

    assert started["reporting"] == "ROAMING"
    session = Session.objects.get(ocpi_id=started["session_id"])
    assert (session.auth_method, session.authorization_reference, session.evse) == (
        "COMMAND",
        "REF-CMD-2",
        other,
    )


def test_a_meter_event_costs_the_same_queries_at_the_first_and_the_fortieth_sample(
    csms, evse, hub_knows_token, django_assert_max_num_queries
):
    """Issue 21 item 2: a meter value writes its row and the session's open tail; nothing
    grows with the samples before it (bench/csms_cpu.py measures the CPU)."""
    decision = swipe(csms)
    t0 = now() - dt.timedelta(hours=1)
    body = transaction_started("TXQ", t0, authorization_id=decision["authorization_id"])
    ok(call(csms, "transaction-started", body))

    def values(minute):
        at = t0 + dt.timedelta(minutes=minute)
        event = transaction_event("TXQ", now(), samples=[sample(at, 1000 + 120 * minute)])
        return call(csms, "meter-values", event)

    with django_assert_max_num_queries(METER_EVENT_QUERIES):
        assert values(1).status_code == 200
    for minute in range(2, 40):
        assert values(minute).status_code == 200
    with django_assert_max_num_queries(METER_EVENT_QUERIES):
        assert values(40).status_code == 200


METER_EVENT_QUERIES = 14
