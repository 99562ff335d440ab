"""docs/operations.md's backup and restore: pg_dump of a live database, pg_restore into a new
one, and the outbox comes back with its undelivered message (re-sent after the restore)."""

import shutil
import subprocess

import psycopg
import pytest
from django.db import connection

from roaming.outbox.models import Message
from tests.factories import OperatorFactory, PlatformFactory

pytestmark = pytest.mark.skipif(shutil.which("pg_dump") is None, reason="no pg_dump")


def url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"


def test_a_dump_restores_with_its_pending_outbox(transactional_db, connected_hub, tmp_path):
    from locations import services
    from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory

    location = LocationFactory(operator=OperatorFactory(country_code="FR", party_id="AB1"))
    ConnectorFactory(evse=EVSEFactory(location=location))
    services.save_location(location=location)
    pending = Message.objects.filter(state=Message.State.PENDING).count()
    assert pending >= 1
    PlatformFactory(name="Another")  # something after the messages, to see it restored too

    dump = tmp_path / "cpo.dump"
    source = connection.settings_dict["NAME"]
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", url(source)], check=True)
    restored = f"{source}_restored"
    with psycopg.connect(url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        admin.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={url(restored)}", str(dump)],
                       check=True)
        with psycopg.connect(url(restored)) as copy:
            (messages,) = copy.execute(
                "SELECT count(*) FROM outbox_message WHERE state = 'PENDING'"
            ).fetchone()
            (platforms,) = copy.execute("SELECT count(*) FROM roaming_platform").fetchone()
        assert messages == pending
        assert platforms == 2
    finally:
        with psycopg.connect(url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}"')
