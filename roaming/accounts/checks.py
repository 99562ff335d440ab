"""`manage.py check --deploy` says when staff logins are weaker than the production policy."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def staff_accounts_check(app_configs, **kwargs):
    warnings = []
    if not settings.STAFF_2FA_REQUIRED:
        warnings.append(
            Warning(
                "STAFF_2FA_REQUIRED is off: staff log in with a password only.",
                hint="Unset it (on by default when DEBUG is off) or set STAFF_2FA_REQUIRED=1.",
                id="accounts.W001",
            )
        )
    if not settings.AXES_ENABLED:
        warnings.append(
            Warning(
                "AXES_ENABLED is off: unlimited password guesses.",
                hint="Remove AXES_ENABLED=0 from the environment.",
                id="accounts.W002",
            )
        )
    return warnings
