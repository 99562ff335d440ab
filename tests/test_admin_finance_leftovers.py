"""Finance sees no pointer to what it cannot use (issue 19, audit 2 B8/E5(6)): the tariff
page told finance to "use Change prices from a date", and audit-trail user links gave 403."""

import pytest
from django.urls import reverse
from django.utils import timezone

from roaming import audit
from roaming.groups import ensure_staff_groups
from tests.factories import TariffFactory, UserFactory


@pytest.fixture
def people(db):
    groups = ensure_staff_groups()
    users = {"root": UserFactory(username="root", is_superuser=True)}
    for name in ("operations", "finance"):
        users[name] = UserFactory(username=f"{name}-user")
        users[name].groups.add(groups[name])
    return users


@pytest.mark.parametrize(
    ("who", "hinted"), [("finance", False), ("operations", True), ("root", True)]
)
def test_change_prices_hint_only_for_who_can_change_prices(client, people, who, hinted):
    tariff = TariffFactory(published_at=timezone.now())
    client.force_login(people[who])
    page = client.get(reverse("admin:tariffs_tariff_change", args=[tariff.pk])).content.decode()
    assert (
        page.count("Change prices from a date") > 0
        if hinted
        else ("Change prices from a date" not in page)
    )


@pytest.mark.parametrize(("who", "linked"), [("finance", False), ("root", True)])
def test_audit_trail_links_a_user_only_for_who_can_view_users(client, people, who, linked):
    olivia = people["operations"]
    audit.record(actor=people["root"], action="admin_user", objects=[olivia], detail="x")
    client.force_login(people[who])
    page = client.get(reverse("admin:roaming_auditentry_changelist")).content.decode()
    user_url = reverse("admin:auth_user_change", args=[olivia.pk])
    assert (user_url in page) is linked
    assert "operations-user" in page
