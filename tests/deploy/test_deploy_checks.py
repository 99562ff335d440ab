"""config/checks.py: each dangerous production setting is named by `check --deploy`."""

import pytest
from django.core import checks
from django.test import override_settings

REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                           "LOCATION": "redis://127.0.0.1:6379/10"}}
SAFE = dict(
    DEBUG=False, OCPI_BASE_URL="https://cpo.example.com/ocpi",
    CELERY_BROKER_URL="redis://127.0.0.1:6379/9", CACHES=REDIS_CACHE, METRICS_TOKEN="s3cret",
)


def deploy_ids() -> set[str]:
    found = checks.run_checks(include_deployment_checks=True)
    return {message.id for message in found if message.id.startswith("deploy.")}


def test_a_safe_production_configuration_passes():
    with override_settings(**SAFE):
        assert deploy_ids() == set()


@pytest.mark.parametrize(
    "change, check_id",
    [
        ({"OCPI_BASE_URL": "http://cpo.example.com/ocpi"}, "deploy.W001"),
        ({"CELERY_BROKER_URL": "filesystem://"}, "deploy.W002"),
        ({"CELERY_BROKER_URL": "sqla+sqlite:///var/broker.sqlite3"}, "deploy.W002"),
        ({"CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}},
         "deploy.W003"),
        ({"METRICS_TOKEN": ""}, "deploy.W004"),
    ],
)
def test_each_dangerous_setting_is_named(change, check_id):
    with override_settings(**{**SAFE, **change}):
        assert deploy_ids() == {check_id}


def test_the_embedded_broker_and_cache_are_fine_with_debug_on():
    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(**{**SAFE, "DEBUG": True, "CELERY_BROKER_URL": "filesystem://",
                              "CACHES": local}):
        assert deploy_ids() == set()
