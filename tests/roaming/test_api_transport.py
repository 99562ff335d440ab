"""Transport rules shared by every OCPI endpoint: auth, envelope, headers, limits, credentials."""

import json
import os
import subprocess
import sys

import pytest
from django.test import Client

from roaming.models import MessageLog, Operator, Platform
from tests.factories import PlatformFactory
from tests.ocpi_api import TOKEN, ocpi_headers

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
    PlatformFactory(connected=True)
    response = Client().get(
        LOCATIONS,
        **ocpi_headers(token="wrong", HTTP_X_REQUEST_ID="req-1", HTTP_X_CORRELATION_ID="cor-1"),
    )
    assert_envelope(response, 401, 2000)
    assert response["X-Request-ID"] == "req-1" and response["X-Correlation-ID"] == "cor-1"
    assert response["OCPI-to-country-code"] == "DE" and response["OCPI-from-party-id"] == "cpo"


@pytest.mark.parametrize("status", [Platform.Status.SUSPENDED, Platform.Status.UNREGISTERED])
def test_suspended_or_unregistered_platform_is_refused(status):
    PlatformFactory(connected=True, status=status)
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers()), 401, 2000)


def test_ip_allowlist_is_enforced_when_set():
    platform = PlatformFactory(connected=True, ip_allowlist=["10.0.0.0/8"])
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers()), 403, 2000)
    platform.ip_allowlist = ["10.0.0.0/8", "127.0.0.1"]
    platform.save()
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers()), 200, 1000)


def test_allowlist_behind_a_proxy_checks_the_address_the_proxy_saw(settings):
    settings.OCPI_TRUSTED_PROXIES = 1
    PlatformFactory(connected=True, ip_allowlist=["192.0.2.10"])
    # The caller wrote the left entry itself; our proxy appended what it saw.
    spoofed = {"HTTP_X_FORWARDED_FOR": "192.0.2.10, 203.0.113.7", **ocpi_headers()}
    assert_envelope(Client().get(LOCATIONS, **spoofed), 403, 2000)
    seen = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 192.0.2.10", **ocpi_headers()}
    assert_envelope(Client().get(LOCATIONS, **seen), 200, 1000)
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers()), 403, 2000)  # no header


def test_oversized_body_is_413_and_changes_nothing(settings):
    settings.OCPI_MAX_BODY_BYTES = 100
    PlatformFactory(connected=True)
    body = json.dumps({"padding": "x" * 200})
    response = Client().put(
        "/ocpi/2.2.1/hubclientinfo/NL/ALL", body, content_type="application/json", **ocpi_headers()
    )
    assert_envelope(response, 413, 2000)
    assert MessageLog.objects.get().request_body == ""


def test_body_beyond_djangos_own_upload_limit_is_413_not_500(settings):
    settings.OCPI_MAX_BODY_BYTES = 10 * 1024 * 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    PlatformFactory(connected=True)
    body = json.dumps({"padding": "x" * 2000})
    response = Client().put(
        "/ocpi/2.2.1/hubclientinfo/NL/ALL", body, content_type="application/json", **ocpi_headers()
    )
    assert_envelope(response, 413, 2000)


def test_allowlist_refuses_a_caller_without_an_ip_address():
    PlatformFactory(connected=True, ip_allowlist=["127.0.0.1"])
    assert_envelope(Client(REMOTE_ADDR="").get(LOCATIONS, **ocpi_headers()), 403, 2000)


def test_rate_limit_per_token_is_429(settings):
    settings.OCPI_RATE_LIMIT = 3
    settings.OCPI_RATE_WINDOW_SECONDS = 3600
    PlatformFactory(connected=True, token="rate-limited-token")
    client = Client()
    statuses = [
        client.get(LOCATIONS, **ocpi_headers(token="rate-limited-token")).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_rate_limit_is_shared_with_other_processes_through_redis(settings):
    """Every web process counts in the same Redis cache (CACHE_URL), not in its own memory:
    another Django process spends the token's allowance, this one refuses the next request."""
    settings.OCPI_RATE_LIMIT = 3
    settings.OCPI_RATE_WINDOW_SECONDS = 10**9  # one window for the whole test
    PlatformFactory(connected=True, token="shared-token")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    spend = (
        "import django; django.setup()\n"
        "from roaming.api.base import check_rate\n"
        "for _ in range(3): check_rate('shared-token')\n"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
        "OCPI_RATE_LIMIT": "3",
        "OCPI_RATE_WINDOW_SECONDS": str(10**9),
    }
    subprocess.run([sys.executable, "-c", spend], env=env, check=True, timeout=60)

    response = Client().get(LOCATIONS, **ocpi_headers(token="shared-token"))

    assert_envelope(response, 429, 2000)


def test_rate_limit_does_not_take_the_api_down_when_the_cache_is(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    PlatformFactory(connected=True)
    assert_envelope(Client().get(LOCATIONS, **ocpi_headers()), 200, 1000)


def test_an_exchange_with_a_nul_in_a_header_is_answered_and_logged():
    PlatformFactory(connected=True)
    response = Client().get(LOCATIONS, **ocpi_headers(HTTP_X_CORRELATION_ID="cor\x00-1"))
    assert_envelope(response, 200, 1000)
    assert MessageLog.objects.get().correlation_id == "cor\ufffd-1"


def test_urls_with_a_trailing_slash_reach_the_same_endpoint():
    """The spec's examples write `.../cdrs/?offset=150&limit=50`: a hub may too."""
    PlatformFactory(connected=True)
    assert_envelope(Client().get(f"{LOCATIONS}/?limit=5", **ocpi_headers()), 200, 1000)
    body = {"party_id": "ALL", "country_code": "NL", "role": "EMSP", "status": "PLANNED"}
    response = Client().put(
        "/ocpi/2.2.1/hubclientinfo/NL/ALL/",
        json.dumps(body | {"last_updated": "2026-01-01T12:00:00Z"}),
        content_type="application/json",
        **ocpi_headers(),
    )
    assert_envelope(response, 201, 1000)


def test_message_log_hides_the_token():
    PlatformFactory(connected=True)
    Client().get(LOCATIONS, **ocpi_headers(HTTP_X_REQUEST_ID="req-9"))
    log = MessageLog.objects.get()
    assert log.request_id == "req-9" and log.http_status == 200 and log.ocpi_status == 1000
    assert log.party == "DE*TNM" and log.platform is not None
    assert TOKEN not in json.dumps(log.request_headers)
    assert log.request_headers["Authorization"] == "<hidden>"


def test_versions_answer_with_token_a():
    PlatformFactory(token_a=True, token=TOKEN)
    body = assert_envelope(Client().get("/ocpi/versions", **ocpi_headers()), 200, 1000)
    assert body["data"] == [{"version": "2.2.1", "url": "http://testserver/ocpi/2.2.1"}]


@pytest.mark.parametrize("method", ["get", "post", "put"])
def test_unknown_ocpi_url_is_an_envelope_404_even_with_debug_on(client, settings, method):
    settings.DEBUG = True  # Django would answer its HTML technical 404 page
    response = getattr(client, method)("/ocpi/2.2.1/nowhere", HTTP_X_REQUEST_ID="r-1")
    assert response.status_code == 404
    assert response.json()["status_code"] == 2000
    assert response["X-Request-ID"] == "r-1"
