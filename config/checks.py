"""Deploy checks (`manage.py check --deploy`): settings that work on a laptop and hurt in
production. Each message names the setting and what to set instead (.env.production.example).
"""

from django.conf import settings
from django.core.checks import Warning, register

EMBEDDED_BROKERS = ("filesystem://", "sqla+sqlite", "memory://")
PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(deploy=True)
def ocpi_base_url_is_https(app_configs, **kwargs):
    if settings.OCPI_BASE_URL.startswith("https://"):
        return []
    return [
        Warning(
            f"OCPI_BASE_URL is {settings.OCPI_BASE_URL!r}: the hub receives it in our versions "
            "and credentials and calls it; Gireve only calls HTTPS.",
            hint="Set OCPI_BASE_URL=https://<your public host>/ocpi.",
            id="deploy.W001",
        )
    ]


@register(deploy=True)
def broker_and_cache_are_shared(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    found = []
    if settings.CELERY_BROKER_URL.startswith(EMBEDDED_BROKERS):
        found.append(
            Warning(
                f"CELERY_BROKER_URL is {settings.CELERY_BROKER_URL.split(':')[0]}:… with DEBUG "
                "off: the embedded broker is for one trial machine (one worker, no server).",
                hint="Set CELERY_BROKER_URL=redis://<host>:6379/<db>.",
                id="deploy.W002",
            )
        )
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in PROCESS_LOCAL_CACHES:
        found.append(
            Warning(
                f"The cache is {backend.rsplit('.', 1)[-1]} with DEBUG off: rate limits and "
                "heartbeats are not shared by every process on every machine.",
                hint="Set CACHE_URL=redis://<host>:6379/<db> (a Redis DB of its own).",
                id="deploy.W003",
            )
        )
    return found


@register(deploy=True)
def metrics_token_is_set(app_configs, **kwargs):
    if settings.METRICS_TOKEN:
        return []
    return [
        Warning(
            "METRICS_TOKEN is empty: /metrics shows platform names and backlogs to anyone.",
            hint="Set METRICS_TOKEN to a random value and give it to Prometheus "
            "(authorization: credentials).",
            id="deploy.W004",
        )
    ]
