"""Settings, all from the environment (see .env.example)."""

import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else None)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Production: HTTPS behind a reverse proxy (docs/deployment.md, .env.production.example) ---
# HTTPS=1 when nginx (deploy/nginx/cpo-roaming.conf) terminates TLS and sets
# X-Forwarded-Proto: the proxy header is trusted, cookies are secure, HTTP is redirected and
# HSTS is sent. Off for the embedded run and the tests (plain HTTP on 127.0.0.1).
HTTPS = env.bool("HTTPS", default=False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes and Prometheus call gunicorn directly on the machine, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health(/|$)", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# The subject DN of the client certificate nginx verified, as a WSGI environ key
# (nginx: proxy_set_header X-SSL-Client-Subject $ssl_client_s_dn; cleared on every other route).
OCPI_CLIENT_SUBJECT_HEADER = "HTTP_X_SSL_CLIENT_SUBJECT"
# --- end of production: HTTPS ---

# Public base URL of our OCPI API, used in versions, credentials and Link headers.
OCPI_BASE_URL = env("OCPI_BASE_URL", default="http://127.0.0.1:8000/ocpi").rstrip("/")

INSTALLED_APPS = [
    "config.apps.ConfigConfig",  # deploy system checks (config/checks.py)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "nested_admin",  # location + EVSEs + connectors on one admin page
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "roaming",
    "roaming.outbox",
    "locations",
    "tariffs",
    "sessions.apps.ChargingConfig",
    "sessions.csms.apps.CsmsConfig",
    "sessions.commands.apps.CommandsConfig",
    "sessions.selftest.apps.SelftestConfig",
]

MIDDLEWARE = [
    # The request's correlation id on every log line below (roaming/logs.py).
    "roaming.logs.CorrelationIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from the web process itself, hashed and compressed (no nginx location).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF: an oversize form gets the friendly 400 page, also under DEBUG.
    "config.oversize.OversizeFormMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded worker and the web server share the file: wait for locks. IMMEDIATE: a
    # transaction takes the write lock when it starts, so one that read first and writes
    # later waits its turn instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
else:
    # Production: keep a connection per gunicorn thread / Celery process for DB_CONN_MAX_AGE
    # seconds (a new PostgreSQL connection costs as much as a short request), checked before
    # each request so one dropped by a PostgreSQL restart is replaced instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int(
        "DB_CONN_MAX_AGE", default=DATABASES["default"].get("CONN_MAX_AGE", 0)
    )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared cache (the OCPI per-token rate limit counts in it, workers and beat write their
# heartbeats in it): Redis when CACHE_URL (or REDIS_URL) is set, e.g.
# redis://127.0.0.1:6379/8, so every process on every machine shares it; files in var/cache
# for the embedded run (.ci/start, no server; the web server and the worker still share it).
# Use a Redis DB of its own: the test suite clears the cache before each test.
_CACHE_URL = env("CACHE_URL", default="") or env("REDIS_URL", default="")
CACHES = {
    "default": environ.Env.cache_url_config(_CACHE_URL)
    if _CACHE_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

# AUTH_PASSWORD_VALIDATORS: in the staff accounts block at the end.

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(VAR_DIR / "static"))
# WhiteNoise serves STATIC_ROOT (filled by `manage.py collectstatic`, the release step) with
# hashed names cached for a year and gzip/brotli copies. STATIC_MANIFEST=0 (DEBUG, the tests)
# serves the apps' files as they are, without collectstatic.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without the manifest (no collectstatic) WhiteNoise finds files in the apps, as runserver does.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    # drf-spectacular's @extend_schema builds on this class (schema generation only).
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# OpenAPI schemas (drf-spectacular): each API's view passes its own title and version; the
# interactive pages load Swagger UI / Redoc from the sidecar app (our static files, no CDN).
SPECTACULAR_SETTINGS = {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for OCPI's ProfileType (Token.default_profile_type, SetChargingProfile
    # profile_type): without it `check` warns (drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {"ProfileTypeEnum": "sessions.enums.ProfileType.values"},
}

# Celery. The default broker needs no server, for a single-machine trial (.ci/start): kombu's
# SQLAlchemy transport on a SQLite file, each message a row written in a transaction (the
# filesystem transport it replaces let the worker read a half-written file and crash).
# Production sets CELERY_BROKER_URL=redis://... (config/checks.py warns otherwise).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("sqla+sqlite"):
    VAR_DIR.mkdir(exist_ok=True)
    # The web server enqueues while the worker polls: wait for the file's lock, do not fail.
    # (kombu passes these options to SQLAlchemy's create_engine.)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 30}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Delivery tasks are idempotent (a stream lease guards each delivery), so a task is
# acknowledged only after it ran (acks_late) and given back when its worker process dies
# (reject_on_worker_lost); a duplicate costs one query. The database, not Redis, is the
# source of truth: the beat sweeper re-enqueues every due stream, so a lost task only
# delays a push by one sweep.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task reserved per process: a slow platform does not park queued streams behind it.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Prefork processes per worker (pushes are I/O bound: more than the CPU count is fine).
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=4)
# Redis: an unacknowledged task comes back after this; tasks are short and carry no ETA.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env.int(
        "CELERY_VISIBILITY_TIMEOUT", default=300
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Push outbox (roaming.outbox) ---
# Backoff of a stream whose head failed technically: min(cap, base * 2**(attempts-1)),
# with full jitter in its upper half; retried until delivered.
OUTBOX_BACKOFF_BASE_SECONDS = env.float("OUTBOX_BACKOFF_BASE_SECONDS", default=10.0)
OUTBOX_BACKOFF_CAP_SECONDS = env.float("OUTBOX_BACKOFF_CAP_SECONDS", default=3600.0)
# How often beat re-enqueues due streams (retries and anything whose task was lost).
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=5.0)
# A due stream the sweeper already enqueued is enqueued again after this (task lost).
OUTBOX_REKICK_SECONDS = env.float("OUTBOX_REKICK_SECONDS", default=60.0)
# A lease lasts connect + read timeout of the platform plus this margin; a killed
# worker's stream is taken over once it expires.
OUTBOX_LEASE_MARGIN_SECONDS = env.float("OUTBOX_LEASE_MARGIN_SECONDS", default=30.0)
# A task delivers at most this many messages of one stream before yielding its slot.
OUTBOX_BATCH = env.int("OUTBOX_BATCH", default=200)
# Delivered, skipped and superseded messages are kept this long for audit.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=30)
# /health/outbox answers 503 when a stream has been due longer than this (no worker
# is delivering it); a stream in backoff because the hub fails is not stuck.
OUTBOX_STUCK_SECONDS = env.int("OUTBOX_STUCK_SECONDS", default=900)
# /metrics requires `Authorization: Bearer <METRICS_TOKEN>` when set.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# What /metrics reads from the database at each scrape, one collector per app (roaming/metrics.py).
METRICS_COLLECTORS = [
    "roaming.metrics.OutboxCollector",
    "sessions.metrics.WorkflowCollector",
    "roaming.accounts.metrics.LoginCollector",  # failed staff logins and lockouts
]

