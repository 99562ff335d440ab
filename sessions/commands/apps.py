from django.apps import AppConfig


class CommandsConfig(AppConfig):
    """Remote start/stop from eMSP apps (docs/commands.md)."""

    name = "sessions.commands"
    label = "commands"
    verbose_name = "Remote commands"
    default_auto_field = "django.db.models.BigAutoField"
