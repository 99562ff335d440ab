import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from locations.enums import Status
from locations.models import EVSE, Location
from locations.selectors import roaming_locations
from roaming.groups import ensure_staff_groups
from roaming.models import Operator
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_has_one_unpublishable_location(capsys):
    call_command("demo_data")
    first = {loc.ocpi_id: loc.last_updated for loc in Location.objects.all()}
    EVSE.objects.filter(uid="PAR-SG-1").update(status=Status.CHARGING)

    call_command("demo_data")

    assert {loc.ocpi_id: loc.last_updated for loc in Location.objects.all()} == first
    assert EVSE.objects.get(uid="PAR-SG-1").status == Status.CHARGING  # live data kept
    assert sorted(o.emi3_id for o in Operator.objects.all()) == ["FR*AB1", "FR*XY2"]
    assert {loc.ocpi_id for loc in Location.objects.exclude(gireve_missing=[])} == {
        "BDX-QUINCONCES"
    }
    incomplete = Location.objects.get(ocpi_id="BDX-QUINCONCES")
    assert incomplete.gireve_missing == ["owner.name"]
    assert [(str(e), m) for e, m in incomplete.held_back_evses()] == [
        ("FR*XY2*EBDXQC1", ["capabilities"])
    ]
    assert roaming_locations().count() == 4


def test_demo_dc_evse_has_ccs2_and_chademo_and_ac_is_22kw():
    call_command("demo_data")
    dc = EVSE.objects.get(uid="LYO-PD-3")
    assert [(c.standard, c.power_type) for c in dc.connectors.all()] == [
        ("IEC_62196_T2_COMBO", "DC"),
        ("CHADEMO", "DC"),
    ]
    assert dc.connectors.get(ocpi_id="1").max_electric_power == 150000
    ac = EVSE.objects.get(uid="LYO-PD-1").connectors.get()
    assert (ac.standard, ac.power_type, ac.max_voltage, ac.max_amperage) == (
        "IEC_62196_T2",
        "AC_3_PHASE",
        230,
        32,
    )


def _codenames(group: Group) -> set[str]:
    return set(group.permissions.values_list("codename", flat=True))


def test_ensure_admin_sets_up_staff_groups(capsys):
    Group.objects.all().delete()

    call_command("ensure_admin", "--password", "embedded-run-pass-1")

    operations = _codenames(Group.objects.get(name="operations"))
    finance = _codenames(Group.objects.get(name="finance"))
    assert {"change_location", "add_evse", "change_evse", "change_operator"} <= operations
    assert "delete_evse" not in operations
    assert "change_user" not in operations
    assert {"view_location", "view_evse", "view_operator", "view_connector"} <= finance
    # Finance only views, except its own finance action (a credit / re-bill of a CDR).
    assert {c for c in finance if not c.startswith("view_")} == {"credit_cdr"}
    assert "view_user" not in finance

    call_command("ensure_admin", "--password", "embedded-run-pass-1")  # re-runnable
    assert _codenames(Group.objects.get(name="operations")) == operations


def _staff_in(group_name: str, client):
    user = UserFactory()
    user.groups.add(ensure_staff_groups()[group_name])
    client.force_login(user)
    return client


def test_operations_staff_edit_locations_but_cannot_delete_them(client):
    location = LocationFactory()
    client = _staff_in("operations", client)
    change = client.get(reverse("admin:locations_location_change", args=[location.pk]))
    assert change.status_code == 200
    assert change.context["has_change_permission"]
    assert not change.context["has_delete_permission"]
    delete = client.get(reverse("admin:locations_location_delete", args=[location.pk]))
    assert delete.status_code == 403


def test_finance_staff_only_view(client):
    location = LocationFactory()
    client = _staff_in("finance", client)
    url = reverse("admin:locations_location_change", args=[location.pk])
    change = client.get(url)
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert client.post(url, {"name": "changed"}).status_code == 403
    assert client.get(reverse("admin:locations_location_add")).status_code == 403
