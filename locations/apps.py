from django.apps import AppConfig


class LocationsConfig(AppConfig):
    name = "locations"
    verbose_name = "Charging infrastructure"

    def ready(self):
        from roaming.outbox import registry

        from . import push

        # A PATCH the hub answers "unknown object" is healed with these PUTs (outbox healing).
        registry.register_whole_object("location", push.whole_object)
