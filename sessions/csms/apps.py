from django.apps import AppConfig


class CsmsConfig(AppConfig):
    """The bridge to the CPO's own charging-station management systems (docs/csms-bridge.md)."""

    name = "sessions.csms"
    label = "csms"
    verbose_name = "CSMS bridge"
    default_auto_field = "django.db.models.BigAutoField"
