"""The write path: status changes, removal, connector changes keep OCPI timestamps right."""

import pytest
from django.core.exceptions import ValidationError

from locations import services
from locations.enums import Status
from locations.models import EVSE, Location
from tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db


def test_status_change_bumps_evse_and_location_last_updated():
    evse = ConnectorFactory().evse
    before = Location.objects.get(pk=evse.location_id).last_updated

    updated = services.set_evse_status(evse=evse, status=Status.CHARGING)

    assert updated.status == Status.CHARGING
    location = Location.objects.get(pk=evse.location_id)
    assert location.last_updated == updated.last_updated > before


def test_unchanged_status_writes_nothing():
    evse = ConnectorFactory().evse
    stored = EVSE.objects.get(pk=evse.pk).last_updated
    services.set_evse_status(evse=evse, status=evse.status)
    assert EVSE.objects.get(pk=evse.pk).last_updated == stored


def test_unknown_status_is_refused():
    evse = ConnectorFactory().evse
    with pytest.raises(ValidationError, match="not an OCPI EVSE status"):
        services.set_evse_status(evse=evse, status="ASLEEP")


def test_remove_evse_keeps_the_row_with_status_removed():
    evse = ConnectorFactory().evse
    services.remove_evse(evse=evse)
    assert EVSE.objects.get(pk=evse.pk).status == Status.REMOVED


def test_deleting_the_last_connector_holds_the_evse_back():
    """Not shared with a hub yet: allowed, and the EVSE is held back (issue 19.1)."""
    connector = ConnectorFactory()
    location = connector.evse.location
    services.refresh_publishability(location)
    assert location.gireve_missing == []

    services.delete_connector(connector=connector)

    location.refresh_from_db()
    assert location.gireve_missing == []
    assert [(e.pk, m) for e, m in location.held_back_evses()] == [
        (connector.evse.pk, ["at least one connector"])
    ]


def test_invalid_save_changes_nothing():
    connector = ConnectorFactory()
    location = connector.evse.location
    location.city = "x" * 46
    with pytest.raises(ValidationError):
        services.save_location(location=location)
    assert Location.objects.get(pk=location.pk).city != location.city
