"""Transport rules shared by every OCPI endpoint: auth, envelope, headers, limits, credentials."""

import json

import pytest
from django.test import Client

from locations.models import Operator
from roaming.models import HubClientInfo, MessageLog, Platform
from tests.ocpi_api import TOKEN, make_platform, ocpi_headers

pytestmark = pytest.mark.django_db
LOCATIONS = "/ocpi/2.2.1/locations"


@pytest.fixture(autouse=True)
def operator():
    return Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")


def assert_envelope(response, http_status: int, ocpi_status: int) -> dict:
    body = response.json()
    assert response.status_code == http_status, body
    assert body["status_code"] == ocpi_status
    assert isinstance(body["status_message"], str) and body["timestamp"].endswith("Z")
    assert response["X-Request-ID"] and response["X-Correlation-ID"]
    return body


def test_request_and_correlation_ids_are_echoed_even_on_errors():
    make_platform()
    response = Client().get(
        LOCATIONS,
        **ocpi_headers(token="wrong", HTTP_X_REQUEST_ID="req-1", HTTP_X_CORRELATION_ID="cor-1"),
    )
    assert_envelope(response, 401, 2000)
    assert response["X-Request-ID"] == "req-1" and response["X-Correlation-ID"] == "cor-1"
    assert response["OCPI-to-country-code"] == "DE" and response["OCPI-from-party-id"] == "cpo"


def test_missing_routing_header_is_2001():
    make_platform()
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers(HTTP_OCPI_TO_PARTY_ID=None)), 400, 2001)


def test_routing_to_unknown_operator_is_2001():
    make_platform()
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers(HTTP_OCPI_TO_PARTY_ID="ZZZ")), 400, 2001)


@pytest.mark.parametrize("status", [Platform.Status.SUSPENDED, Platform.Status.UNREGISTERED])
def test_suspended_or_unregistered_platform_is_refused(status):
    make_platform(status=status)
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers()), 401, 2000)


def test_ip_allowlist_is_enforced_when_set():
    platform = make_platform(ip_allowlist=["10.0.0.0/8"])
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers()), 403, 2000)
    platform.ip_allowlist = ["10.0.0.0/8", "127.0.0.1"]
    platform.save()
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers()), 200, 1000)


def test_oversized_body_is_413_and_changes_nothing(settings):
    settings.OCPI_MAX_BODY_BYTES = 100
    make_platform()
    body = json.dumps({"padding": "x" * 200})
    response = Client().put(
        "/ocpi/2.2.1/hubclientinfo/NL/ALL", body, content_type="application/json", **ocpi_headers()
    )
    assert_envelope(response, 413, 2000)
    assert MessageLog.objects.get().request_body == ""


def test_rate_limit_per_token_is_429(settings):
    settings.OCPI_RATE_LIMIT = 3
    settings.OCPI_RATE_WINDOW_SECONDS = 3600
    make_platform(token="rate-limited-token")
    client = Client()
    statuses = [
        client.get(LOCATIONS, **ocpi_headers(token="rate-limited-token")).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_method_not_allowed_is_405_in_envelope():
    make_platform()
    assert_envelope(Client().delete(LOCATIONS, **ocpi_headers()), 405, 2000)


def test_unknown_ocpi_path_is_404_in_envelope():
    make_platform()
    assert_envelope(Client().get("/ocpi/2.2.1/nothing/here/at/all", **ocpi_headers()), 404, 2000)


def test_message_log_hides_the_token():
    make_platform()
    Client().get(LOCATIONS, **ocpi_headers(HTTP_X_REQUEST_ID="req-9"))
    log = MessageLog.objects.get()
    assert log.request_id == "req-9" and log.http_status == 200 and log.ocpi_status == 1000
    assert log.party == "DE*TNM" and log.platform is not None
    assert TOKEN not in json.dumps(log.request_headers)
    assert log.request_headers["Authorization"] == "<hidden>"


def test_versions_answer_with_token_a():
    make_platform(registration=True)
    body = assert_envelope(Client().get("/ocpi/versions", **ocpi_headers()), 200, 1000)
    assert body["data"] == [{"version": "2.2.1", "url": "http://testserver/ocpi/2.2.1"}]


def test_credentials_post_when_registered_is_405():
    make_platform()
    response = Client().post(
        "/ocpi/2.2.1/credentials", "{}", content_type="application/json", **ocpi_headers()
    )
    assert_envelope(response, 405, 2000)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_credentials_put_or_delete_before_registration_is_405(method):
    make_platform(registration=True)
    response = getattr(Client(), method)(
        "/ocpi/2.2.1/credentials", "{}", content_type="application/json", **ocpi_headers()
    )
    assert_envelope(response, 405, 2000)
    assert Platform.objects.get().incoming_token_is_registration is True


def test_invalid_credentials_body_is_2001_with_field_messages():
    make_platform(registration=True)
    response = Client().post(
        "/ocpi/2.2.1/credentials",
        json.dumps({"token": "", "url": "ftp://x", "roles": [{"role": "KING"}]}),
        content_type="application/json",
        **ocpi_headers(),
    )
    message = assert_envelope(response, 400, 2001)["status_message"]
    assert "token" in message and "url" in message and "roles[0].role" in message


def test_non_json_body_is_415_and_changes_nothing():
    make_platform()
    response = Client().put(
        "/ocpi/2.2.1/hubclientinfo/NL/ALL",
        "status=CONNECTED",
        content_type="text/plain",
        **ocpi_headers(),
    )
    assert_envelope(response, 415, 2000)
    assert not HubClientInfo.objects.exists()
