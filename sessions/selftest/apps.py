from django.apps import AppConfig


class SelftestConfig(AppConfig):
    """Gireve qualification self-test (docs/qualification.md): checks, runner, report."""

    name = "sessions.selftest"
    label = "selftest"
    verbose_name = "OCPI self-test"