# --- Charging sessions and CDRs (sessions.session_services, sessions.session_push) ---
# Seconds between two meter-value updates of one session to the hub. The later Gireve
# revision (cpo_sessions.md): "minimum interval of two minutes"; faster ones are spam.
# Status changes (ACTIVE, COMPLETED, INVALID) are never throttled.
SESSION_UPDATE_MIN_SECONDS = env.int("SESSION_UPDATE_MIN_SECONDS", default=120)
# Currency of a session on an EVSE with no applicable tariff (its cost is 0).
SESSION_DEFAULT_CURRENCY = env("SESSION_DEFAULT_CURRENCY", default="EUR")
# Gireve §3.8.5/§3.9.5: the anonymised CdrToken of a non-roaming charge on an Advenir
# station; every value "to confirm by Gireve during onboarding", hence settings.
# (os.environ, not env(): django-environ reads a leading "$" as a reference to a variable.)
ADVENIR_TOKEN_COUNTRY_CODE = os.environ.get("ADVENIR_TOKEN_COUNTRY_CODE", "$$")
ADVENIR_TOKEN_PARTY_ID = env("ADVENIR_TOKEN_PARTY_ID", default="ADV")
ADVENIR_TOKEN_UID = env("ADVENIR_TOKEN_UID", default="12345671234567")
ADVENIR_TOKEN_TYPE = env("ADVENIR_TOKEN_TYPE", default="RFID")
ADVENIR_TOKEN_CONTRACT_ID = env("ADVENIR_TOKEN_CONTRACT_ID", default="Gireve2Advenir")

