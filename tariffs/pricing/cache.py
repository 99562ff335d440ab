"""Compiled tariffs kept in the process, one per tariff version (issue 21, item 5).

Compiling validates every field and builds the selection functions: it costs about as much
as pricing a CDR, and every CDR and every live estimate of a session used to compile its
tariff again. The key is the tariff's content (its JSON, keys sorted): a new version of a
tariff (another last_updated, other elements) is another entry, and the same version read
twice (a session's snapshot, a CDR's `tariffs[0]`) is found again. A CompiledTariff is
immutable, so one object serves every thread.
"""

import json
from collections import OrderedDict
from threading import Lock

from .tariff import CompiledTariff, compile_tariff

MAX_TARIFFS = 512  # tariff versions kept; the least recently used one is dropped
_compiled: OrderedDict[str, CompiledTariff] = OrderedDict()
_lock = Lock()


def compile_tariff_once(data) -> CompiledTariff:
    """compile_tariff(data), computed once per tariff content in this process; a refused
    tariff is not kept (PricingError again on the next call)."""
    if isinstance(data, CompiledTariff):
        return data
    try:
        key = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    except (TypeError, ValueError):  # not JSON at all: compile_tariff names the field
        return compile_tariff(data)
    with _lock:
        found = _compiled.get(key)
        if found is not None:
            _compiled.move_to_end(key)
            return found
    found = compile_tariff(data)
    with _lock:
        _compiled[key] = found
        if len(_compiled) > MAX_TARIFFS:
            _compiled.popitem(last=False)
    return found


def clear() -> None:
    """Forget every compiled tariff (tests)."""
    with _lock:
        _compiled.clear()
