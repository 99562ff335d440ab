from django.apps import AppConfig


class ChargingConfig(AppConfig):
    """Our `sessions` package, labelled `charging`: django.contrib.sessions owns `sessions`."""

    name = "sessions"
    label = "charging"
    verbose_name = "Charging sessions"
