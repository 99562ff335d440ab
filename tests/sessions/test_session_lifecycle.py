"""A roaming charge from start to CDR at the hub simulator (sessions.session_services)."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr as PydanticCdr
from py_ocpi.modules.sessions.v_2_2_1.schemas import Session as PydanticSession

from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from sessions import session_push
from sessions import session_services as services
from sessions.charging_periods import Sample
from sessions.models import Cdr
from tariffs.pricing import price_cdr

from .conftest import TOKEN, utc

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).parent.parent / "data" / "ocpi_examples"
KW_7_2 = 120  # Wh per minute at 7.2 kW


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def friday_night_charge(evse, connector, token=TOKEN):
    """Friday 13 March 2026, Paris (UTC+1): charging at 7.2 kW from 21:30 to 00:30 local
    (over the 22:00 night tariff and midnight into Saturday), EV idle from 00:30, the
    transaction stopped at 00:50 with the EV plugged, the EV gone at 01:20."""
    start = utc(2026, 3, 13, 20, 30)
    session = services.start_session(
        evse=evse,
        connector=connector,
        started_at=start,
        meter_start_wh=1_000_000,
        cdr_token=token,
        auth_method="AUTH_REQUEST",
        authorization_reference="GIREVE-AUTH-1",
        transaction_id="TX1",
        meter_id="METER-1",
        now=start,
    )
    for minutes in range(10, 190, 10):
        at = start + dt.timedelta(minutes=minutes)
        state = "EV_IDLE" if minutes == 180 else "CHARGING"
        sample = Sample(at, 1_000_000 + KW_7_2 * minutes, state, power_w=Decimal(7200))
        session = services.record_meter_values(session=session, samples=[sample], now=at)
    stopped = start + dt.timedelta(minutes=200)
    session = services.stop_transaction(
        session=session,
        stopped_at=stopped,
        meter_stop_wh=1_000_000 + KW_7_2 * 180,
        reason="Local",
        ev_still_plugged=True,
        now=stopped,
    )
    left = start + dt.timedelta(minutes=230)
    return services.ev_left(session=session, left_at=left, now=left)


def test_charge_over_midnight_and_night_window_is_split_and_priced_by_hand(put_hub, charger):
    session = friday_night_charge(*charger)
    cdr = Cdr.objects.get(session=session).data

    starts = [p["start_date_time"] for p in cdr["charging_periods"]]
    # 22:00 local (night), 00:00 local (Saturday), 00:30 local (the EV idles: parking)
    assert starts == [
        "2026-03-13T20:30:00Z",
        "2026-03-13T21:00:00Z",
        "2026-03-13T23:00:00Z",
        "2026-03-13T23:30:00Z",
    ]
    energies = [
        next((d["volume"] for d in p["dimensions"] if d["type"] == "ENERGY"), Decimal(0))
        for p in cdr["charging_periods"]
    ]
    assert energies == [Decimal("3.6"), Decimal("14.4"), Decimal("3.6"), Decimal(0)]
    assert cdr["total_energy"] == Decimal("21.6")
    assert cdr["total_time"] == Decimal("3.8333")  # 3 h charging + 50 min parking
    assert cdr["total_parking_time"] == Decimal("0.8333")
    # by hand: 1.00 fee + 3.6*0.30 + 14.4*0.20 + 3.6*0.15 + 3 h*1.20 + 50 min*6.00/h
    assert cdr["total_cost"] == {"excl_vat": Decimal("14.10"), "incl_vat": Decimal("16.92")}
    assert cdr["total_energy_cost"]["excl_vat"] == Decimal("4.50")
    assert cdr["total_parking_cost"]["excl_vat"] == Decimal("5.00")
    costs = price_cdr(cdr["tariffs"][0], cdr, "Europe/Paris").cost_fields()
    assert {k: v for k, v in cdr.items() if k in costs} == costs
    assert session.total_cost == cdr["total_cost"]  # the session's last estimate


def test_stream_carries_active_updates_completed_then_cdr_to_the_hub(
    put_hub, charger, hub_simulator
):
    session = friday_night_charge(*charger)
    stream = Stream.objects.get(key=session_push.stream_key(session))
    while delivery.deliver_stream(stream.pk):
        pass

    received = [r for r in hub_simulator.received if "/sessions/" in r.path or "/cdrs" in r.path]
    kinds = [(r.method, (r.json or {}).get("status")) for r in received]
    assert kinds[0] == ("PUT", "ACTIVE")
    assert kinds[-2:] == [("PUT", "COMPLETED"), ("POST", None)]
    assert set(kinds[1:-2]) == {("PUT", "ACTIVE")}
    assert received[-1].path.endswith("/2.2.1/cdrs")  # POST to the base URL, no ids
    cc, pid = session.operator.country_code, session.operator.party_id
    assert received[0].path.endswith(f"/2.2.1/sessions/{cc}/{pid}/{session.ocpi_id}")

    cdr = Cdr.objects.get(session=session)
    assert hub_simulator.objects[f"sessions/{cc}/{pid}/{session.ocpi_id}"] == json.loads(
        json.dumps(received[-2].json)
    )
    assert received[-1].json["id"] == cdr.ocpi_id == session.ocpi_id
    assert session_push.hub_location(cdr).endswith(f"/cdrs/{cc}/{pid}/{cdr.ocpi_id}")
    assert not Message.objects.filter(stream=stream, state=Message.State.PENDING).exists()


def test_session_and_cdr_validate_against_py_ocpi_and_have_the_spec_examples_shape(
    put_hub, charger
):
    session = friday_night_charge(*charger)
    body = Message.objects.filter(method="PUT", object_id=session.ocpi_id).last().body
    cdr = Cdr.objects.get(session=session).data
    PydanticSession(**body)
    PydanticCdr(**cdr)
    for ours, name in ((body, "session_example_2_short_finished.json"), (cdr, "cdr_example.json")):
        spec = example(name)
        assert set(spec) - {"total_time_cost"} <= set(ours), name
        for key in set(spec) & set(ours) - {"charging_periods", "tariffs", "total_cost"}:
            assert type(ours[key]) is type(spec[key]) or {type(ours[key]), type(spec[key])} <= {
                Decimal,
                float,
                int,
            }, key
    # CdrLocation: ISO 3166-1 alpha-3 country, the EVSE as at the start.
    assert cdr["cdr_location"]["country"] == "FRA"
    assert cdr["cdr_location"]["evse_uid"] == "E1"
    assert cdr["tariffs"][0]["id"] == "DAYNIGHT"
    assert "target_operator_party_id" not in cdr["tariffs"][0]  # the default description
    assert cdr["authorization_reference"] == "GIREVE-AUTH-1"
    assert cdr["cdr_token"] == TOKEN
    assert all(
        d["type"] not in ("POWER", "CURRENT", "STATE_OF_CHARGE")
        for p in cdr["charging_periods"]
        for d in p["dimensions"]
    )
    assert any(d["type"] == "POWER" for p in body["charging_periods"] for d in p["dimensions"])


def test_cdr_uses_the_token_emsps_own_description_of_the_tariff(put_hub, charger):
    token = {**TOKEN, "country_code": "NL", "party_id": "EMP", "contract_id": "NL-EMP-C1"}
    session = friday_night_charge(*charger, token=token)
    cdr = Cdr.objects.get(session=session).data
    assert cdr["tariffs"][0]["target_operator_party_id"] == "EMP"
    # 21.6 kWh * 0.10 + 50 min parking * 3.00/h, no start fee, no time price
    assert cdr["total_cost"]["excl_vat"] == Decimal("4.66")
    assert cdr["currency"] == "EUR"
