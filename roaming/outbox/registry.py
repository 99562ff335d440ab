"""What each app sends to rebuild one of its objects at the hub: whole-object PUTs per stream kind.

`roaming` knows no domain app (docs/architecture.md), yet healing (healing.py) must send the
current whole location when the hub lost it. So the app that owns a stream kind registers,
at start-up, a function that builds those PUTs from its own data:

    # locations/apps.py ready()
    registry.register_whole_object("location", push.whole_object)

A builder takes the stream key ("location:12") and the path the hub lacks
("/FR/AB1/LOC1" or "/FR/AB1/LOC1/E1", relative to the module's RECEIVER endpoint) and returns
the requests to send, as (method, path, body), in order; an empty list when it cannot rebuild
it (the object is gone or no longer shared), and the stream then stays as the hub left it.
"""

from __future__ import annotations

from collections.abc import Callable

Request = tuple[str, str, object]
WholeObjectBuilder = Callable[[str, str], list[Request]]

_whole_object: dict[str, WholeObjectBuilder] = {}


def stream_kind(stream_key: str) -> str:
    """ "location" for "location:12" (stream keys are "<kind>:<ids>")."""
    return stream_key.split(":", 1)[0]


def register_whole_object(kind: str, builder: WholeObjectBuilder) -> None:
    """Declare how streams of `kind` rebuild an object the hub lost (one builder per kind)."""
    registered = _whole_object.get(kind)
    if registered is not None and registered is not builder:
        raise ValueError(f"a whole-object builder is already registered for {kind!r}")
    _whole_object[kind] = builder


def whole_object(stream_key: str, missing_path: str) -> list[Request]:
    """The PUTs that give the hub back `missing_path` of this stream's object ([] if none)."""
    builder = _whole_object.get(stream_kind(stream_key))
    return list(builder(stream_key, missing_path)) if builder else []
