import pytest
from django.urls import reverse

from roaming.models import Platform
from tests.factories import PlatformFactory

pytestmark = pytest.mark.django_db


def test_platform_page_never_shows_the_token_we_send(admin_client):
    platform = PlatformFactory(outgoing_token="super-secret-token-c-value")

    page = admin_client.get(reverse("admin:roaming_platform_change", args=[platform.pk]))

    assert page.status_code == 200
    assert "super-secret-token-c-value" not in page.content.decode()
    assert "supe…ue" in page.content.decode()


def test_issue_token_a_action_gives_a_working_registration_token(admin_client):
    platform = PlatformFactory(status=Platform.Status.UNREGISTERED)

    page = admin_client.post(
        reverse("admin:roaming_platform_changelist"),
        {"action": "issue_token_a", "_selected_action": [platform.pk]},
        follow=True,
    )

    message = next(str(m) for m in page.context["messages"] if "token A" in str(m))
    token_a = message.split("token A ")[1].split(" ")[0]
    platform.refresh_from_db()
    assert platform.status == Platform.Status.INVITED
    assert platform.incoming_token_is_registration
    assert platform.incoming_token_matches(token_a)
