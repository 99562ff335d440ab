from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RoamingConfig(AppConfig):
    name = "roaming"
    verbose_name = "OCPI connection"

    def ready(self):
        from .groups import ensure_staff_groups_after_migrate

        # Setup, not business flow: keep the staff groups' permissions complete.
        post_migrate.connect(ensure_staff_groups_after_migrate, dispatch_uid="staff_groups")
