"""Queue a whole PUT of everything we share, e.g. after (re)registration with Gireve."""

from importlib import import_module

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from roaming.enums import InterfaceRole
from roaming.models import Platform

# module -> function(*, platform) -> number of messages queued, through the outbox streams.
PUSH_ALL = {
    "locations": "locations.push.push_all",
    "tariffs": "tariffs.push.push_all",
}


def _push_all_function(module: str):
    dotted = PUSH_ALL[module]
    module_path, name = dotted.rsplit(".", 1)
    try:
        return getattr(import_module(module_path), name)
    except (ImportError, AttributeError) as exc:
        raise CommandError(f"Full push of {module} is not available ({dotted}).") from exc


class Command(BaseCommand):
    help = (
        "Queue a whole PUT of every published object to a platform (Gireve needs the whole "
        "EVCI after (re)registration). Sent by the outbox workers, in order per object."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="platform name")
        parser.add_argument(
            "--module",
            action="append",
            choices=sorted(PUSH_ALL),
            help="module to push (repeatable; default: locations)",
        )

    def handle(self, *args, name, module, **options):
        platform = Platform.objects.filter(name=name).first()
        if platform is None:
            raise CommandError(f"No platform named {name!r}.")
        if platform.status != Platform.Status.CONNECTED:
            raise CommandError(f"{name} is {platform.status}, not CONNECTED: register first.")
        for each in module or ["locations"]:
            if platform.endpoint_url(each, InterfaceRole.RECEIVER) is None:
                raise CommandError(f"{name} has no {each} RECEIVER endpoint.")
            push_all = _push_all_function(each)
            with transaction.atomic():
                count = push_all(platform=platform)
            self.stdout.write(f"{each}: {count} object(s) queued for {name}.")
