from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "roaming.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from . import checks, services  # noqa: F401 (checks registers the system checks)

        # axes decides when a lockout starts and says so only with this signal.
        user_locked_out.connect(services.lockout_signalled, dispatch_uid="accounts_lockout")
        # Every login (the login page, force_login, any later view) starts the lifetime clock
        # in the same session save as the login itself.
        user_logged_in.connect(_mark_login, dispatch_uid="accounts_mark_login")


def _mark_login(sender, request, user, **kwargs):
    from . import policy

    if request is not None and hasattr(request, "session"):
        policy.mark_login(request.session)
