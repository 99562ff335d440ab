"""Staff pages need a verified second factor and a session younger than its lifetime.

Deny by default: every path but the login, enrolment and machine endpoints (OCPI, CSMS API,
health, metrics: token-authenticated, no session) is a staff page, so the admin, /finance/
and any page added later are covered alike. Runs after django-otp's OTPMiddleware, which
sets `request.user.is_verified()`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

from . import policy

# Open without a second factor: logging in and out, enrolling, and the machine endpoints.
OPEN_PREFIXES = ("/account/", "/ocpi", "/api/", "/health", "/metrics")


class StaffAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            refusal = self._session_over(request) or self._second_factor_missing(request)
            if refusal is not None:
                return refusal
            policy.renew_idle_timeout(request.session)
        return self.get_response(request)

    def _session_over(self, request):
        if not policy.session_expired(request.session):
            return None
        logout(request)
        hours = settings.STAFF_SESSION_HOURS
        messages.info(request, f"Your session ended after {hours:g} hours: please log in again.")
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))

    def _second_factor_missing(self, request):
        path = request.path_info
        if _is_open(path) or request.user.is_verified():
            return None
        if not policy.second_factor_required(request.user):
            return None
        if user_has_device(request.user):
            # Logged in without the code (e.g. before the rule was switched on): log in again.
            logout(request)
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        setup = reverse("two_factor:setup")
        return redirect(f"{setup}?{urlencode({'next': request.get_full_path()})}")


def _is_open(path: str) -> bool:
    static = (
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    )
    login, logout_url = reverse("admin:login"), reverse("admin:logout")
    return path.startswith((*OPEN_PREFIXES, static, login, logout_url))
