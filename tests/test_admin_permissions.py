"""Every admin URL and action, walked as each staff group (issue 11.1).

A new admin action without declared permissions, or a custom admin view without
`roaming.admin_base.permission_view`, fails here; so does a change to what a group may do
that is not written in the tables below. Walked as production runs: STAFF_2FA_REQUIRED on,
each user logged in with an enrolled device (issue 23).
"""

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote
from django.test import RequestFactory
from django.urls import reverse

from roaming.groups import ensure_staff_groups
from tests import factories

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
GROUPS = ["superuser", "operations", "finance", "no group"]
OPS_APPS = {"locations", "tariffs", "roaming", "outbox", "charging", "csms", "commands"}

# What operations (and superusers) may run; finance and staff without a group: nothing.
ACTIONS = {
    "locations.location": {"unpublish"},
    "locations.evse": {"set_status", "mark_removed"},
    "tariffs.tariff": {"change_prices", "withdraw"},
    "roaming.platform": {
        "issue_token_a",
        "register_to_platform",
        "update_credentials",
        "check_connection",
        "run_selftest",
        "resync_platforms",
        "unregister_platforms",
        "forget_platforms",
    },
    "outbox.stream": {"retry_now", "hold_streams", "resend_head", "skip_head"},
    "csms.csms": {"rotate_key"},
    # Staff accounts (roaming.accounts): superusers only (auth.change_user, axes.delete_*).
    "auth.user": {"reset_second_factor"},
    "axes.accessattempt": {"unlock"},
}
# What operations may add by hand; everything else comes from the hub or from services.
OPERATIONS_ADD = {
    "locations.location",
    "locations.evse",
    "roaming.operator",
    "tariffs.tariff",
    "roaming.platform",
    "charging.token",
    "csms.csms",
    "csms.evsemapping",
}
# Django's own custom views check their own permission (UserAdmin: change_user).
DJANGO_VIEWS = {"auth_user_password_change"}
STANDARD_VIEWS = ("changelist", "add", "history", "delete", "change")


@pytest.fixture
def login(login_with_second_factor):
    return login_with_second_factor


@pytest.fixture
def staff():
    groups = ensure_staff_groups()
    users = {
        "superuser": factories.UserFactory(username="root", is_superuser=True),
        "no group": factories.UserFactory(username="nobody"),
    }
    for name in ("operations", "finance"):
        users[name] = factories.UserFactory(username=name)
        users[name].groups.add(groups[name])
    return users


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _custom_patterns(model_admin):
    info = model_admin.opts.app_label, model_admin.opts.model_name
    standard = {"{}_{}_{}".format(*info, view) for view in STANDARD_VIEWS}
    return [p for p in model_admin.get_urls() if p.name and p.name not in standard]


def test_every_action_declares_permissions_its_admin_checks():
    for model, model_admin in admin.site._registry.items():
        for func, name, _ in model_admin._get_base_actions():
            permissions = getattr(func, "allowed_permissions", None)
            assert permissions, f"{model._meta.label} action {name}: no permissions declared"
            for permission in permissions:
                assert hasattr(model_admin, f"has_{permission}_permission"), (
                    f"{model._meta.label} action {name}: no has_{permission}_permission"
                )


def test_every_custom_admin_view_declares_its_permission():
    for model, model_admin in admin.site._registry.items():
        for pattern in _custom_patterns(model_admin):
            if pattern.name in DJANGO_VIEWS:
                continue
            assert getattr(pattern.callback, "permission_required", None), (
                f"{model._meta.label} view {pattern.name}: use roaming.admin_base.permission_view"
            )


