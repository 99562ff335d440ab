"""Drive one served OpenAPI schema with schemathesis (Python API) against a live server.

`run(schema_url, headers=..., checks=...)` generates requests from every operation of the
schema (a bounded number each, hypothesis derandomized), sends them over
real HTTP and returns the failures, one line per distinct (operation, check, answer): a test
asserts the list is empty. `ocpi_accepts_valid_data` is the OCPI form of schemathesis'
positive_data_acceptance (OCPI refuses a body with HTTP 200 and status 2001, which the
built-in check, reading HTTP statuses only, takes for an acceptance).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

EXAMPLES_PER_OPERATION = 8
# OCPI 2.2.1 status_codes: 2001 "Invalid or missing parameters" with HTTP 200 or 400 is the
# refusal of a body or URL; with HTTP 404 it says an object does not exist, not its form.
INVALID_PARAMETERS = 2001


@schemathesis.check
def ocpi_accepts_valid_data(ctx, response, case):
    """A request the schema allows is never answered "invalid or missing parameters"."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    try:
        answer = response.json()
    except ValueError:
        return None
    if (
        response.status_code in (200, 400)
        and isinstance(answer, dict)
        and answer.get("status_code") == INVALID_PARAMETERS
    ):
        raise AssertionError(f"Schema-valid request refused with OCPI 2001: {answer}")
    return None


def run(
    schema_url: str,
    *,
    headers: dict[str, str],
    checks: list,
    modes=(GenerationMode.POSITIVE,),
    examples: int = EXAMPLES_PER_OPERATION,
    path_parameters=None,
    exclude: tuple[str, ...] = (),
    expected_statuses: list[str] | None = None,
    prepare=None,
) -> list[str]:
    """`expected_statuses`: what positive_data_acceptance takes for an acceptance (its default
    counts 5xx too: not_a_server_error judges those)."""
    accepted = expected_statuses or ["2xx", "401", "403", "404", "409", "429"]
    config = schemathesis.Config.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": accepted}}}
    )
    schema = schemathesis.openapi.from_url(schema_url, config=config)
    failures: dict[str, None] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if f"{operation.method.upper()} {operation.path}" in exclude:
            continue
        for mode in modes:
            strategy = operation.as_strategy(
                generation_mode=mode, path_parameters=(path_parameters or {}).get(operation.path)
            )
            _probe(strategy, mode, headers, checks, examples, failures, prepare)()
    return list(failures)


def _probe(strategy, mode, headers, checks, examples, failures, prepare):
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(strategy)
    def probe(case):
        _echo_url_ids(case)
        if prepare is not None:
            prepare(case)
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                failures[_line(case, mode, failure, response)] = None

    return probe


def times_not_ahead(case) -> None:
    """A charge point's time is never ahead of ours (the bridge refuses it with 400, a rule
    of the clock that OpenAPI cannot state): drawn times later than now become an hour ago."""
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def visit(value):
        if isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key == "timestamp" and isinstance(item, str) and _ahead(item):
                    value[key] = past
                else:
                    visit(item)

    visit(case.body)


def _ahead(text: str) -> bool:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)


def _echo_url_ids(case) -> None:
    """An object PUT to its URL names itself in the body too (mod_tokens, hubclientinfo:
    ids and ?type= must match the body). OpenAPI cannot state that two values are equal, so
    the body takes the URL's ids and the query the body's type, as real clients send them."""
    if isinstance(case.body, dict):
        for name, value in (case.path_parameters or {}).items():
            if name in case.body:
                case.body[name] = unquote(value)  # as the server reads the URL
        query = {parameter.name for parameter in case.operation.query}
        for name in query & case.body.keys():  # e.g. a Token's type and ?type=
            if isinstance(case.body[name], str):
                case.query = {**(case.query or {}), name: case.body[name]}


def _line(case, mode, failure, response) -> str:
    """What failed and why, with the answer's start: enough to act on without a rerun."""
    title = getattr(failure, "title", type(failure).__name__)
    message = str(getattr(failure, "message", failure)).splitlines()[0]
    answer = response.text[:160].replace("\n", " ")
    return f"{case.method} {case.path} [{mode.value}] {title}: {message} -> {answer}"
