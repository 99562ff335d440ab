"""Inbound OCPI API: auth, envelope, routing headers and the locations sender, full stack."""

import pytest
from django.test import Client
from py_ocpi.core.schemas import OCPIResponse
from py_ocpi.modules.locations.v_2_2_1.schemas import Location as PydanticLocation

from locations.services import refresh_publishability
from roaming.models import MessageLog
from roaming.ocpi_time import parse_datetime
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    OperatorFactory,
    PlatformFactory,
)
from tests.ocpi_api import TOKEN, ocpi_headers

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():
    return PlatformFactory(connected=True)


@pytest.fixture
def operator():
    return OperatorFactory(country_code="FR", party_id="CPO")


headers = ocpi_headers


def make_locations(operator, count):
    locations = []
    for _ in range(count):
        location = LocationFactory(operator=operator)
        ConnectorFactory(evse=EVSEFactory(location=location))
        refresh_publishability(location)
        locations.append(location)
    return locations


def test_full_pull_follows_link_without_gaps_or_duplicates(platform, operator):
    make_locations(operator, 25)
    make_locations(OperatorFactory(country_code="FR", party_id="OTH"), 3)
    client, url, seen = Client(), "/ocpi/2.2.1/locations?limit=10", []
    while url:
        response = client.get(url, **headers())
        body = response.json()
        assert response.status_code == 200 and body["status_code"] == 1000
        assert response["X-Total-Count"] == "25"
        seen += [loc["id"] for loc in body["data"]]
        link = response.get("Link")
        url = link.split(">")[0].lstrip("<").replace("http://testserver", "") if link else None
    assert len(seen) == 25 == len(set(seen))


def test_missing_token_is_401_in_envelope_and_logged(platform, operator):
    response = Client().get("/ocpi/2.2.1/locations", **headers(HTTP_AUTHORIZATION=None))
    assert response.status_code == 401
    assert response.json()["status_code"] == 2000
    assert response["X-Request-ID"]
    log = MessageLog.objects.get()
    assert log.http_status == 401 and "Authorization" not in str(
        log.request_headers.get("Authorization", "")
    )


def test_unencoded_token_is_accepted(platform, operator):
    response = Client().get("/ocpi/2.2.1/locations", **headers(HTTP_AUTHORIZATION=f"Token {TOKEN}"))
    assert response.status_code == 200


def test_wrong_routing_headers_are_refused(platform, operator):
    response = Client().get("/ocpi/2.2.1/locations", **headers(HTTP_OCPI_FROM_PARTY_ID="XXX"))
    assert response.json()["status_code"] == 2001


def test_unknown_location_is_404_2003(platform, operator):
    response = Client().get("/ocpi/2.2.1/locations/NOPE", **headers())
    assert response.status_code == 404 and response.json()["status_code"] == 2003


def test_single_location_evse_connector(platform, operator):
    location = make_locations(operator, 1)[0]
    evse = location.evses.get()
    connector = evse.connectors.get()
    client = Client()
    base = f"/ocpi/2.2.1/locations/{location.ocpi_id}"
    assert client.get(base, **headers()).json()["data"]["id"] == location.ocpi_id
    assert client.get(f"{base}/{evse.uid}", **headers()).json()["data"]["uid"] == evse.uid
    data = client.get(f"{base}/{evse.uid}/{connector.ocpi_id}", **headers()).json()["data"]
    assert data["id"] == connector.ocpi_id


def test_registration_token_only_reaches_versions(platform, operator):
    platform.incoming_token_is_registration = True
    platform.save()
    client = Client()
    assert client.get("/ocpi/versions", **headers()).status_code == 200
    assert client.get("/ocpi/2.2.1/locations", **headers()).status_code == 401


def test_version_details_list_locations(platform):
    body = Client().get("/ocpi/2.2.1", **headers()).json()
    assert {
        "identifier": "locations",
        "role": "SENDER",
        "url": "http://testserver/ocpi/2.2.1/locations",
    } in body["data"]["endpoints"]


def _pull(url: str, client: Client) -> tuple[list[dict], list]:
    """Follow Link headers from `url`; returns every object and each page's size."""
    objects, sizes = [], []
    while url:
        response = client.get(url, **headers())
        body = response.json()
        assert response.status_code == 200 and body["status_code"] == 1000
        OCPIResponse(**body)
        for obj in body["data"]:
            PydanticLocation(**obj)
        objects += body["data"]
        sizes.append((len(body["data"]), response["X-Total-Count"], response["X-Limit"]))
        link = response.get("Link")
        assert link is None or link.endswith('>; rel="next"')
        url = link[1 : link.index(">")].replace("http://testserver", "") if link else None
    return objects, sizes


@pytest.mark.parametrize("limit, pages", [(10, 25), (None, 3)])
def test_full_pull_of_250_locations_page_by_page(platform, operator, limit, pages):
    expected = {location.ocpi_id for location in make_locations(operator, 250)}
    url = "/ocpi/2.2.1/locations" + (f"?limit={limit}" if limit else "")
    objects, sizes = _pull(url, Client())
    ids = [obj["id"] for obj in objects]
    assert len(ids) == 250 and set(ids) == expected
    assert len(sizes) == pages
    assert all(total == "250" and maximum == "100" for _, total, maximum in sizes)


def test_limit_above_server_maximum_is_capped(platform, operator, settings):
    settings.OCPI_MAX_PAGE_SIZE = {"locations": 4}
    make_locations(operator, 5)
    response = Client().get("/ocpi/2.2.1/locations?limit=50", **headers())
    assert len(response.json()["data"]) == 4 and response["X-Limit"] == "4"
    assert "offset=4" in response["Link"] and response["Link"].startswith(
        "<http://testserver/ocpi/"
    )


def test_date_from_inclusive_and_date_to_exclusive(platform, operator):
    locations = make_locations(operator, 3)
    stamps = ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]
    for location, stamp in zip(locations, stamps, strict=True):
        location.last_updated = parse_datetime(stamp)
        location.save(touch=False)
    url = "/ocpi/2.2.1/locations?date_from=2026-01-02T00:00:00Z&date_to=2026-01-03T00:00:00Z"
    response = Client().get(url, **headers())
    assert [obj["id"] for obj in response.json()["data"]] == [locations[1].ocpi_id]
    assert response["X-Total-Count"] == "1" and "Link" not in response


def test_unpublished_locations_are_not_served(platform, operator):
    hidden = make_locations(operator, 1)[0]
    hidden.publish = False
    hidden.save()
    response = Client().get(f"/ocpi/2.2.1/locations/{hidden.ocpi_id}", **headers())
    assert response.status_code == 404
