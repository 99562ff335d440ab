"""The hub connection from the admin and the CLI (issue 11.6), and the audit trail (11.2)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.urls import reverse

from locations import services as location_services
from roaming.groups import ensure_staff_groups
from roaming.models import Platform
from roaming.outbox.models import Message
from tariffs import services as tariff_services
from tests.factories import (
    ConnectorFactory,
    LocationFactory,
    PlatformFactory,
    StreamFactory,
    TariffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _shared_tariff_and_location():
    location = LocationFactory()
    ConnectorFactory(evse__location=location)
    location_services.save_location(location=location)
    tariff_services.save_tariff(tariff=TariffFactory.build(operator=location.operator))
    Message.objects.all().delete()  # as if the platform connected after they were made


def _operations(client):
    user = UserFactory(username="olga")
    user.groups.add(ensure_staff_groups()["operations"])
    client.force_login(user)
    return user


def test_push_all_resyncs_every_module_tariffs_first_and_is_audited(connected_hub, capsys):
    _shared_tariff_and_location()

    call_command("ocpi_push_all", connected_hub.name)

    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"tariffs: 1 object(s) queued for {connected_hub.name}.",
        f"locations: 1 object(s) queued for {connected_hub.name}.",
    ]
    # The hub must know the tariff ids the connectors name before the locations arrive.
    assert [m.stream.module for m in Message.objects.order_by("pk")] == ["tariffs", "locations"]
    entry = LogEntry.objects.get(object_id=str(connected_hub.pk))
    assert entry.user.username == "commands" and not entry.user.is_active
    assert entry.change_message.startswith("Whole resync queued: tariffs 1, locations 1 — by ")
    assert "command:ocpi_push_all (OS user " in entry.change_message


def test_resync_is_offered_in_admin_with_confirmation_and_audited(client, connected_hub):
    _shared_tariff_and_location()
    user = _operations(client)
    page = reverse("admin:roaming_platform_change", args=[connected_hub.pk])
    resync = reverse("admin:roaming_platform_resync", args=[connected_hub.pk])

    assert resync in client.get(page).content.decode()
    assert "tariffs, then locations" in client.get(resync).content.decode()
    assert not Message.objects.exists()  # asking changes nothing
    done = client.post(resync, follow=True)

    assert "queued tariffs 1, locations 1" in done.content.decode()
    assert Message.objects.count() == 2
    history = client.get(reverse("admin:roaming_platform_history", args=[connected_hub.pk]))
    assert "Whole resync queued: tariffs 1, locations 1" in history.content.decode()
    assert LogEntry.objects.get().user == user


def test_a_new_platform_is_new_until_a_token_a_exists_and_token_a_needs_no_platform(client):
    _operations(client)
    platforms = reverse("admin:roaming_platform_changelist")
    issue = reverse("admin:roaming_platform_issue_token_a")
    assert Platform.objects.create(name="Draft").status == Platform.Status.NEW
    Platform.objects.all().delete()

    assert issue in client.get(platforms).content.decode()  # no platform yet: still reachable
    page = client.post(issue, {"name": "Gireve preprod"})

    platform = Platform.objects.get(name="Gireve preprod")
    token_a = page.context["token_a"]
    assert token_a in page.content.decode()
    assert platform.status == Platform.Status.INVITED
    assert platform.incoming_token_matches(token_a)
    entry = LogEntry.objects.get(object_id=str(platform.pk))
    assert entry.change_message == "Registration token A issued"
    assert token_a not in entry.change_message


def test_stream_hold_is_in_the_objects_history_and_in_the_audit_list(client):
    stream = StreamFactory()
    other = StreamFactory()
    user = _operations(client)

    client.post(
        reverse("admin:outbox_stream_changelist"),
        {"action": "hold_streams", "_selected_action": [stream.pk]},
    )

    history = client.get(reverse("admin:outbox_stream_history", args=[stream.pk]))
    assert "Stream held" in history.content.decode()
    audit = reverse("admin:roaming_auditentry_changelist")
    held = client.get(audit, {"action": "hold", "user__id__exact": user.pk})
    assert [entry.object_id for entry in held.context["cl"].result_list] == [str(stream.pk)]
    assert client.get(audit, {"action": "resend"}).context["cl"].result_count == 0
    assert str(other.pk) not in {e.object_id for e in held.context["cl"].result_list}


def test_form_saves_and_actions_are_told_apart_in_the_audit_list(admin_client):
    platform = PlatformFactory(name="Hub", status="NEW")
    admin_client.post(
        reverse("admin:roaming_platform_changelist"),
        {"action": "issue_token_a", "_selected_action": [platform.pk]},
    )
    LogEntry.objects.create(user_id=LogEntry.objects.get().user_id, action_flag=2)  # a form save

    audit = reverse("admin:roaming_auditentry_changelist")
    actions = admin_client.get(audit, {"action": "issue_token_a"}).context["cl"].result_list
    forms = admin_client.get(audit, {"action": "form-changed"}).context["cl"].result_list

    assert [e.change_message for e in actions] == ["Registration token A issued"]
    assert [e.change_message for e in forms] == [""]
