"""/metrics counters of failed staff logins and lockouts, counted in the audit trail.

The trail is the truth (as the outbox is for its own figures): every web process sees the
same numbers, and a restart resets nothing.
"""

from django.contrib.admin.models import LogEntry
from prometheus_client.core import CounterMetricFamily

from roaming import audit


class LoginCollector:
    def collect(self):
        failed = CounterMetricFamily(
            "staff_login_failures",
            "Failed staff logins: wrong password or code, or refused while locked out.",
        )
        failed.add_metric([], LogEntry.objects.filter(audit.is_action("login_failed")).count())
        lockouts = CounterMetricFamily(
            "staff_login_lockouts", "Lockouts started (django-axes: AXES_FAILURE_LIMIT reached)."
        )
        lockouts.add_metric([], LogEntry.objects.filter(audit.is_action("lockout")).count())
        yield from [failed, lockouts]
