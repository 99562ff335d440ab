"""Compare our objects with the hub's copy (GET on its receiver, client-owned URLs).

The generic part: which platform to ask, and a readable diff of two OCPI objects. Each app
says what to compare (`locations.hub_check`); ops run it as `ocpi_check`.
"""

from dataclasses import dataclass

from .models import Platform

# Lists of child objects compared by their id rather than by position.
KEYED_LISTS = {"evses": "uid", "connectors": "id"}


@dataclass
class CheckResult:
    found: bool  # the hub knows the object
    differences: list[str]
    message: str = ""

    @property
    def same(self) -> bool:
        return self.found and not self.differences


def hub_platform(name: str | None = None) -> Platform:
    """The connected platform to check against (the only one, unless named)."""
    platforms = Platform.objects.filter(status=Platform.Status.CONNECTED)
    if name:
        platforms = platforms.filter(name=name)
    platforms = list(platforms[:2])
    if len(platforms) != 1:
        which = f"named {name!r}" if name else "(several or none: name one)"
        raise LookupError(f"No single connected platform {which}")
    return platforms[0]


def differences(ours, theirs, path: str = "") -> list[str]:
    """Readable list of what differs, e.g. 'evses[E1].status: ours AVAILABLE, hub CHARGING'."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs)):
            where = f"{path}.{key}" if path else key
            if key not in theirs:
                found.append(f"{where}: missing at the hub")
            elif key not in ours:
                found.append(f"{where}: only at the hub ({theirs[key]!r})")
            elif (
                key in KEYED_LISTS and isinstance(ours[key], list) and isinstance(theirs[key], list)
            ):
                found += _keyed(ours[key], theirs[key], where, KEYED_LISTS[key])
            else:
                found += differences(ours[key], theirs[key], where)
        return found
    if ours != theirs:
        return [f"{path}: ours {ours!r}, hub {theirs!r}"]
    return []


def _both_lists(a, b) -> bool:
    return isinstance(a, list) and isinstance(b, list)


def _keyed(ours: list, theirs: list, path: str, key: str) -> list[str]:
    ours_by = {item.get(key): item for item in ours if isinstance(item, dict)}
    theirs_by = {item.get(key): item for item in theirs if isinstance(item, dict)}
    found = []
    for ident in sorted(set(ours_by) | set(theirs_by), key=str):
        where = f"{path}[{ident}]"
        if ident not in theirs_by:
            found.append(f"{where}: missing at the hub")
        elif ident not in ours_by:
            found.append(f"{where}: only at the hub")
        else:
            found += differences(ours_by[ident], theirs_by[ident], where)
    return found
