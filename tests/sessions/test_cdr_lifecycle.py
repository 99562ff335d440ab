"""CDRs: checked before they leave, held when broken, immutable, credited and re-billed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr as PydanticCdr

from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from sessions import cdr_checks, cdr_services, session_push
from sessions import session_services as services
from sessions.charging_periods import Sample
from sessions.models import Cdr, Session
from tariffs import services as tariff_services
from tariffs.models import Tariff
from tariffs.ocpi import tariff_to_ocpi
from tests.factories import TariffFactory, UserFactory

from .conftest import TOKEN, utc

pytestmark = pytest.mark.django_db
START = utc(2026, 3, 13, 20, 30)


def _charge(evse, connector, *, token=TOKEN, minutes=40):
    session = services.start_session(
        evse=evse,
        connector=connector,
        started_at=START,
        meter_start_wh=0,
        cdr_token=token,
        auth_method="AUTH_REQUEST",
        authorization_reference="AUTH-REF-1" if token else "",
        now=START,
    )
    if session is None:
        return None
    at = START + dt.timedelta(minutes=minutes // 2)
    session = services.record_meter_values(
        session=session, samples=[Sample(at, 60 * minutes)], now=at
    )
    end = START + dt.timedelta(minutes=minutes)
    return services.stop_transaction(
        session=session, stopped_at=end, meter_stop_wh=120 * minutes, now=end
    )


def _sent(session):
    stream = Stream.objects.get(key=session_push.stream_key(session))
    return [
        (m.method, m.object_id, (m.body or {}).get("status"))
        for m in stream.messages.order_by("pk")
        if m.state != Message.State.SUPERSEDED
    ]


def _valid_cdr(put_hub, charger):
    session = _charge(*charger)
    return session, Cdr.objects.get(session=session)


def test_each_broken_invariant_is_named(put_hub, charger):
    session, cdr = _valid_cdr(put_hub, charger)
    good = cdr.data
    kwargs = {
        "cdr_token": TOKEN,
        "session_total_cost": session.total_cost,
        "time_zone": "Europe/Paris",
    }
    assert cdr_checks.cdr_errors(good, **kwargs) == []
    broken = {
        "total_energy": {**good, "total_energy": good["total_energy"] + 1},
        "sorted": {**good, "charging_periods": good["charging_periods"][::-1]},
        "after end_date_time": {**good, "start_date_time": "2026-03-14T00:00:00Z"},
        "total_cost": {**good, "total_cost": {"excl_vat": Decimal("0.01")}},
        "Session-only": {
            **good,
            "charging_periods": [
                {**p, "dimensions": [*p["dimensions"], {"type": "POWER", "volume": 7}]}
                for p in good["charging_periods"]
            ],
        },
        "cdr_token": {**good, "cdr_token": {**TOKEN, "uid": "OTHER"}},
        "id must be": {**good, "id": "X" * 37},
    }
    for words, cdr_data in broken.items():
        errors = cdr_checks.cdr_errors(cdr_data, **kwargs)
        assert any(words in error for error in errors), (words, errors)


def test_another_emsps_tariff_description_is_caught(put_hub, charger):
    session, cdr = _valid_cdr(put_hub, charger)
    theirs = Tariff.objects.get(target_operator_party_id="EMP")
    data = {**cdr.data, "tariffs": [tariff_to_ocpi(theirs)]}
    errors = cdr_checks.cdr_errors(
        data, cdr_token=TOKEN, session_total_cost=None, time_zone="Europe/Paris"
    )
    assert any("not the description eMSP DE*TNM gets" in e for e in errors)


def test_cdr_the_engine_refuses_is_held_with_the_reason_and_not_queued(put_hub, charger):
    session = services.start_session(
        evse=charger[0],
        connector=charger[1],
        started_at=START,
        meter_start_wh=0,
        cdr_token=TOKEN,
        auth_method="WHITELIST",
        now=START,
    )
    # A tariff snapshot the engine no longer accepts (e.g. written by an older version).
    tariff = session.tariff
    tariff["elements"][2]["price_components"][1]["price"] = Decimal("-0.30")
    Session.objects.filter(pk=session.pk).update(tariff=tariff)
    session = services.stop_transaction(
        session=session, stopped_at=START + dt.timedelta(minutes=30), meter_stop_wh=3000
    )
    cdr = Cdr.objects.get(session=session)
    assert cdr.state == Cdr.State.HELD
    assert "pricing engine refuses" in cdr.held_reason
    assert _sent(session)[-1] == ("PUT", session.ocpi_id, "COMPLETED")  # no POST


def test_cdr_is_immutable(put_hub, charger):
    _, cdr = _valid_cdr(put_hub, charger)
    cdr.data["total_cost"] = {"excl_vat": Decimal(0)}
    with pytest.raises(ValueError, match="immutable"):
        cdr.save()


def test_credit_and_rebill_go_on_the_session_stream_after_the_original(
    put_hub, charger, hub_simulator
):
    session, cdr = _valid_cdr(put_hub, charger)
    user = UserFactory()
    result = cdr_services.credit_cdr(cdr=cdr, reason="wrong tariff", user=user, rebill=True)

    credit, rebill = result.credit, result.rebill
    assert credit.ocpi_id == f"{cdr.ocpi_id}-C" and len(credit.ocpi_id) <= 39
    assert credit.data["credit"] is True
    assert credit.data["credit_reference_id"] == cdr.ocpi_id
    assert credit.data["total_cost"] == {k: -v for k, v in cdr.data["total_cost"].items()}
    assert credit.data["charging_periods"] == cdr.data["charging_periods"]
    assert (credit.reason, credit.created_by, credit.credit_reference) == (
        "wrong tariff",
        user,
        cdr,
    )
    assert rebill.ocpi_id == f"{cdr.ocpi_id}-R1" and len(rebill.ocpi_id) <= 36
    assert "credit" not in rebill.data and rebill.state == Cdr.State.QUEUED
    assert rebill.data["total_cost"] == cdr.data["total_cost"]
    for data in (credit.data, rebill.data):
        PydanticCdr(**data)

    stream = Stream.objects.get(key=session_push.stream_key(session))
    while delivery.deliver_stream(stream.pk):
        pass
    posted = [r.json["id"] for r in hub_simulator.received if r.method == "POST"]
    assert posted == [cdr.ocpi_id, credit.ocpi_id, rebill.ocpi_id]

    with pytest.raises(ValidationError, match="already credited"):
        cdr_services.credit_cdr(cdr=cdr, reason="again", user=user)


def test_rebill_with_another_tariff_prices_the_same_periods_again(put_hub, charger):
    session, cdr = _valid_cdr(put_hub, charger)
    tariff_services.save_tariff(
        tariff=TariffFactory.build(
            operator=session.operator, ocpi_id="CHEAP", start_date_time=utc(2026, 1, 1)
        )
    )  # 0.25/kWh, 20 % VAT
    result = cdr_services.credit_cdr(
        cdr=cdr, reason="promotion", user=UserFactory(), rebill_tariff_id="CHEAP"
    )
    assert result.rebill.data["tariffs"][0]["id"] == "CHEAP"
    assert result.rebill.data["total_cost"] == {
        "excl_vat": Decimal("1.20"),  # 4.8 kWh * 0.25
        "incl_vat": Decimal("1.44"),
    }
    assert result.rebill.data["charging_periods"][0]["tariff_id"] == "CHEAP"
    session.refresh_from_db()
    assert session.tariff["id"] == "DAYNIGHT"  # the session keeps what it ran under


def test_credit_cdr_command_needs_a_permitted_user_and_a_reason(put_hub, charger, capsys):
    _, cdr = _valid_cdr(put_hub, charger)
    clerk = UserFactory(username="clerk")
    with pytest.raises(CommandError, match="lacks the permission"):
        call_command("credit_cdr", cdr.ocpi_id, "--reason", "x", "--user", "clerk")
    clerk.user_permissions.add(Permission.objects.get(codename="credit_cdr"))
    with pytest.raises(CommandError, match="No CDR"):
        call_command("credit_cdr", "NOPE", "--reason", "x", "--user", "clerk")
    with pytest.raises(CommandError, match="reason is required"):
        call_command("credit_cdr", cdr.ocpi_id, "--reason", " ", "--user", "clerk")
    assert Cdr.objects.count() == 1
    call_command(
        "credit_cdr", cdr.ocpi_id.upper(), "--reason", "meter fault", "--user", "clerk", "--rebill"
    )
    out = capsys.readouterr().out
    assert f"credit CDR {cdr.ocpi_id}-C queued" in out and f"{cdr.ocpi_id}-R1" in out
    assert Cdr.objects.filter(created_by=clerk, reason="meter fault").count() == 2


def test_invalid_session_is_put_and_gets_no_cdr(put_hub, charger):
    session = services.start_session(
        evse=charger[0],
        connector=charger[1],
        started_at=START,
        meter_start_wh=0,
        cdr_token=TOKEN,
        auth_method="COMMAND",
        now=START,
    )
    session = services.invalidate_session(session=session, reason="rejected after start")
    assert _sent(session) == [
        ("PUT", session.ocpi_id, "ACTIVE"),
        ("PUT", session.ocpi_id, "INVALID"),
    ]
    assert not Cdr.objects.exists()


def test_bad_start_changes_nothing(put_hub, charger):
    with pytest.raises(ValidationError) as error:
        services.start_session(
            evse=charger[0],
            connector=charger[1],
            started_at=START,
            meter_start_wh=-5,
            cdr_token={**TOKEN, "party_id": "TOOLONG"},
            auth_method="MAGIC",
        )
    assert len(error.value.messages) == 3
    assert not Session.objects.exists()
    assert not Message.objects.filter(stream__module="sessions").exists()
