"""The OCPI self-test's synthetic charge (sessions.test_charge): the hub gets ACTIVE, an update,
COMPLETED, then the CDR on the session's one stream, as from a real charge; nothing of it
can be billed (is_test, zero costs, a remark) and its CDR is valid OCPI 2.2.1."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr as PydanticCdr
from py_ocpi.modules.sessions.v_2_2_1.schemas import Session as PydanticSession

from roaming import ocpi_json
from roaming.groups import ensure_staff_groups
from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from sessions import session_push, session_services
from sessions.authorization import decide, record_authorization
from sessions.cdr_services import TEST_REMARK
from sessions.models import Cdr, Session
from sessions.test_charge import begin_test_charge, finish_test_charge, update_test_charge
from tests.csms.bridge import HUB_TOKEN, UID
from tests.csms.session_schema import check_cdr, check_session
from tests.factories import AuthorizationFactory, UserFactory

from .conftest import TOKEN

pytestmark = pytest.mark.django_db
COSTS = ("total_cost", "total_fixed_cost", "total_energy_cost", "total_time_cost",
         "total_parking_cost", "total_reservation_cost")  # fmt: skip


def _deliver(session):
    """What the session's stream holds reaches the hub simulator (real HTTP on loopback)."""
    stream = Stream.objects.get(key=session_push.stream_key(session))
    while delivery.deliver_stream(stream.pk):
        pass


def _exact(body: dict) -> dict:
    """The JSON the hub read, with exact numbers (our schema check takes Decimals)."""
    return ocpi_json.loads(json.dumps(body))


def _hub_exchanges(hub_simulator):
    return [
        (r.method, (r.json or {}).get("status"))
        for r in hub_simulator.received
        if "/sessions/" in r.path or "/cdrs" in r.path
    ]


