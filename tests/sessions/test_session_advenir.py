"""Advenir (Gireve §3.8.5, §3.9.5): flagged stations report every charge, non-roaming ones
with the anonymised CdrToken whose five values are settings."""

import datetime as dt

import pytest
from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr as PydanticCdr
from py_ocpi.modules.sessions.v_2_2_1.schemas import Session as PydanticSession

from roaming import ocpi_json
from roaming.outbox.models import Message
from sessions import session_services as services
from sessions.models import Cdr, Session

from .conftest import TOKEN, utc

pytestmark = pytest.mark.django_db
START = utc(2026, 3, 13, 9, 0)


def _charge(evse, connector, token):
    session = services.start_session(
        evse=evse,
        connector=connector,
        started_at=START,
        meter_start_wh=500,
        cdr_token=token,
        auth_method="WHITELIST" if token is None else "AUTH_REQUEST",
        transaction_id="TX-LOCAL-1",
        now=START,
    )
    if session is None:
        return None
    end = START + dt.timedelta(hours=1)
    return services.stop_transaction(session=session, stopped_at=end, meter_stop_wh=7500, now=end)


def _flag(evse):
    evse.location.advenir_reporting = True
    evse.location.save()


def test_non_roaming_charge_on_advenir_station_is_reported_anonymised(put_hub, charger, settings):
    settings.ADVENIR_TOKEN_CONTRACT_ID = "Confirmed-By-Gireve"
    _flag(charger[0])
    session = _charge(*charger, token=None)
    cdr = Cdr.objects.get(session=session).data
    expected = {
        "country_code": "$$",
        "party_id": "ADV",
        "uid": "12345671234567",
        "type": "RFID",
        "contract_id": "Confirmed-By-Gireve",
    }
    bodies = [m.body for m in Message.objects.filter(object_id=session.ocpi_id)]
    assert [b.get("status") for b in bodies] == ["ACTIVE", "COMPLETED", None]
    for body in bodies:
        assert body["cdr_token"] == expected
        assert body["auth_method"] == "WHITELIST"
        assert "authorization_reference" not in body
        assert "TX-LOCAL-1" not in ocpi_json.dumps(body)  # nothing of ours about the driver
    PydanticSession(**bodies[1])
    PydanticCdr(**cdr)
    assert cdr["total_energy"] == 7  # priced with our default tariff description
    assert session.origin == Session.Origin.ADVENIR


def test_roaming_charge_on_advenir_station_keeps_the_real_token(put_hub, charger):
    _flag(charger[0])
    session = _charge(*charger, token=TOKEN)
    assert Cdr.objects.get(session=session).data["cdr_token"] == TOKEN


def test_non_roaming_charge_elsewhere_is_not_the_hubs_business(put_hub, charger):
    assert _charge(*charger, token=None) is None
    assert not Session.objects.exists()
    assert not Message.objects.filter(stream__module="sessions").exists()
