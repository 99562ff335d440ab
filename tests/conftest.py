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
