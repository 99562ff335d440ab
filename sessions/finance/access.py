"""Who may use the finance UI: finance staff, superusers, and operations (read only).

Viewing needs `charging.view_cdr` (both staff groups have it, roaming.groups); crediting
needs `charging.credit_cdr`, which only the finance group (and superusers) hold.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

VIEW = "charging.view_cdr"
CREDIT = "charging.credit_cdr"


def finance_view(permission: str = VIEW):
    """Login required (the admin's login page), then `permission`; 403 otherwise."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionDenied(f"This page needs the permission {permission}.")
            return view(request, *args, **kwargs)

        return login_required(checked, login_url="admin:login")

    return decorate


def can_credit(user) -> bool:
    return user.has_perm(CREDIT)
