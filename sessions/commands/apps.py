from django.apps import AppConfig


class CommandsConfig(AppConfig):
    """Remote start/stop from eMSP apps (docs/commands.md)."""

    name = "sessions.commands"
    label = "commands"
    verbose_name = "Remote commands"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from roaming import audit

        # The audit trail's words for our one staff action (manage.py csms_command_endpoint).
        audit.ACTIONS.setdefault("csms_command_endpoint", "CSMS command endpoint set")