def test_test_charge_reaches_the_hub_in_order_on_one_stream_and_its_cdr_costs_nothing(
    put_hub, hub_simulator, charger
):
    evse, _ = charger  # the EVSE names tariff DAYNIGHT: a real charge there is billed
    hub_simulator.tokens.append(HUB_TOKEN)
    authorization = record_authorization(authorization=decide(evse=evse, id_tag=UID))
    assert authorization.accepted and authorization.authorization_reference
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)

    session = begin_test_charge(evse=evse, authorization=authorization, now=start)
    # 30 s later: a real charge's update would wait SESSION_UPDATE_MIN_SECONDS (120).
    session = update_test_charge(session, now=start + dt.timedelta(seconds=30))
    cdr = finish_test_charge(session, now=start + dt.timedelta(seconds=60))
    _deliver(session)

    assert Stream.objects.filter(key=session_push.stream_key(session)).count() == 1
    assert _hub_exchanges(hub_simulator) == [
        ("PUT", "ACTIVE"),
        ("PUT", "ACTIVE"),
        ("PUT", "COMPLETED"),
        ("POST", None),
    ]
    sent = Message.objects.filter(stream__key=session_push.stream_key(session))
    assert set(sent.values_list("state", flat=True)) == {Message.State.DELIVERED}
    session.refresh_from_db()
    assert session.is_test and cdr.is_test and cdr.state == Cdr.State.QUEUED
    assert session.status == "COMPLETED" and session.tariff is None

    ours = (session.operator.country_code, session.operator.party_id)
    hub_session = hub_simulator.session(*ours, session.ocpi_id)
    hub_cdr = hub_simulator.cdr(*ours, session.ocpi_id)
    PydanticSession(**hub_session)
    PydanticCdr(**hub_cdr)
    assert check_session(_exact(hub_session)) == []
    assert check_cdr(_exact(hub_cdr)) == []
    # What the driver's eMSP would bill: nothing, and it says why.
    zero = {"excl_vat": Decimal(0), "incl_vat": Decimal(0)}
    assert {name: _exact(hub_cdr)[name] for name in COSTS if name in hub_cdr} == {
        "total_cost": zero
    }
    assert _exact(hub_session)["total_cost"] == zero
    assert hub_cdr["tariffs"] == [] and hub_cdr["remark"] == TEST_REMARK
    assert cdr.total_cost_excl_vat == 0
    # Energy and times are the charge's own; the token and reference the hub's.
    assert hub_cdr["start_date_time"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _exact(hub_cdr)["total_energy"] == Decimal("0.183")  # 60 s at 11 kW
    assert hub_cdr["cdr_token"] == {k: HUB_TOKEN[k] for k in hub_cdr["cdr_token"]}
    assert hub_cdr["auth_method"] == "AUTH_REQUEST"
    assert hub_cdr["authorization_reference"] == authorization.authorization_reference


def test_without_a_hub_token_the_test_charge_uses_our_own_party_back_to_back(
    patch_hub, hub_simulator, charger
):
    evse, _ = charger

    # As the self-test calls them: one right after the other, no times given.
    session = begin_test_charge(evse=evse)
    session = update_test_charge(session)
    cdr = finish_test_charge(session)
    _deliver(session)

    methods = [m for m, _ in _hub_exchanges(hub_simulator)]
    assert methods == ["PUT", "PATCH", "PUT", "POST"]
    assert cdr.state == Cdr.State.QUEUED, cdr.held_reason
    token = cdr.data["cdr_token"]
    operator = evse.location.operator
    assert (token["country_code"], token["party_id"], token["type"]) == (
        operator.country_code,
        operator.party_id,
        "OTHER",
    )
    assert cdr.data["auth_method"] == "WHITELIST"
    assert "authorization_reference" not in cdr.data
    hub_cdr = hub_simulator.cdr(operator.country_code, operator.party_id, session.ocpi_id)
    PydanticCdr(**hub_cdr)
    assert check_cdr(_exact(hub_cdr)) == []
    # Each step at least a second after the one before: three distinct samples.
    assert cdr.start_date_time < cdr.end_date_time
    assert _exact(hub_cdr)["total_energy"] > 0


@pytest.mark.parametrize("problem", ["refused", "given at another EVSE"])
def test_a_refused_or_misplaced_authorization_starts_nothing(put_hub, charger, problem):
    evse, _ = charger
    authorization = AuthorizationFactory(
        evse=evse if problem == "refused" else AuthorizationFactory().evse,
        accepted=problem != "refused",
        reason="BLOCKED" if problem == "refused" else "ALLOWED",
        token={k: HUB_TOKEN[k] for k in ("country_code", "party_id", "uid", "type")},
    )
    before = Message.objects.count()

    with pytest.raises(ValidationError, match="refused" if problem == "refused" else "another"):
        begin_test_charge(evse=evse, authorization=authorization)

    assert not Session.objects.exists() and Message.objects.count() == before


def test_a_real_session_is_never_driven_as_a_test(put_hub, charger):
    evse, connector = charger
    real = session_services.start_session(
        evse=evse, connector=connector, started_at=timezone.now(), meter_start_wh=0,
        cdr_token=TOKEN, auth_method="AUTH_REQUEST",
    )  # fmt: skip
    before = Message.objects.count()

    with pytest.raises(ValidationError, match="not a self-test charge"):
        finish_test_charge(real)

    real.refresh_from_db()
    assert real.status == "ACTIVE" and not real.cdrs.exists()
    assert Message.objects.count() == before


def test_admin_marks_the_test_session_and_cdr_and_filters_them(put_hub, charger, client):
    evse, connector = charger
    user = UserFactory(username="ops")
    user.groups.add(ensure_staff_groups()["operations"])
    client.force_login(user)
    cdr = finish_test_charge(update_test_charge(begin_test_charge(evse=evse)))
    real = session_services.start_session(
        evse=evse, connector=connector, started_at=timezone.now(), meter_start_wh=0,
        cdr_token=TOKEN, auth_method="AUTH_REQUEST",
    )  # fmt: skip

    for model, test_pk, real_pk in (("session", cdr.session_id, real.pk), ("cdr", cdr.pk, None)):
        page = client.get(reverse(f"admin:charging_{model}_change", args=[test_pk]))
        assert page.status_code == 200
        assert ">TEST</strong> OCPI self-test charge" in page.content.decode()
        listed = client.get(reverse(f"admin:charging_{model}_changelist") + "?is_test__exact=1")
        assert list(listed.context["cl"].result_list.values_list("pk", flat=True)) == [test_pk]
        assert ">TEST</strong>" in listed.content.decode()
        if real_pk:
            page = client.get(reverse(f"admin:charging_{model}_change", args=[real_pk]))
            assert "OCPI self-test charge" not in page.content.decode()
