"""django-two-factor-auth's pages with our policy and audit: the staff login (served at
/admin/login/, so the admin and /finance/ share it), enrolment and backup codes.

The library does the work (wizard, TOTP, QR code, static tokens); these subclasses only
check staff status at login, write the audit entries and give the pages the admin's frame.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from two_factor.forms import AuthenticationTokenForm, BackupTokenForm
from two_factor.views import (
    BackupTokensView,
    LoginView,
    ProfileView,
    SetupCompleteView,
    SetupView,
)

from . import policy, services


class AdminFrame:
    """The admin's header and title on the library's pages (templates/two_factor/_base.html)."""

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        return {**admin.site.each_context(self.request), **context}


class StaffLoginView(AdminFrame, LoginView):
    # The admin's form: only active staff accounts log in (same words for every refusal).
    form_list = (
        (LoginView.AUTH_STEP, AdminAuthenticationForm),
        (LoginView.TOKEN_STEP, AuthenticationTokenForm),
        (LoginView.BACKUP_STEP, BackupTokenForm),
    )

    def get_context_data(self, form, **kwargs):
        return {**super().get_context_data(form, **kwargs), "next": self.get_redirect_url()}

    def render(self, form=None, **kwargs):
        if form is not None and form.is_bound and form.errors:
            self._record_failure()
        return super().render(form, **kwargs)

    def _record_failure(self):
        step = self.steps.current
        if step == self.AUTH_STEP:
            username = self.request.POST.get("auth-username", "")
            locked = getattr(self.request, "axes_locked_out", False)
            reason = "refused while locked out" if locked else "wrong username or password"
        else:
            user = self.get_user()
            username = user.get_username() if user else ""
            reason = "wrong backup code" if step == self.BACKUP_STEP else "wrong two-factor code"
        services.record_login_failed(request=self.request, username=username, reason=reason)

    def done(self, form_list, **kwargs):
        user = self.get_user()
        response = super().done(form_list, **kwargs)
        policy.mark_login(self.request.session)
        services.record_login(
            request=self.request, user=user, device=getattr(user, "otp_device", None)
        )
        return response


class StaffSetupView(AdminFrame, SetupView):
    """Enrolment: scan the QR code, type one code; then the backup codes page."""

    def get_success_url(self):
        then = self.get_redirect_url() or resolve_url(settings.LOGIN_REDIRECT_URL)
        return f"{reverse('two_factor:backup_tokens')}?{urlencode({'next': then})}"

    def done(self, form_list, **kwargs):
        response = super().done(form_list, **kwargs)
        services.record_enrolment(request=self.request, device=self.request.user.otp_device)
        return response


class StaffBackupTokensView(AdminFrame, BackupTokensView):
    """The backup codes (static tokens): generate, print, then carry on to `next`."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "next": self._next()}

    def form_valid(self, form):
        super().form_valid(form)
        services.record_backup_codes(request=self.request, count=self.number_of_tokens)
        return redirect(f"{reverse(self.success_url)}?{urlencode({'next': self._next()})}")

    def _next(self) -> str:
        then = self.request.POST.get("next") or self.request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(then, allowed_hosts={self.request.get_host()})
        return then if safe else resolve_url(settings.LOGIN_REDIRECT_URL)


class StaffSetupCompleteView(AdminFrame, SetupCompleteView):
    pass


class StaffProfileView(AdminFrame, ProfileView):
    pass


def locked_out(request, original_response=None, credentials=None):
    """axes' lockout page: the same words whether the account exists or not (issue 23)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {**admin.site.each_context(request), "minutes": minutes, "title": "Login locked"}
    return render(request, "accounts/locked_out.html", context, status=429)


def disable_refused(request):
    """Staff do not switch their own second factor off: an admin resets a lost device."""
    raise PermissionDenied("Ask an administrator to reset your two-factor device.")
