from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "roaming.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self):
        from axes.signals import user_locked_out

        from . import checks, services  # noqa: F401 (checks registers the system checks)

        # axes decides when a lockout starts and says so only with this signal.
        user_locked_out.connect(services.lockout_signalled, dispatch_uid="accounts_lockout")
