"""Whole resync of what we share with a platform, e.g. after (re)registration with Gireve.

Gireve needs the whole EVCI after a (re)registration. Tariffs go first: connectors name tariff
ids (Gireve §3.5.3, §3.10.5), so the hub must know those tariffs before the locations arrive.
Each module queues through its own outbox streams, so order per object is kept.
"""

from importlib import import_module

from django.db import transaction

from .enums import InterfaceRole
from .models import Platform

# module -> function(*, platform) -> number of messages queued, in the order they are pushed.
# Dotted names: roaming imports no domain app (docs STYLE.md, layers).
PUSH_ALL = {
    "tariffs": "tariffs.push.push_all",
    "locations": "locations.push.push_all",
}


class ResyncError(ValueError):
    """Nothing was queued; the message says what to do."""


def push_all_function(module: str):
    dotted = PUSH_ALL[module]
    module_path, name = dotted.rsplit(".", 1)
    try:
        return getattr(import_module(module_path), name)
    except (ImportError, AttributeError) as exc:
        raise ResyncError(f"Full push of {module} is not available ({dotted}).") from exc


def resync(*, platform: Platform, modules: list[str] | None = None) -> dict[str, int]:
    """Queue a whole PUT of every shared object of `modules` (default: all the platform
    receives, tariffs first); all modules or none."""
    if platform.status != Platform.Status.CONNECTED:
        raise ResyncError(f"{platform} is {platform.status}, not CONNECTED: register first.")
    receives = [m for m in PUSH_ALL if platform.endpoint_url(m, InterfaceRole.RECEIVER)]
    if modules is None:
        modules = receives
    else:
        missing = [m for m in modules if m not in receives]
        if missing:
            raise ResyncError(f"{platform} has no {', '.join(missing)} RECEIVER endpoint.")
        modules = [m for m in PUSH_ALL if m in modules]  # tariffs before locations
    if not modules:
        raise ResyncError(f"{platform} has no tariffs or locations RECEIVER endpoint.")
    functions = {module: push_all_function(module) for module in modules}
    with transaction.atomic():
        return {module: push_all(platform=platform) for module, push_all in functions.items()}


def describe(counts: dict[str, int]) -> str:
    """`tariffs 3, locations 12`: what a resync queued, for people and the audit trail."""
    return ", ".join(f"{module} {count}" for module, count in counts.items())
