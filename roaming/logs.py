"""The correlation id on every log line of a request or a Celery task.

A request takes its OCPI `X-Correlation-ID` (Gireve §2.1.4), else a fresh one; a task takes its
own task id. `CorrelationFilter` (settings.LOGGING) puts it on each record as `correlation_id`,
so the text and JSON formats both show it, and one grep finds everything a call caused.
"""

import logging
import uuid
from contextvars import ContextVar

_correlation_id: ContextVar[str] = ContextVar("log_correlation_id", default="-")


def current() -> str:
    """The correlation id of the request or task running in this thread ("-" outside one)."""
    return _correlation_id.get()


def bind(value: str):
    """Sets the correlation id; returns the token `unbind` takes."""
    return _correlation_id.set(value)


def unbind(token) -> None:
    _correlation_id.reset(token)


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _correlation_id.get()
        return True


class CorrelationIdMiddleware:
    """First middleware: binds the request's correlation id for everything below it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Correlation-ID", "")[:64]
        token = bind(given or str(uuid.uuid4()))
        try:
            return self.get_response(request)
        finally:
            unbind(token)
