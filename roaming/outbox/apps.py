from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "roaming.outbox"
    label = "outbox"
    verbose_name = "Push outbox"
