"""Shared fixtures. Tests run on PostgreSQL and Redis over real connections."""

import pytest


@pytest.fixture(autouse=True)
def _ocpi_base_url(settings):
    settings.OCPI_BASE_URL = "http://testserver/ocpi"


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counters():
    """OCPI rate-limit counters live in the cache: start each test with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def hub_simulator():
    """Gireve's IOP played by a real HTTP server on loopback."""
    from roaming.hub_simulator import HubSimulator

    hub = HubSimulator().start()
    yield hub
    hub.stop()


@pytest.fixture
def connected_hub(db, hub_simulator):
    """A CONNECTED platform whose endpoints are the simulator's, tokens agreed both ways.

    Set up directly (registration itself is tested in tests/roaming/test_registration*.py).
    Timeouts are short (1 s) so "slow" faults stay quick.
    """
    from roaming.models import Platform, PlatformEndpoint

    platform = Platform(
        name="IOP simulator",
        status=Platform.Status.CONNECTED,
        versions_url=hub_simulator.versions_url,
        version="2.2.1",
        outgoing_token=hub_simulator.token,
        hub_country_code="FR",
        hub_party_id="107",
        connect_timeout=1.0,
        read_timeout=1.0,
    )
    platform.set_incoming_token("our-token-c-for-the-hub", registration=False)
    platform.save()
    hub_simulator.client_token = "our-token-c-for-the-hub"  # hub_simulator.call(...) reaches us
    for endpoint in hub_simulator.endpoints():
        PlatformEndpoint.objects.create(platform=platform, **endpoint)
    return platform
