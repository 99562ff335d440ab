from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The composition root as an app only to register the deploy checks (config/checks.py)."""

    name = "config"
    label = "config"
    verbose_name = "Configuration"

    def ready(self):
        from config import checks  # noqa: F401  (registers the checks)
