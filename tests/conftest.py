"""Shared fixtures. Tests run on PostgreSQL and Redis over real connections."""

from urllib.parse import urlsplit

import pytest


@pytest.fixture(autouse=True)
def _ocpi_base_url(settings):
    settings.OCPI_BASE_URL = "http://testserver/ocpi"


def _redis_db(url: str) -> tuple:
    parts = urlsplit(url)
    return (parts.hostname, parts.port or 6379, (parts.path.strip("/") or "0"))


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counters(settings):
    """OCPI rate-limit counters live in the cache: start each test with none.

    Clearing a Redis cache flushes its whole DB: never the Celery broker's.
    """
    from django.core.cache import cache

    location = str(settings.CACHES["default"].get("LOCATION", ""))
    broker = str(settings.CELERY_BROKER_URL)
    if location.startswith("redis") and _redis_db(location) == _redis_db(broker):
        pytest.exit("CACHE_URL and CELERY_BROKER_URL name the same Redis DB", returncode=2)
    cache.clear()


@pytest.fixture
def hub_simulator():
    """Gireve's IOP played by a real HTTP server on loopback."""
    from roaming.simulator import HubSimulator

    hub = HubSimulator().start()
    yield hub
    hub.stop()


@pytest.fixture
def connected_hub(db, hub_simulator):
    """A CONNECTED platform whose endpoints are the simulator's, tokens agreed both ways."""
    from tests.factories import PlatformFactory

    return PlatformFactory(name="IOP simulator", hub=hub_simulator)


# --- real Celery workers (tests marked `worker`) ---------------------------------------


@pytest.fixture(scope="module")
def private_redis():
    """A redis-server of the module's own as the broker of this process and its workers:
    stopping it (a fault test) or flushing it touches nothing else."""
    from tests.outbox.workers import PrivateRedis, point_celery_at

    redis = PrivateRedis().start()
    previous = point_celery_at(redis.url)
    yield redis
    point_celery_at(previous)
    redis.stop()


@pytest.fixture
def workers(transactional_db, private_redis, tmp_path, settings):
    """`celery worker` subprocesses on this test's database (`workers.start(name)`), stopped
    and the broker emptied at the end."""
    import subprocess

    from django.db import connection

    from tests.outbox.workers import Workers

    # The sweeper run by a test loop (`tasks.sweep`) re-enqueues a lost task after 1 s.
    settings.OUTBOX_REKICK_SECONDS = 1
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"  # test_<name>: where this test writes
    )
    pool = Workers(database_url=database_url, broker_url=private_redis.url, logs=tmp_path)
    yield pool
    pool.stop_all()
    subprocess.run(
        ["redis-cli", "-p", str(private_redis.port), "flushall"], capture_output=True, check=False
    )


# --- staff accounts (roaming.accounts) -------------------------------------------------


@pytest.fixture(autouse=True)
def _second_factor_off_unless_a_test_asks(settings):
    """The suite's default: STAFF_2FA_REQUIRED off, so `client.force_login` opens staff
    pages as before. Production's default is on (DEBUG off); tests/accounts, the admin
    permission walk and the finance permissions turn it on and log in with a device
    (`login_with_second_factor`)."""
    settings.STAFF_2FA_REQUIRED = False


@pytest.fixture
def login_with_second_factor(settings):
    """login_with_second_factor(client, user): a session verified by an enrolled TOTP
    device, through django-otp's own login (as the login page's code step does)."""
    settings.STAFF_2FA_REQUIRED = True

    def login(client, user):
        import django_otp
        from django.http import HttpRequest

        from tests.factories import TOTPDeviceFactory

        device = user.totpdevice_set.first() or TOTPDeviceFactory(user=user)
        client.force_login(user)
        request = HttpRequest()
        request.session, request.user = client.session, user
        django_otp.login(request, device)
        request.session.save()
        return device

    return login


@pytest.fixture
def double(live_server, operator):
    """A CSMS running the test module's `operator`, its command endpoint played by the CSMS
    double (sessions.commands.csms_double) on the live server."""
    from sessions.commands.csms_double import CsmsDouble
    from tests.factories import CsmsFactory

    csms = CsmsFactory(name="SteVe", operators=[operator])
    double = CsmsDouble(
        f"{live_server.url}/api/csms/v1",
        csms.api_key,
        csms.command_secret,
        think=0.05,
        out=lambda line: None,
    ).start()
    csms.command_url = double.url
    csms.save()
    double.csms = csms
    yield double
    double.stop()
