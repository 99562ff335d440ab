"""Staff groups: "operations" runs the network, "finance" reads everything.

Re-runnable: `ensure_staff_groups()` adds the permissions of models that exist now, so
apps added later are covered on the next migrate / `ensure_admin` run.
"""

from django.contrib.auth.models import Group, Permission

# Apps whose data operations staff maintain: infrastructure, tariffs, the hub connection.
OPERATIONS_APPS = ("locations", "tariffs", "roaming", "outbox", "charging")
# Django's own bookkeeping is not business data.
INTERNAL_APPS = ("admin", "auth", "contenttypes", "sessions")


def ensure_staff_groups() -> dict[str, Group]:
    operations, _ = Group.objects.get_or_create(name="operations")
    finance, _ = Group.objects.get_or_create(name="finance")
    operations.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=OPERATIONS_APPS,
            codename__regex=r"^(view|add|change)_",
        )
    )
    finance.permissions.add(
        *Permission.objects.exclude(content_type__app_label__in=INTERNAL_APPS).filter(
            codename__startswith="view_"
        )
    )
    return {"operations": operations, "finance": finance}


def ensure_staff_groups_after_migrate(sender, **kwargs) -> None:
    ensure_staff_groups()
