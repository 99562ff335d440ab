"""Shared fixtures. Tests run on PostgreSQL and Redis over real connections."""

import pytest


@pytest.fixture(autouse=True)
def _ocpi_base_url(settings):
    settings.OCPI_BASE_URL = "http://testserver/ocpi"
