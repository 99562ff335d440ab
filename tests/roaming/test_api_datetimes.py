"""DateTimes others send us (OCPI 2.2.1 types §DateTime), read end to end through the API.

Refusals (offsets, too long, not a date, not a string) are rows of test_bad_requests.py.
"""

import datetime as dt
import json

import pytest
from django.test import Client

from roaming.models import Operator
from sessions.models import Token
from tests.factories import PlatformFactory
from tests.ocpi_api import ocpi_headers

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture(autouse=True)
def connection():
    Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")
    return PlatformFactory(connected=True)


# types §DateTime: the spec's own list of allowed formats ("other formats are not allowed").
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-29T20:39:09Z", dt.datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09", dt.datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2016-12-29T17:45:09.2Z", dt.datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC)),
        ("2016-12-29T17:45:09.2", dt.datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123Z", dt.datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123", dt.datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC)),
    ],
)
def test_every_spec_datetime_format_is_read_as_utc_and_written_back_with_z(text, expected):
    token = {
        "country_code": "DE",
        "party_id": "TNM",
        "uid": "T1",
        "type": "RFID",
        "contract_id": "C1",
        "issuer": "TNM",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": text,
    }
    url = "/ocpi/2.2.1/tokens/DE/TNM/T1"
    put = Client().put(url, json.dumps(token), content_type="application/json", **ocpi_headers())
    assert put.status_code == 201, put.json()

    assert Token.objects.get().last_updated == expected
    written = Client().get(url, **ocpi_headers()).json()["data"]["last_updated"]
    assert written == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    listing = Client().get(f"/ocpi/2.2.1/locations?date_from={text}", **ocpi_headers())
    assert listing.status_code == 200, listing.json()
