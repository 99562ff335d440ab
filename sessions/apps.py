from django.apps import AppConfig


class ChargingConfig(AppConfig):
    """Our `sessions` package, labelled `charging`: django.contrib.sessions owns `sessions`."""

    name = "sessions"
    label = "charging"
    verbose_name = "Charging sessions"

    def ready(self):
        from roaming.outbox import registry

        from . import session_push

        # A session PATCH the hub answers "unknown object" is healed with this whole PUT.
        # Session stream keys are upper case ("SESSION:FR:CPO:ID", ids are CiStrings).
        registry.register_whole_object("SESSION", session_push.whole_session)
