"""The front door and the refusals (issue 19.8): `/` sends each group to its screens, a 403
says what the user may do instead, and the lists say what the hub holds."""

import pytest
from django.urls import reverse

from locations import services as location_services
from roaming.groups import ensure_staff_groups
from tests.factories import ConnectorFactory, LocationFactory, StreamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db):
    groups = ensure_staff_groups()
    made = {"superuser": UserFactory(username="root", is_superuser=True, is_staff=True)}
    for name in ("operations", "finance"):
        made[name] = UserFactory(username=name, is_staff=True)
        made[name].groups.add(groups[name])
    made["no group"] = UserFactory(username="nobody", is_staff=True)
    return made


def test_home_sends_anonymous_people_to_the_login_page_and_back(client):
    answer = client.get("/")
    assert answer.status_code == 302
    assert answer["Location"] == reverse("admin:login") + "?next=/"


@pytest.mark.parametrize(
    ("who", "place"),
    [("operations", "/admin/"), ("superuser", "/admin/"), ("finance", "/finance/")],
)
def test_home_sends_each_group_to_its_screens(client, users, who, place):
    client.force_login(users[who])
    answer = client.get("/")
    assert answer.status_code == 302 and answer["Location"] == place


def test_a_staff_member_without_a_group_gets_a_page_that_says_so(client, users):
    client.force_login(users["no group"])
    page = client.get("/")
    assert page.status_code == 403
    assert "ask an administrator to put it in the" in page.content.decode()


def test_a_refusal_is_a_styled_page_naming_what_the_user_may_do(client, users, db):
    client.force_login(users["operations"])
    page = client.get(reverse("admin:auth_user_changelist"))
    html = page.content.decode()
    assert page.status_code == 403
    assert "You may not use this page" in html
    assert 'href="/admin/">Operations (admin)' in html and 'href="/finance/">Finance' in html


def test_finance_is_shown_the_way_to_its_screens_in_the_admin(client, users):
    client.force_login(users["finance"])
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="finance-pointer"' in html
    assert '<a href="/finance/">Finance screens</a>' in html


def test_the_locations_list_says_what_the_hub_holds(admin_client):
    never = ConnectorFactory().evse.location  # complete and published, no platform ever
    location_services.save_location(location=never)
    shared = ConnectorFactory().evse.location
    StreamFactory(key=f"location:{shared.pk}", memo={"synced": True})
    withdrawn = LocationFactory(publish=False)
    StreamFactory(key=f"location:{withdrawn.pk}", memo={"synced": False})

    page = admin_client.get(reverse("admin:locations_location_changelist"))
    rows = {
        row.ocpi_id: text
        for row, text in (
            (obj, page.context["cl"].model_admin.hub_state(obj))
            for obj in page.context["cl"].result_list
        )
    }
    assert rows[never.ocpi_id] == "never sent"
    assert rows[shared.ocpi_id] == "shared"
    assert rows[withdrawn.ocpi_id].startswith("withdrawn (unpublished")


def test_wide_lists_are_cut_to_fit_and_name_objects_not_database_keys(admin_client):
    from roaming.admin_base import truncated
    from tests.factories import MessageFactory, MessageLogFactory

    message = MessageFactory(object_id="PAR-SAINT-GERMAIN", path="/FR/AB1/" + "X" * 80)
    MessageLogFactory(platform=message.stream.platform, http_status=None, error="refused")
    html = admin_client.get(reverse("admin:outbox_message_changelist")).content.decode()
    assert "PAR-SAINT-GERMAIN (locations) →" in html
    assert str(truncated(f"PATCH {message.path}", 45)) in html
    logs = admin_client.get(reverse("admin:roaming_messagelog_changelist")).content.decode()
    assert "no answer: refused" in logs and "None/None" not in logs
    streams = admin_client.get(reverse("admin:outbox_stream_changelist")).content.decode()
    assert "Select stream to change" not in streams
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert ">CDRs<" in index and ">EVSE status reports<" in index and "Cdrs" not in index


def test_a_refused_value_is_not_the_page_title(admin_client):
    from tests.admin_forms import form_data

    evse = ConnectorFactory().evse
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    data = form_data(admin_client.get(url).content.decode())
    data["evse_id"] = ["FR*ZZ9*E1"]  # another operator's prefix: refused
    page = admin_client.post(url, data)
    html = page.content.decode()
    assert page.status_code == 200 and "errornote" in html
    assert "FR*ZZ9*E1 |" not in html.split("</title>")[0]
    assert str(evse) in html.split("</title>")[0]
