import pytest

from locations.models import Location
from tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db


def test_connector_change_bumps_evse_and_location_last_updated():
    connector = ConnectorFactory()
    evse = connector.evse
    location = evse.location
    before = Location.objects.get(pk=location.pk).last_updated

    connector.max_amperage = 16
    connector.save()

    evse.refresh_from_db()
    location.refresh_from_db()
    assert evse.last_updated == connector.last_updated
    assert location.last_updated == connector.last_updated > before
