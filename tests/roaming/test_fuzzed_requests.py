"""Any JSON in any field of any body we receive, any text in any query parameter: an OCPI
answer, never a 500, nothing half-saved.

A valid body per write endpoint, one field replaced by an arbitrary JSON value (or the whole
body replaced): the answer is an envelope with a 1xxx, 2xxx or 3xxx status and, unless it is a
success, the database is as it was. Query parameters: a page or a 2001.
"""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roaming.models import Operator
from tests.factories import PlatformFactory, TokenFactory
from tests.ocpi_api import ocpi_headers

from .test_bad_requests import CLIENT_INFO, CREDENTIALS, TOKEN_A, TOKEN_BODY, snapshot

pytestmark = pytest.mark.django_db

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=80),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=8,
)

ENDPOINTS = {
    "token PUT": ("PUT", "/ocpi/2.2.1/tokens/DE/TNM/NEW01", TOKEN_BODY, None),
    "token PATCH": (
        "PATCH",
        "/ocpi/2.2.1/tokens/DE/TNM/KNOWN01",
        {"valid": False, "whitelist": "NEVER", "last_updated": "2026-01-01T12:00:00Z"},
        None,
    ),
    "client info PUT": ("PUT", "/ocpi/2.2.1/hubclientinfo/NL/ALL", CLIENT_INFO, None),
    # Their versions URL is a closed local port: a body that passes validation fails fast, 3001.
    "credentials POST": (
        "POST",
        "/ocpi/2.2.1/credentials",
        CREDENTIALS | {"url": "http://127.0.0.1:9/versions"},
        TOKEN_A,
    ),
    "command POST": (
        "POST",
        "/ocpi/2.2.1/commands/START_SESSION",
        {
            "response_url": "https://emsp.example.com/cb/1",
            "token": TOKEN_BODY,
            "location_id": "LOC1",
            "evse_uid": "E1",
        },
        None,
    ),
    "charging preferences PUT": (
        "PUT",
        "/ocpi/2.2.1/sessions/S1/charging_preferences",
        {"profile_type": "FAST", "departure_time": "2026-01-01T12:00:00Z", "energy_need": 20},
        None,
    ),
}


@pytest.fixture
def world():
    Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")
    platform = PlatformFactory(connected=True)
    PlatformFactory(name="Newcomer", token_a=True, token=TOKEN_A)
    TokenFactory(platform=platform, country_code="DE", party_id="TNM", uid="KNOWN01")


@st.composite
def mutated(draw, valid: dict):
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not even an object
    body = dict(valid)
    name = draw(st.sampled_from(sorted(body) + ["an_unknown_field"]))
    body[name] = draw(json_values)
    return body


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_any_json_in_any_field_gets_an_ocpi_answer_and_never_half_saves(world, endpoint):
    method, url, valid, token = endpoint

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=mutated(valid))
    def check(body):
        before = snapshot()
        headers = ocpi_headers(token=token) if token else ocpi_headers()
        response = Client().generic(
            method, url, data=json.dumps(body), content_type="application/json", **headers
        )
        answer = response.json()
        assert response.status_code != 500 and 1000 <= answer["status_code"] < 4000, answer
        if answer["status_code"] != 1000:
            assert snapshot() == before, answer

    check()


QUERIES = {
    "locations list": ("/ocpi/2.2.1/locations", ["offset", "limit", "date_from", "date_to"]),
    "token GET": ("/ocpi/2.2.1/tokens/DE/TNM/KNOWN01", ["type"]),
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_any_query_parameter_gets_an_ocpi_answer(world, query):
    path, names = query

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(params=st.dictionaries(st.sampled_from(names), st.text(max_size=40), min_size=1))
    def check(params):
        response = Client().get(path, params, **ocpi_headers())
        answer = response.json()
        assert response.status_code != 500 and answer["status_code"] in (1000, 2001), answer

    check()
