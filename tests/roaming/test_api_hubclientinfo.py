"""HubClientInfo receiver (OCPI 2.2.1 mod_hub_client_info)."""

import json

import pytest
from django.test import Client
from py_ocpi.modules.hubclientinfo.v_2_2_1.schemas import ClientInfo

from locations.models import Operator
from roaming.models import HubClientInfo
from tests.ocpi_api import make_platform, ocpi_headers

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
    return make_platform()


def put(body, url=URL):
    return Client().put(url, json.dumps(body), content_type="application/json", **ocpi_headers())


def test_put_then_get_returns_the_client_info():
    assert put(INFO).json()["status_code"] == 1000
    assert put(INFO | {"status": "CONNECTED"}).json()["status_code"] == 1000
    data = Client().get(URL, **ocpi_headers()).json()["data"]
    assert data == INFO | {"status": "CONNECTED"}
    ClientInfo(**data)
    assert HubClientInfo.objects.count() == 1


def test_invalid_client_info_is_2001_and_not_stored():
    response = put(INFO | {"status": "HAPPY", "last_updated": "yesterday"})
    assert response.status_code == 400 and response.json()["status_code"] == 2001
    assert "status" in response.json()["status_message"]
    assert "last_updated" in response.json()["status_message"]
    assert put(INFO, url="/ocpi/2.2.1/hubclientinfo/NL/XXX").json()["status_code"] == 2001
    assert not HubClientInfo.objects.exists()


def test_unknown_client_info_is_404():
    response = Client().get(URL, **ocpi_headers())
    assert response.status_code == 404 and response.json()["status_code"] == 2001
