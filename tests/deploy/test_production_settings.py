"""`check --deploy` is clean for the documented production environment, and the admin gets
its styles with DEBUG=0 (WhiteNoise, after collectstatic)."""

import re

import requests

from .conftest import manage, production_env

PROXIED = {"Host": "cpo.example.com", "X-Forwarded-Proto": "https"}


def test_check_deploy_is_clean_with_the_production_example():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_names_the_embedded_defaults():
    """The same check fails loudly on what the embedded run uses."""
    env = production_env(
        OCPI_BASE_URL="http://cpo.example.com/ocpi", CELERY_BROKER_URL="sqla+sqlite:////tmp/b.db",
        CACHE_URL="", METRICS_TOKEN="", HTTPS="0",
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, check=False)
    assert result.returncode == 1
    # (Cookies stay secure even with HTTPS=0: DEBUG off makes them so, docs/accounts.md.)
    for check_id in ("deploy.W001", "deploy.W002", "deploy.W003", "deploy.W004",
                     "security.W008"):
        assert check_id in result.stderr, result.stderr


def test_admin_login_page_gets_its_css_with_debug_off(gunicorn):
    url = gunicorn()
    page = requests.get(f"{url}/admin/login/", headers=PROXIED, timeout=10)
    assert page.status_code == 200
    assert 'name="auth-username"' in page.text
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+\.css)"', page.text)
    base = next(href for href in stylesheets if "/admin/css/base" in href)
    assert re.search(r"base\.[0-9a-f]{12}\.css$", base), base  # the manifest's hashed name
    css = requests.get(f"{url}{base}", headers={**PROXIED, "Accept-Encoding": "gzip"}, timeout=10)
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert css.headers["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in css.headers["Cache-Control"]  # hashed: cached for ever
    assert "body" in css.text


def test_plain_http_is_redirected_to_https_but_probes_are_not(gunicorn):
    url = gunicorn()
    login = requests.get(
        f"{url}/admin/login/", headers={"Host": "cpo.example.com"}, allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 301
    assert login.headers["Location"] == "https://cpo.example.com/admin/login/"
    secure = requests.get(f"{url}/admin/login/", headers=PROXIED, timeout=10)
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]
    assert "Secure" in secure.headers["Set-Cookie"]  # the CSRF cookie
    assert requests.get(f"{url}/health", timeout=10).status_code == 200
