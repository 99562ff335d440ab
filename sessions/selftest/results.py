"""What one self-test records: a result per Gireve use case, with its evidence and timings.

Plain data (dataclasses turned into JSON by `as_json`), so the report is readable without the
platform and a stored run can be shown again years later.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from django.utils import timezone

from roaming.models import MessageLog
from roaming.ocpi_time import format_datetime

PASS, FAIL, WAITING, SKIPPED = "pass", "fail", "waiting", "skipped"

# Gireve §3.3 order, the credentials check after the registration it relies on.
USE_CASES = {
    "register": ("Register (FromIOP or ToIOP)", "Gireve §3.3, §3.4; OCPI 2.2.1 credentials"),
    "credentials": (
        "Credentials: versions and details read with our token",
        "OCPI 2.2.1 version_information_endpoint, credentials; Gireve §3.4",
    ),
    "push_evci": (
        "Push EVCI (ToIOP) and Check EVCI",
        "Gireve §3.3, §3.5.1, §3.5.2; OCPI 2.2.1 mod_locations receiver PUT, PATCH, GET",
    ),
    "pull_evci": ("Pull EVCI (FromIOP)", "Gireve §3.3, §2.1.9; OCPI 2.2.1 mod_locations sender"),
    "rta": (
        "Real-Time Authorization (ToIOP)",
        "Gireve §3.3, §3.6.2; OCPI 2.2.1 mod_tokens POST {uid}/authorize",
    ),
    "commands": (
        "Remote start / Remote stop (FromIOP)",
        "Gireve §3.3, §3.7; OCPI 2.2.1 mod_commands START_SESSION, STOP_SESSION",
    ),
    "push_sessions": (
        "Push Sessions (ToIOP)",
        "Gireve §3.3, §3.8; OCPI 2.2.1 mod_sessions receiver PUT, GET",
    ),
    "push_cdrs": (
        "Push CDRs (ToIOP)",
        "Gireve §3.3, §3.9; OCPI 2.2.1 mod_cdrs receiver POST, GET at Location",
    ),
    "push_tariffs": (
        "Push Tariffs (ToIOP)",
        "Gireve §3.3, §3.10; OCPI 2.2.1 mod_tariffs receiver PUT, GET",
    ),
}


@dataclass
class Evidence:
    """One exchange or observation: a request and its answer (tokens hidden as in the log)."""

    what: str
    method: str = ""
    url: str = ""
    request_body: str = ""
    http_status: int | None = None
    ocpi_status: int | None = None
    response_body: str = ""
    duration_ms: int | None = None
    at: str = ""
    note: str = ""

    @classmethod
    def from_log(cls, what: str, log: MessageLog | None, note: str = "") -> Evidence:
        if log is None:
            return cls(what=what, note=note or "no exchange was logged")
        direction = "we sent" if log.direction == MessageLog.Direction.OUTBOUND else "we received"
        return cls(
            what=f"{what} ({direction})",
            method=log.method,
            url=log.url,
            request_body=log.request_body,
            http_status=log.http_status,
            ocpi_status=log.ocpi_status,
            response_body=log.response_body,
            duration_ms=log.duration_ms,
            at=format_datetime(log.created_at),
            note=note or log.error,
        )


@dataclass
class UseCaseResult:
    """One use case: failures gathered as `problems`; `close` gives the verdict once."""

    key: str
    result: str = WAITING
    reason: str = ""
    checks: list[str] = field(default_factory=list)  # what was verified, one line each
    problems: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""
    seconds: float | None = None
    _started: float = 0.0

    @property
    def title(self) -> str:
        return USE_CASES[self.key][0]

    @property
    def sections(self) -> str:
        return USE_CASES[self.key][1]

    def start(self) -> UseCaseResult:
        self.started_at = format_datetime(timezone.now())
        self._started = time.monotonic()
        return self

    def check(self, ok: bool, passed: str, failed: str) -> bool:
        """Record one verification: `passed` as a check, else `failed` as a problem."""
        if ok:
            self.checks.append(passed)
        else:
            self.problems.append(failed)
        return ok

    def close(self, result: str = PASS, reason: str = "") -> UseCaseResult:
        """The verdict: a failure whenever a problem was recorded, else `result`."""
        if self.problems:
            result, reason = FAIL, "; ".join(self.problems)
        self.result, self.reason = result, reason
        self.finished_at = format_datetime(timezone.now())
        if self._started:
            self.seconds = round(time.monotonic() - self._started, 3)
        return self

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("_started")
        return {"key": self.key, "title": self.title, "sections": self.sections, **data}
