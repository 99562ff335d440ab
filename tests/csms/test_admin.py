"""Staff screens and command of the bridge: the key is shown once, rotation is permitted
and recorded."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from roaming.models import hash_token
from sessions.csms.models import Csms
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
KEY = re.compile(r"csms_[A-Za-z0-9_-]{43}")


def test_new_csms_shows_its_key_once_and_keeps_only_its_hash(admin_client, operator):
    response = admin_client.post(
        reverse("admin:csms_csms_add"),
        {
            "name": "CitrineOS",
            "active": "on",
            "operators": [operator.pk],
            "mappings-TOTAL_FORMS": "0",
            "mappings-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    [key] = KEY.findall(response.content.decode())
    csms = Csms.objects.get(name="CitrineOS")
    assert csms.key_hash == hash_token(key) and key not in str(vars(csms))
    assert list(csms.operators.all()) == [operator]
    assert (
        KEY.findall(
            admin_client.get(reverse("admin:csms_csms_change", args=[csms.pk])).content.decode()
        )
        == []
    )


def test_rotation_needs_its_permission_and_is_recorded(client, csms):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_csms"))
    client.force_login(staff)
    url = reverse("admin:csms_csms_changelist")
    action = {"action": "rotate_key", "_selected_action": [csms.pk]}

    refused = client.post(url, action, follow=True)
    assert (
        KEY.findall(refused.content.decode()) == [] and Csms.objects.get().key_hash == csms.key_hash
    )

    staff.user_permissions.add(Permission.objects.get(codename="rotate_csms_key"))
    [key] = KEY.findall(client.post(url, action, follow=True).content.decode())
    assert Csms.objects.get().key_hash == hash_token(key) != csms.key_hash
    assert LogEntry.objects.get(object_id=str(csms.pk)).change_message == "CSMS API key rotated"


def test_csms_create_prints_the_key_and_needs_a_permitted_user(operator, capsys):
    UserFactory(username="ops", is_staff=True)
    with pytest.raises(CommandError, match="csms.add_csms"):
        call_command("csms_create", "SteVe", "--operator", "FR*AB1", "--as-user", "ops")

    UserFactory(username="root", is_superuser=True)
    call_command("csms_create", "SteVe", "--operator", "FR*AB1", "--as-user", "root")

    [key] = KEY.findall(capsys.readouterr().out)
    assert Csms.objects.for_api_key(key).operators.get() == operator
    assert LogEntry.objects.get().change_message.startswith(
        "CSMS connection created: command:csms_create"
    )
