"""Operator, the tenant at the bottom: one lookup by eMI3 id, permissions under `roaming`."""

import pytest
from django.contrib.auth.models import Permission

from roaming.models import Operator
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("emi3_id", ["FR*AB1", "frab1", " fr*ab1 "])
def test_by_emi3_finds_the_operator_in_any_spelling(emi3_id):
    operator = OperatorFactory(country_code="FR", party_id="AB1")
    assert Operator.objects.by_emi3(emi3_id) == operator


@pytest.mark.parametrize("emi3_id", ["FR*AB", "FR*AB12", "DE*AB1", ""])
def test_by_emi3_refuses_other_ids(emi3_id):
    OperatorFactory(country_code="FR", party_id="AB1")
    with pytest.raises(Operator.DoesNotExist):
        Operator.objects.by_emi3(emi3_id)


def test_operator_permissions_moved_with_the_model():
    codenames = set(
        Permission.objects.filter(content_type__app_label="roaming").values_list(
            "codename", flat=True
        )
    )
    assert {"view_operator", "change_operator"} <= codenames
    assert not Permission.objects.filter(
        content_type__app_label="locations", codename__endswith="_operator"
    ).exists()
