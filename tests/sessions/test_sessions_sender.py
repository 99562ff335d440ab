"""GET /2.2.1/sessions and /2.2.1/cdrs (mod_sessions, mod_cdrs Sender interfaces; Gireve
"Pull Sessions" / "Pull CDRs"): paginated like locations, every object checked against
py_ocpi, our own schema (test_sessions_sender_schema) and the spec examples' shape."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr as PydanticCdr
from py_ocpi.modules.sessions.v_2_2_1.schemas import Session as PydanticSession

from roaming.ocpi_json import dumps, loads
from roaming.simulator.hub import HUB_ROLE
from sessions import cdr_services
from sessions import session_services as services
from sessions.charging_periods import Sample
from sessions.models import Cdr, Session
from tests.factories import ConnectorFactory, EVSEFactory, PlatformFactory, UserFactory
from tests.ocpi_api import crawl, ocpi_headers

from .conftest import TOKEN, utc
from .test_sessions_sender_schema import check_cdr, check_session, dumps_for_pydantic

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).parent.parent / "data" / "ocpi_examples"
T0 = utc(2026, 3, 2, 8)
NL_TOKEN = {**TOKEN, "country_code": "NL", "party_id": "EMP", "contract_id": "NL-EMP-C1"}


@pytest.fixture
def operator(charger):
    """The charger's operator is FR*CPO, the OCPI-to party of tests.ocpi_api.ocpi_headers."""
    operator = charger[0].location.operator
    operator.country_code, operator.party_id = "FR", "CPO"
    operator.save()
    return operator


def _get(url: str, **extra):
    response = Client().get(url, **ocpi_headers(**extra))
    assert response.status_code == 200
    return response, loads(response.content)


def _start(evse, connector, n: int, token=TOKEN) -> Session:
    at = T0 + dt.timedelta(minutes=n)
    return services.start_session(
        evse=evse,
        connector=connector,
        started_at=at,
        meter_start_wh=1000 * n,
        cdr_token=token,
        auth_method="AUTH_REQUEST",
        authorization_reference=f"REF-{n}",
        meter_id="METER-1",
        now=at,
    )


def _charge(evse, connector, n: int, token=TOKEN) -> Session:
    session = _start(evse, connector, n, token)
    middle = session.start_date_time + dt.timedelta(minutes=20)
    session = services.record_meter_values(
        session=session,
        samples=[Sample(middle, session.meter_start_wh + 2400, power_w=Decimal(7200))],
        now=middle,
    )
    end = session.start_date_time + dt.timedelta(minutes=40)
    return services.stop_transaction(
        session=session, stopped_at=end, meter_stop_wh=session.meter_start_wh + 4800, now=end
    )


def _valid_session(obj: dict) -> None:
    assert check_session(obj) == [], obj
    PydanticSession.parse_raw(dumps_for_pydantic(obj))


def _valid_cdr(obj: dict) -> None:
    assert check_cdr(obj) == [], obj
    PydanticCdr.parse_raw(dumps_for_pydantic(obj))


def _same_shape_as_spec(obj: dict, name: str) -> None:
    spec = json.loads((EXAMPLES / name).read_text())
    assert set(spec) - {"total_time_cost"} <= set(obj), set(spec) - set(obj)
    for key in set(spec) & set(obj) - {"charging_periods", "tariffs", "total_cost"}:
        numbers = {Decimal, float, int}
        assert type(obj[key]) is type(spec[key]) or {type(obj[key]), type(spec[key])} <= numbers


def test_sessions_pull_without_date_from_is_a_2001_naming_it(charger, operator):
    PlatformFactory(connected=True)
    _start(*charger, 1)
    for url in ("/ocpi/2.2.1/sessions", "/ocpi/2.2.1/sessions?date_from=&limit=5"):
        _, body = _get(url)
        assert body["status_code"] == 2001 and "date_from is required" in body["status_message"]
        assert "data" not in body or body["data"] in (None, [])
    _, body = _get("/ocpi/2.2.1/sessions?date_from=yesterday")
    assert body["status_code"] == 2001 and "date_from" in body["status_message"]


def test_a_crawl_of_sessions_while_they_change_returns_each_exactly_once(charger, operator):
    """Issue 9.1 for sessions: ordered by creation, so a session updated (its last_updated
    moving) between two pages keeps its place; every one is a valid OCPI Session."""
    PlatformFactory(connected=True)
    sessions = [_start(*charger, n) for n in range(9)]
    sessions.append(_charge(*charger, 30))  # a COMPLETED one, with periods and costs
    other = EVSEFactory(tariff_ids=["DAYNIGHT"])
    _start(other, ConnectorFactory(evse=other), 50)  # another operator of ours: not listed

    def meter_value_on_the_first(page):
        if page == 1:
            at = T0 + dt.timedelta(minutes=5)
            services.record_meter_values(session=sessions[0], samples=[Sample(at, 900)], now=at)

    url = "/ocpi/2.2.1/sessions?date_from=2026-01-01T00:00:00Z&limit=3"
    first, _ = _get(url)
    assert first["X-Total-Count"] == "10" and first["X-Limit"] == "50"
    assert "offset=3" in first["Link"] and 'rel="next"' in first["Link"]
    objects = crawl(Client(), url, between_pages=meter_value_on_the_first)

    assert [o["id"] for o in objects] == [s.ocpi_id for s in sessions]
    for obj in objects:
        _valid_session(loads(json.dumps(obj)))
    completed = objects[-1]
    assert completed["status"] == "COMPLETED" and completed["charging_periods"]
    _same_shape_as_spec(completed, "session_example_2_short_finished.json")
    _same_shape_as_spec(objects[1], "session_example_1_simple_start.json")
    # The list serves what the hub was pushed: the last PUT of each session.
    _, body = _get(url.replace("limit=3", "limit=50"))
    assert body["data"][-1] == loads(json.dumps(completed))


