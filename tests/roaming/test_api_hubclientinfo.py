"""HubClientInfo receiver (OCPI 2.2.1 mod_hub_client_info). Bad requests: test_bad_requests.py."""

import base64
import json

import pytest
from django.test import Client
from py_ocpi.modules.hubclientinfo.v_2_2_1.schemas import ClientInfo

from roaming.models import HubClientInfo, Operator
from tests.factories import PlatformFactory
from tests.ocpi_api import TOKEN, ocpi_headers

pytestmark = pytest.mark.django_db
URL = "/ocpi/2.2.1/hubclientinfo/NL/ALL"
INFO = {
    "party_id": "ALL",
    "country_code": "NL",
    "role": "EMSP",
    "status": "PLANNED",
    "last_updated": "2019-06-19T02:11:11Z",
}


@pytest.fixture(autouse=True)
def connection():
    Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")
    return PlatformFactory(connected=True)


def put(body, url=URL, **headers):
    return Client().put(url, json.dumps(body), content_type="application/json", **headers)


def test_put_creates_then_replaces_and_get_returns_the_client_info():
    created = put(INFO, **ocpi_headers())
    replaced = put(INFO | {"status": "CONNECTED"}, **ocpi_headers())

    # status_codes: 201 when newly created, 200 when an existing object was updated.
    assert [(r.status_code, r.json()["status_code"]) for r in (created, replaced)] == [
        (201, 1000),
        (200, 1000),
    ]
    data = Client().get(URL, **ocpi_headers()).json()["data"]
    assert data == INFO | {"status": "CONNECTED"}
    ClientInfo(**data)
    assert HubClientInfo.objects.count() == 1


def test_hub_client_info_needs_no_routing_headers():
    """transport_and_format §Message Routing: hub client info is a configuration module,
    routing headers "SHALL NOT be used" with it: a hub sends none."""
    auth = {"HTTP_AUTHORIZATION": f"Token {base64.b64encode(TOKEN.encode()).decode()}"}

    response = put(INFO, **auth)

    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    assert Client().get(URL, **auth).json()["data"]["status"] == "PLANNED"
