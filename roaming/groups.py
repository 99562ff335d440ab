"""Staff groups: "operations" runs the network, "finance" reads everything and corrects CDRs.

Nobody but a superuser may delete (and the admin refuses deleting what the hub knows
even to them: roaming.admin_base). Finance has view permissions plus its own finance
actions (credit a CDR), so every admin action and custom admin view, each declaring its
permission, stays out of its reach.

Re-runnable: `ensure_staff_groups()` adds the permissions of models that exist now, so
apps added later are covered on the next migrate / `ensure_admin` run.
"""

from django.contrib.auth.models import Group, Permission

# Apps whose data operations staff maintain: infrastructure, tariffs, the hub connection.
OPERATIONS_APPS = ("locations", "tariffs", "roaming", "outbox", "charging", "csms", "commands")
# Staff actions beyond add/change: each admin action or custom view declares one of these.
OPERATIONS_PERMISSIONS = (
    "roaming.manage_connection",
    "outbox.operate_streams",
    "tariffs.change_prices",
    "tariffs.withdraw_tariff",
    "csms.rotate_csms_key",
)
# Finance's own actions (the finance UI, sessions/finance/): credit and re-bill a CDR.
FINANCE_PERMISSIONS = ("charging.credit_cdr",)
# Django's own bookkeeping is not business data; nor are logins and second factors
# (roaming.accounts): superusers only.
INTERNAL_APPS = (
    "admin", "auth", "contenttypes", "sessions", "axes", "otp_totp", "otp_static", "two_factor",
)  # fmt: skip


def ensure_staff_groups() -> dict[str, Group]:
    operations, _ = Group.objects.get_or_create(name="operations")
    finance, _ = Group.objects.get_or_create(name="finance")
    operations.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=OPERATIONS_APPS,
            codename__regex=r"^(view|add|change)_",
        ),
        *_permissions(OPERATIONS_PERMISSIONS),
    )
    finance.permissions.add(
        *Permission.objects.exclude(content_type__app_label__in=INTERNAL_APPS).filter(
            codename__startswith="view_"
        ),
        *_permissions(FINANCE_PERMISSIONS),
    )
    return {"operations": operations, "finance": finance}


def _permissions(names) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found += Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        )  # absent before that app's migration: added on a later run
    return found


def ensure_staff_groups_after_migrate(sender, **kwargs) -> None:
    ensure_staff_groups()
