"""The bridge request being answered, so its log row can commit with the event's effect.

`views.CsmsView` opens one per request; `services.once` writes the exchange's MessageLog
row in the statement that stores the event's answer (one statement, one commit, before the
answer is sent) and marks it logged; the view logs only what was not (refusals, replays,
requests refused before an event was processed).
"""

from __future__ import annotations

import contextvars
import time
import uuid
from dataclasses import dataclass, field

from rest_framework.renderers import JSONRenderer

MODULE = "csms"
_current: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar(
    "csms_exchange", default=None
)


@dataclass
class Exchange:
    request: object  # the Django HttpRequest
    raw: bytes
    started: float = field(default_factory=time.monotonic)
    csms: object = None
    logged: bool = False

    def log_fields(self, *, http_status: int, response_body: bytes, event_id: str) -> dict:
        """What roaming.message_log records of this exchange."""
        request = self.request
        headers = dict(request.headers)
        if self.csms is not None:
            headers["CSMS"] = str(self.csms)  # who called: the key itself is hidden
        return dict(
            direction="IN",
            method=request.method,
            url=request.build_absolute_uri(),
            module=MODULE,
            request_headers=headers,
            request_body=self.raw,
            http_status=http_status,
            response_body=response_body,
            duration_ms=int((time.monotonic() - self.started) * 1000),
            request_id=request.headers.get("X-Request-ID") or str(uuid.uuid4()),
            correlation_id=request.headers.get("X-Correlation-ID", ""),
            object_id=event_id,
        )


def begin(request, raw: bytes) -> contextvars.Token:
    return _current.set(Exchange(request, raw))


def end(token: contextvars.Token) -> None:
    _current.reset(token)


def current() -> Exchange | None:
    return _current.get()


def render(answer: dict) -> bytes:
    """The 200 body the view will send for `answer` (the same renderer)."""
    return JSONRenderer().render(answer)