# --- Logging (roaming/logs.py) ---
# LOG_FORMAT=json: one JSON object per line (for journald / a log shipper); text otherwise.
# Every line of a request or a Celery task carries its correlation id (the OCPI
# X-Correlation-ID, else a fresh one; a task's own id).
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation": {"()": "roaming.logs.CorrelationFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(correlation_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["correlation"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- OCPI API (inbound, roaming.api) ---
# Largest page a sender interface returns, per module (OCPI 2.2.1 pagination, X-Limit).
OCPI_MAX_PAGE_SIZE = {"locations": 100, "tariffs": 100, "sessions": 50, "cdrs": 20}
# Request bodies above this are refused with HTTP 413 in the OCPI envelope.
OCPI_MAX_BODY_BYTES = env.int("OCPI_MAX_BODY_BYTES", default=1024 * 1024)
# Reverse proxies in front of us (0: callers connect directly). With N, a platform's IP
# allowlist checks the address the outermost proxy saw (N-th X-Forwarded-For from the right).
OCPI_TRUSTED_PROXIES = env.int("OCPI_TRUSTED_PROXIES", default=0)
# Requests per token per window (0 disables); counted in the Django cache.
OCPI_RATE_LIMIT = env.int("OCPI_RATE_LIMIT", default=600)
OCPI_RATE_WINDOW_SECONDS = env.int("OCPI_RATE_WINDOW_SECONDS", default=60)
OCPI_LOG_BODY_LIMIT = env.int("OCPI_LOG_BODY_LIMIT", default=10_000)

# --- OCPI connection (roaming: client, registration, message log retention) ---
# Exchanges older than this are deleted by roaming.tasks.purge_message_log.
OCPI_MESSAGE_LOG_RETENTION_DAYS = env.int("OCPI_MESSAGE_LOG_RETENTION_DAYS", default=30)
# What every CSMS bridge event appends, partitioned by day on PostgreSQL (roaming.partitions,
# sessions.retention): days created this far ahead, whole days dropped past the retention.
PARTITION_DAYS_AHEAD = env.int("PARTITION_DAYS_AHEAD", default=3)
# Processed event ids: a copy replayed after this is processed again.
CSMS_EVENT_RETENTION_DAYS = env.int("CSMS_EVENT_RETENTION_DAYS", default=30)
# Meter samples: a day is dropped only once every session with samples in it is finished
# (CDRs are built at the stop; late values after it recompute from the samples).
METER_SAMPLE_RETENTION_DAYS = env.int("METER_SAMPLE_RETENTION_DAYS", default=90)

# --- Real-time authorization (sessions.authorization, CSMS bridge) ---
# Seconds we wait for the hub's answer to POST tokens/{uid}/authorize: a driver is waiting
# and the charge point's own Authorize timeout is a few seconds (roaming-workflow §7 E2).
AUTHORIZE_TIMEOUT_SECONDS = env.float("AUTHORIZE_TIMEOUT_SECONDS", default=5.0)

# --- Remote commands (sessions.commands; OCPI 2.2.1 mod_commands, roaming-workflow §2) ---
# CommandResponse.timeout we announce (seconds): after it the eMSP may assume no result will
# come, so none is ever posted later. It bounds the CSMS → charge point round trip, not the
# wait for the driver to plug in.
COMMAND_TIMEOUT_SECONDS = env.int("COMMAND_TIMEOUT_SECONDS", default=60)
# A silent charge point gets its TIMEOUT result this many seconds before the announced
# timeout, leaving time to retry the callback; the CSMS call is retried until then too.
COMMAND_TIMEOUT_MARGIN_SECONDS = env.int("COMMAND_TIMEOUT_MARGIN_SECONDS", default=10)
# Seconds one HTTP attempt toward the CSMS command endpoint may take (capped by the time left).
COMMAND_CSMS_TIMEOUT_SECONDS = env.float("COMMAND_CSMS_TIMEOUT_SECONDS", default=5.0)
# A signed CSMS request older or newer than this is refused by the CSMS (replay window).
COMMAND_SIGNATURE_MAX_AGE_SECONDS = env.int("COMMAND_SIGNATURE_MAX_AGE_SECONDS", default=300)
COMMAND_SWEEP_SECONDS = env.float("COMMAND_SWEEP_SECONDS", default=5.0)

# --- Heartbeats (roaming/heartbeat.py, /health/workers) ---
# Beat and each worker write a timestamp in the cache every HEARTBEAT_SECONDS;
# /health/workers answers 503 when one is older than HEARTBEAT_MAX_AGE_SECONDS.
HEARTBEAT_SECONDS = env.float("HEARTBEAT_SECONDS", default=15.0)
HEARTBEAT_MAX_AGE_SECONDS = env.float("HEARTBEAT_MAX_AGE_SECONDS", default=90.0)

# --- The beat schedule: every periodic task, defined once (run exactly one beat: deploy/) ---
CELERY_BEAT_SCHEDULE = {
    # Re-enqueues due streams: retries, and anything whose task was lost.
    "outbox-sweep": {"task": "roaming.outbox.tasks.sweep", "schedule": OUTBOX_SWEEP_SECONDS},
    # Delivered, skipped and superseded messages older than OUTBOX_RETENTION_DAYS.
    "outbox-purge": {"task": "roaming.outbox.tasks.purge", "schedule": 24 * 3600},
    # Exchanges older than OCPI_MESSAGE_LOG_RETENTION_DAYS.
    "purge-ocpi-message-log": {"task": "roaming.tasks.purge_message_log", "schedule": 24 * 3600},
    # Day partitions created ahead; old days of processed events and samples dropped.
    "maintain-partitions": {"task": "sessions.tasks.maintain_partitions", "schedule": 3600},
    # Safety net if a timeout or callback task was lost: the database says what is due.
    "commands-sweep": {"task": "sessions.commands.tasks.sweep", "schedule": COMMAND_SWEEP_SECONDS},
    # Proves a worker takes tasks from the broker (the beat's own heartbeat is its process's).
    "worker-heartbeat": {"task": "roaming.tasks.worker_heartbeat", "schedule": HEARTBEAT_SECONDS},
}
if CELERY_BROKER_URL.startswith("sqla+sqlite"):
    # The embedded broker keeps consumed messages: delete them (config/tasks.py).
    CELERY_BEAT_SCHEDULE["purge-embedded-broker"] = {
        "task": "config.tasks.purge_consumed_broker_messages",
        "schedule": 3600,
    }

# --- Staff accounts (roaming.accounts; issue 23, docs/accounts.md) ---------------------------
# Logins throttled by django-axes, a second factor from django-otp / django-two-factor-auth,
# bounded sessions, the password policy. Kept in one block: production settings live above.
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_static",  # backup codes
    "django_otp.plugins.otp_totp",  # authenticator apps (TOTP, RFC 6238)
    "two_factor",
    "axes",
    "roaming.accounts",  # after the otp plugins: its admin replaces theirs
]
_after_auth = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
MIDDLEWARE.insert(_after_auth, "django_otp.middleware.OTPMiddleware")  # user.is_verified()
_after_messages = MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1
# A second factor, the session lifetime (it tells why it logged you out: after messages).
MIDDLEWARE.insert(_after_messages, "roaming.accounts.middleware.StaffAccessMiddleware")
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks: the lockout page
# axes first: a locked-out username or address is refused before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "admin:login"  # served by roaming.accounts.views.StaffLoginView
LOGIN_REDIRECT_URL = "admin:index"

# A second factor for superusers and staff (roaming.accounts.policy). On unless DEBUG: the
# embedded run (.ci/start) logs in with the printed password alone, and says so.
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED", default=not DEBUG)
# Seconds the login wizard waits between password and code before starting over.
TWO_FACTOR_LOGIN_TIMEOUT = 600

# Lockouts (django-axes): after AXES_FAILURE_LIMIT failed logins by one username, or from one
# address, that username (or address) is refused for AXES_COOLOFF_MINUTES, or until an admin
# unlocks it (Staff accounts › Access attempts). Unknown usernames count alike: the page never
# tells whether an account exists.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_ON_SUCCESS = True  # a typo or two before a good login is forgotten
AXES_LOCKOUT_CALLABLE = "roaming.accounts.views.locked_out"  # 429, the same words for all
AXES_ENABLE_ADMIN = False  # roaming.accounts.admin: unlocking is audited
AXES_DISABLE_ACCESS_LOG = True  # successful logins: in the audit trail, not a second log
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts are in the audit trail
# The client's address as the OCPI API sees it: REMOTE_ADDR, or behind OCPI_TRUSTED_PROXIES
# reverse proxies the X-Forwarded-For entry the outermost one wrote (one rule for both).
AXES_CLIENT_IP_CALLABLE = "roaming.api.access.client_address"
AXES_SENSITIVE_PARAMETERS = ["password", "auth-password"]

# Sessions: a staff login lasts at most STAFF_SESSION_HOURS, and ends after
# STAFF_IDLE_MINUTES without a request (roaming.accounts.policy renews the expiry at most
# once a minute, so a page view does not write its session row each time).
STAFF_SESSION_HOURS = env.float("STAFF_SESSION_HOURS", default=8)
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=60)
SESSION_COOKIE_AGE = STAFF_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
# Cookies: HTTPS only unless DEBUG, out of reach of scripts, not sent by other sites' forms.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS or not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS or not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A password change ends every other session of that user: Django's session auth hash
# (django.contrib.auth.get_user), tested in tests/accounts/test_sessions.py.

# Passwords: at least 12 characters, not one of the 20,000 commonest, not all digits, not
# close to the username or e-mail (docs/accounts.md).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