def test_nobody_may_bulk_delete():
    assert "delete_selected" not in dict(admin.site.actions)


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
def test_walk_every_admin_url_and_action_as_each_group(client, login, staff, group, model):
    user = staff[group]
    obj = factories.factory_for(model)()
    model_admin = admin.site._registry[model]
    label, app = model._meta.label_lower, model._meta.app_label
    info = model._meta.app_label, model._meta.model_name
    login(client, user)

    def status(view, *args):
        return client.get(reverse("admin:{}_{}_{}".format(*info, view), args=args)).status_code

    sees = group == "superuser" or (group in ("operations", "finance") and app in OPS_APPS)
    works = group == "superuser" or (group == "operations" and app in OPS_APPS)
    pk = quote(obj.pk)
    assert status("changelist") == (200 if sees else 403)
    assert status("change", pk) == (200 if sees else 403)
    assert status("history", pk) == (200 if sees else 403)
    may_add = group == "superuser" and model_admin.has_add_permission(_request(user))
    may_add = may_add or (group == "operations" and label in OPERATIONS_ADD)
    assert status("add") == (200 if may_add else 403)
    if group != "superuser":  # superusers: the deletion rules, tests/test_admin_deletion.py
        assert status("delete", pk) == 403

    offered = set(model_admin.get_actions(_request(user)))
    assert offered == (ACTIONS.get(label, set()) if works else set())

    for pattern in _custom_patterns(model_admin):
        if pattern.name in DJANGO_VIEWS:
            continue
        kwargs = {name: obj.pk for name in pattern.pattern.converters}
        url = reverse(f"admin:{pattern.name}", kwargs=kwargs)
        answer = client.get(url)
        if works and answer.status_code == 405:  # a POST-only page (the tariff editor's preview)
            answer = client.post(url)
        assert answer.status_code == (200 if works else 403), pattern.name


@pytest.mark.parametrize("group", ["finance", "no group"])
@pytest.mark.parametrize("label", sorted(ACTIONS))
def test_actions_posted_by_finance_or_no_group_do_nothing(client, login, staff, group, label):
    model = next(m for m in REGISTERED if m._meta.label_lower == label)
    obj = factories.factory_for(model)()
    login(client, staff[group])
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    entries = LogEntry.objects.count()
    before = {f.name: getattr(obj, f.attname) for f in model._meta.concrete_fields}

    for action in ACTIONS[label]:
        data = {"action": action, "_selected_action": [obj.pk], "status": "REMOVED"}
        answer = client.post(changelist, {**data, "confirm": "1", "apply": "1", "reason": "x"})
        assert answer.status_code in (200, 302, 403)

    obj.refresh_from_db()
    assert {f.name: getattr(obj, f.attname) for f in model._meta.concrete_fields} == before
    assert LogEntry.objects.count() == entries


def test_finance_cannot_change_or_post_any_form(client, login, staff):
    login(client, staff["finance"])
    for model in REGISTERED:
        obj = factories.factory_for(model)()
        info = model._meta.app_label, model._meta.model_name
        url = reverse("admin:{}_{}_change".format(*info), args=[quote(obj.pk)])
        assert client.post(url, {"name": "changed"}).status_code == 403, model._meta.label
        assert not admin.site._registry[model].has_change_permission(
            _request(staff["finance"]), obj
        )


def test_buttons_a_user_may_not_use_are_not_shown(client, login, staff):
    platform = factories.PlatformFactory(status="CONNECTED")
    tariffs = reverse("admin:tariffs_tariff_changelist")
    platforms = reverse("admin:roaming_platform_changelist")
    platform_page = reverse("admin:roaming_platform_change", args=[platform.pk])

    login(client, staff["finance"])
    assert "Assign tariffs to EVSEs" not in client.get(tariffs).content.decode()
    assert "Issue a registration token A" not in client.get(platforms).content.decode()
    assert "Resync with the hub" not in client.get(platform_page).content.decode()

    login(client, staff["operations"])
    assert "Assign tariffs to EVSEs" in client.get(tariffs).content.decode()
    assert "Issue a registration token A" in client.get(platforms).content.decode()
    assert "Resync with the hub" in client.get(platform_page).content.decode()
