"""The site's front door: `/` sends each person to their screens; a 403 says where to go instead.

Composition, not business: which screens a user has is read from their permissions (the staff
groups of roaming.groups: operations work in the admin, finance on /finance/).
"""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from sessions.finance.access import CREDIT, VIEW


def places(user) -> list[tuple[str, str, str]]:
    """(url, name, what for) of the screens this user may open, their main one first."""
    if not user.is_authenticated or not user.is_active:
        return []
    admin = (reverse("admin:index"), "Operations (admin)", "locations, tariffs, the hub")
    finance = (reverse("finance:dashboard"), "Finance", "CDRs, statements, credits")
    ops = user.is_superuser or user.has_perm("locations.change_location")
    found = []
    if user.has_perm(CREDIT) and not ops:
        found.append(finance)  # finance staff: their own screens come first
    if user.is_staff and user.get_all_permissions():
        found.append(admin)
    if user.has_perm(VIEW) and finance not in found:
        found.append(finance)
    return found


def home(request: HttpRequest) -> HttpResponse:
    """Audit 2, B1: `/` was a 404 and finance landed on the ops admin index."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    found = places(request.user)
    if found:
        return HttpResponseRedirect(found[0][0])
    return permission_denied(request, None)


def permission_denied(request: HttpRequest, exception) -> HttpResponse:
    """handler403: what was refused, and the screens this user may use instead."""
    reason = str(exception or "") if exception else ""
    return render(
        request,
        "403.html",
        {"places": places(request.user), "reason": reason, "path": request.path},
        status=403,
    )