def test_sessions_date_from_is_inclusive_and_date_to_exclusive_on_last_updated(charger, operator):
    PlatformFactory(connected=True)
    early, late = _start(*charger, 0), _start(*charger, 10)  # last_updated 08:00 and 08:10
    exact = "/ocpi/2.2.1/sessions?date_from=2026-03-02T08:10:00Z"
    _, body = _get(exact)
    assert [s["id"] for s in body["data"]] == [late.ocpi_id]
    window = "/ocpi/2.2.1/sessions?date_from=2026-03-02T08:00:00Z&date_to=2026-03-02T08:10:00Z"
    response, body = _get(window)
    assert [s["id"] for s in body["data"]] == [early.ocpi_id]
    assert response["X-Total-Count"] == "1"


def test_cdrs_pull_pages_by_20_with_credits_and_without_held_cdrs(charger, operator):
    """Gireve pages by 20 (§2.1.9) and tests pulls with 21+ CDRs; credit CDRs are CDRs too."""
    PlatformFactory(connected=True)
    sessions = [_charge(*charger, 60 * n) for n in range(22)]
    original = Cdr.objects.get(session=sessions[0])
    correction = cdr_services.credit_cdr(
        cdr=original, reason="meter fault", user=UserFactory(), rebill=True
    )
    held = _start(*charger, 60 * 30)
    tariff = held.tariff
    tariff["elements"][2]["price_components"][1]["price"] = Decimal("-0.30")  # engine refuses
    Session.objects.filter(pk=held.pk).update(tariff=tariff)
    held = services.stop_transaction(
        session=held, stopped_at=held.start_date_time + dt.timedelta(minutes=9), meter_stop_wh=1
    )
    assert Cdr.objects.get(session=held).state == Cdr.State.HELD

    first, body = _get("/ocpi/2.2.1/cdrs")
    assert first["X-Total-Count"] == "24" and first["X-Limit"] == "20"
    assert len(body["data"]) == 20 and "offset=20" in first["Link"]
    objects = [loads(json.dumps(o)) for o in crawl(Client(), "/ocpi/2.2.1/cdrs?limit=100")]

    ids = [s.ocpi_id for s in sessions] + [correction.credit.ocpi_id, correction.rebill.ocpi_id]
    assert [o["id"] for o in objects] == ids
    for obj in objects:
        _valid_cdr(obj)
    assert objects[0] == loads(dumps(original.data))  # exactly as POSTed
    credit = objects[-2]
    assert credit["credit"] is True and credit["credit_reference_id"] == original.ocpi_id
    assert credit["total_cost"]["excl_vat"] == -original.data["total_cost"]["excl_vat"] < 0
    _same_shape_as_spec(objects[1], "cdr_example.json")


def test_cdrs_filter_on_their_own_last_updated(charger, operator):
    PlatformFactory(connected=True)
    first, second = _charge(*charger, 0), _charge(*charger, 120)  # CDRs at 08:40 and 10:40
    response, body = _get("/ocpi/2.2.1/cdrs?date_from=2026-03-02T10:40:00Z")
    assert [c["id"] for c in body["data"]] == [second.ocpi_id]
    _, body = _get("/ocpi/2.2.1/cdrs?date_to=2026-03-02T10:40:00Z")
    assert [c["id"] for c in body["data"]] == [first.ocpi_id]
    assert body["data"][0]["last_updated"] == "2026-03-02T08:40:00Z"


def test_an_emsp_pulls_only_its_own_tokens_sessions_and_cdrs_the_hub_pulls_all(charger, operator):
    PlatformFactory(connected=True, roles=[HUB_ROLE])  # IOP: speaks for every party behind it
    ours, theirs = _charge(*charger, 0, TOKEN), _charge(*charger, 60, NL_TOKEN)
    sessions = "/ocpi/2.2.1/sessions?date_from=2026-01-01T00:00:00Z"
    hub = {"HTTP_OCPI_FROM_COUNTRY_CODE": "FR", "HTTP_OCPI_FROM_PARTY_ID": "107"}
    nl = {"HTTP_OCPI_FROM_COUNTRY_CODE": "NL", "HTTP_OCPI_FROM_PARTY_ID": "emp"}
    for url in (sessions, "/ocpi/2.2.1/cdrs"):
        _, as_hub = _get(url, **hub)
        _, as_tnm = _get(url)  # OCPI-from DE*TNM, an eMSP behind the hub
        _, as_nl = _get(url, **nl)
        assert [o["id"] for o in as_hub["data"]] == [ours.ocpi_id, theirs.ocpi_id]
        assert [o["id"] for o in as_tnm["data"]] == [ours.ocpi_id]
        assert [o["id"] for o in as_nl["data"]] == [theirs.ocpi_id]
