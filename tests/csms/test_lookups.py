"""The cached API key and OCPP mapping lookups follow every change at once (csms lookups)."""

import pytest

from sessions.csms import services
from sessions.csms.models import EvseMapping
from tests.factories import EvseMappingFactory

from .bridge import call, status_event

pytestmark = pytest.mark.django_db


def test_a_cached_key_stops_working_when_rotated_deactivated_or_deleted(csms, evse):
    old = csms.api_key
    assert call(csms, "evse-status", status_event(), key=old).status_code == 200  # cached
    new = services.rotate_key(csms=csms)
    assert call(csms, "evse-status", status_event(), key=old).status_code == 401
    assert call(csms, "evse-status", status_event(), key=new).status_code == 200  # cached
    csms.active = False
    services.save_csms(csms=csms)
    assert call(csms, "evse-status", status_event(), key=new).status_code == 401
    csms.active = True
    services.save_csms(csms=csms)
    assert call(csms, "evse-status", status_event(), key=new).status_code == 200
    csms.delete()
    assert call(csms, "evse-status", status_event(), key=new).status_code == 401


def test_a_cached_mapping_follows_the_mapping(csms, location):
    e1, e2 = location.evses.get(uid="E1"), location.evses.get(uid="E2")
    mapping = EvseMappingFactory(csms=csms, evse=e1, charge_point_id="CP-1", connector_id=1)
    ocpp = {"location_id": None, "evse_uid": None, "charge_point_id": "cp-1", "connector_id": 1}
    assert call(csms, "evse-status", status_event(**ocpp)).json()["evse_uid"] == "E1"  # cached
    mapping.evse = e2
    mapping.save()
    assert call(csms, "evse-status", status_event(**ocpp)).json()["evse_uid"] == "E2"
    mapping.charge_point_id = "CP-2"
    mapping.save()
    assert call(csms, "evse-status", status_event(**ocpp)).status_code == 404
    EvseMapping.objects.get().delete()
    ocpp["charge_point_id"] = "CP-2"
    assert call(csms, "evse-status", status_event(**ocpp)).status_code == 404
