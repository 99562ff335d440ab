"""Platforms → "Run self-test": manage_connection only, audited, run by a task, its page
shows the report."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from roaming.groups import ensure_staff_groups
from roaming.models import SelfTestRun
from sessions.selftest.tasks import run_selftest_task
from tests.factories import PlatformFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff(group: str):
    user = UserFactory(username=group)
    user.groups.add(ensure_staff_groups()[group])
    return user


def run_action(client, platform, **data):
    return client.post(
        reverse("admin:roaming_platform_changelist"),
        {"action": "run_selftest", "_selected_action": [platform.pk], **data},
    )


FORM = {"apply": "1", "location": "NOWHERE", "token_type": "RFID", "wait": "30"}


def test_finance_cannot_run_a_self_test(client):
    platform = PlatformFactory(name="Gireve preprod", hub_country_code="FR", hub_party_id="107")
    client.force_login(staff("finance"))

    run_action(client, platform, **FORM)

    assert not SelfTestRun.objects.exists()
    assert not LogEntry.objects.filter(change_message__startswith="Self-test").exists()


def test_operations_queue_a_run_audited_and_its_page_shows_the_outcome(client):
    platform = PlatformFactory(name="Gireve preprod", hub_country_code="FR", hub_party_id="107")
    user = staff("operations")
    client.force_login(user)

    form_page = run_action(client, platform)
    answer = run_action(client, platform, **FORM)

    assert form_page.status_code == 200 and b"Run self-test" in form_page.content
    run = SelfTestRun.objects.get()
    assert answer.status_code == 302
    assert answer.url == reverse("admin:roaming_selftestrun_change", args=[run.pk])
    assert run.result == "queued" and run.started_by == "operations"
    assert run.options["location_id"] == "NOWHERE" and run.options["wait"] == 30
    entry = LogEntry.objects.get(change_message__startswith="Self-test run")
    assert entry.user == user and entry.object_id == str(platform.pk)
    assert f"run {run.pk} queued" in entry.change_message

    run_selftest_task(run.pk)  # what the worker does with the published id

    run.refresh_from_db()
    assert run.result == "refused" and "0 locations have the id 'NOWHERE'" in run.summary
    page = client.get(answer.url)
    assert page.status_code == 200 and "0 locations have the id" in page.content.decode()
    assert run_selftest_task(run.pk) == "already run"


def test_a_production_hub_is_refused_on_the_form_unless_allowed(client):
    platform = PlatformFactory(name="Gireve prod", hub_country_code="FR", hub_party_id="007")
    client.force_login(staff("operations"))

    refused = run_action(client, platform, **FORM)
    allowed = run_action(client, platform, **FORM, allow_production="on")

    assert "production hub (FR*007" in refused.content.decode()
    assert allowed.status_code == 302
    assert SelfTestRun.objects.get().options["allow_production"] is True


def test_a_finished_run_shows_its_report_and_offers_both_files(client):
    platform = PlatformFactory(name="Gireve preprod")
    run = SelfTestRun.objects.create(
        platform=platform,
        started_by="ops",
        result="pass",
        report={"result": "pass"},
        report_html="<html><body><h1>Self-test <b>report</b></h1></body></html>",
    )
    client.force_login(staff("operations"))

    page = client.get(reverse("admin:roaming_selftestrun_change", args=[run.pk]))
    html = client.get(reverse("admin:roaming_selftestrun_report_html", args=[run.pk]))
    data = client.get(reverse("admin:roaming_selftestrun_report_json", args=[run.pk]))

    assert page.status_code == 200 and "srcdoc=" in page.content.decode()
    assert "&lt;b&gt;report&lt;/b&gt;" in page.content.decode()  # escaped into the frame
    assert html.content == run.report_html.encode() and "attachment" in html["Content-Disposition"]
    assert data.json() == {"result": "pass"}
