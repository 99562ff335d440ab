"""Shared fixtures. Tests run on PostgreSQL and Redis over real connections."""

from urllib.parse import urlsplit

import pytest


@pytest.fixture(autouse=True)
def _ocpi_base_url(settings):
    settings.OCPI_BASE_URL = "http://testserver/ocpi"


def _redis_db(url: str) -> tuple:
    parts = urlsplit(url)
    return (parts.hostname, parts.port or 6379, (parts.path.strip("/") or "0"))


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counters(settings):
    """OCPI rate-limit counters live in the cache: start each test with none.

    Clearing a Redis cache flushes its whole DB: never the Celery broker's.
    """
    from django.core.cache import cache

    location = str(settings.CACHES["default"].get("LOCATION", ""))
    broker = str(settings.CELERY_BROKER_URL)
    if location.startswith("redis") and _redis_db(location) == _redis_db(broker):
        pytest.exit("CACHE_URL and CELERY_BROKER_URL name the same Redis DB", returncode=2)
    cache.clear()


@pytest.fixture
def hub_simulator():
    """Gireve's IOP played by a real HTTP server on loopback."""
    from roaming.simulator import HubSimulator

    hub = HubSimulator().start()
    yield hub
    hub.stop()


@pytest.fixture
def connected_hub(db, hub_simulator):
    """A CONNECTED platform whose endpoints are the simulator's, tokens agreed both ways."""
    from tests.factories import PlatformFactory

    return PlatformFactory(name="IOP simulator", hub=hub_simulator)
