"""LOG_FORMAT=json: one JSON object per line, the request's correlation id on each."""

import json

import requests

from tests.factories import PlatformFactory
from tests.ocpi_api import TOKEN

from .conftest import BIN, ROOT, database_url_of_tests, free_port, production_env, stop, wait_for


def test_a_request_logs_json_lines_with_its_correlation_id(transactional_db, static_root):
    import subprocess

    PlatformFactory(connected=True, name="IOP")
    port = free_port()
    env = production_env(
        DATABASE_URL=database_url_of_tests(), STATIC_ROOT=str(static_root),
        GUNICORN_BIND=f"127.0.0.1:{port}", WEB_WORKERS="1", LOG_FORMAT="json",
    )
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", proc)
        answer = requests.get(
            f"http://127.0.0.1:{port}/ocpi/versions",
            headers={"Authorization": f"Token {TOKEN}", "X-Correlation-ID": "corr-4711",
                     "X-SSL-Client-Subject": "CN=iop.gireve.test", "Host": "cpo.example.com",
                     "X-Forwarded-Proto": "https"},
            timeout=10,
        )
        assert answer.status_code == 200
        assert answer.headers["X-Correlation-ID"] == "corr-4711"
    finally:
        stop(proc)
        output = proc.stdout.read()
    app_lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    mine = [line for line in app_lines if line["correlation_id"] == "corr-4711"]
    assert any("client certificate CN=iop.gireve.test" in line["message"] for line in mine)
    assert {"time", "level", "logger", "message"} <= set(mine[0])
