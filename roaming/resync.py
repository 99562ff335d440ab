"""Whole resync of what we share with a platform, e.g. after (re)registration with Gireve.

Gireve needs the whole EVCI after a (re)registration. Tariffs go first: connectors name tariff
ids (Gireve §3.5.3, §3.10.5), so the hub must know those tariffs before the locations arrive.
Each module queues through its own outbox streams, so order per object is kept.
A registration, either way, queues one itself (`initial_push`, Gireve §3.3: Push EVCI once
connected), audited; `initial_push_summary` says what it queued, for the platform page.
"""

from importlib import import_module

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from . import audit
from .enums import InterfaceRole
from .models import Platform
from .ocpi_time import format_datetime

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


def initial_push(*, platform: Platform, actor) -> dict[str, int]:
    """Gireve §3.3: once connected, push the whole EVCI: queue every shared tariff, then
    every location (resync), audited; called inside the registration's transaction. A
    platform that receives neither is told nothing, and the audit entry says why."""
    try:
        counts = resync(platform=platform)
    except ResyncError as error:
        audit.record(
            actor=actor, action="initial_push", objects=[platform], detail=f"none: {error}"
        )
        return {}
    audit.record(actor=actor, action="initial_push", objects=[platform], detail=describe(counts))
    return counts


def initial_push_summary(platform: Platform) -> str:
    """What the last initial push queued ("tariffs 3, locations 12" or "none: why"), and
    when, from its audit entry; "" before any (the platform page and messages show it)."""
    entry = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Platform),
            object_id=str(platform.pk),
            change_message__startswith=audit.ACTIONS["initial_push"],
        )
        .order_by("-action_time", "-pk")
        .first()
    )
    if entry is None:
        return ""
    detail = entry.change_message.removeprefix(audit.ACTIONS["initial_push"]).lstrip(": ")
    detail = detail.split(" — by ")[0]
    return f"{detail} (queued {format_datetime(entry.action_time)})"
