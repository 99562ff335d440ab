"""Every malformed request of issue 3's list gets a spec-correct OCPI error and changes nothing.

One row per bad request: the HTTP status and OCPI status_code the spec asks for
(transport_and_format, status_codes, credentials, mod_tokens, mod_commands, mod_sessions,
mod_hub_client_info), the field the message must name, and a snapshot of every table the
OCPI API writes, taken before and after, which must be equal. Never a 500.
"""

import json
from dataclasses import dataclass, field

import pytest
from django.test import Client

from locations.models import Location
from roaming.models import HubClientInfo, MessageLog, Operator, Platform, PlatformEndpoint
from sessions.models import Token
from tests.factories import HubClientInfoFactory, PlatformFactory, TokenFactory
from tests.ocpi_api import TOKEN, ocpi_headers

pytestmark = pytest.mark.django_db

TOKEN_A = "token-a-still-registering"
TOKEN_A_USED = "token-a-already-used"
KNOWN_TOKEN_URL = "/ocpi/2.2.1/tokens/DE/TNM/KNOWN01"
NEW_TOKEN_URL = "/ocpi/2.2.1/tokens/DE/TNM/NEW01"
TOKEN_BODY = {
    "country_code": "DE",
    "party_id": "TNM",
    "uid": "NEW01",
    "type": "RFID",
    "contract_id": "DE8ACC12E46L89",
    "issuer": "TheNewMotion",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2026-01-01T12:00:00Z",
}
CLIENT_INFO = {
    "party_id": "ALL",
    "country_code": "NL",
    "role": "EMSP",
    "status": "CONNECTED",
    "last_updated": "2026-01-01T12:00:00Z",
}
CREDENTIALS = {
    "token": "their-token",
    "url": "https://hub.example.com/ocpi/versions",
    "roles": [
        {
            "role": "HUB",
            "country_code": "FR",
            "party_id": "107",
            "business_details": {"name": "IOP"},
        }
    ],
}
STOP = {"response_url": "https://emsp.example.com/cb/1", "session_id": "S1"}


def body(obj, **changes) -> str:
    return json.dumps(obj | changes)


@dataclass
class Bad:
    method: str
    path: str
    http: int
    ocpi: int
    says: str = ""  # what status_message must name (the field, header or object)
    body: str | None = None
    token: str = TOKEN
    headers: dict = field(default_factory=dict)  # overrides of tests.ocpi_api.ocpi_headers
    content_type: str = "application/json"
    logged: bool = True  # Django's 404 handler answers unknown URLs: no view, no log entry


BAD_REQUESTS = {
    # transport_and_format §Authorization header: missing or unknown token -> 401.
    "no token": Bad(
        "GET", "/ocpi/2.2.1/locations", 401, 2000, headers={"HTTP_AUTHORIZATION": None}
    ),
    "not a Token scheme": Bad(
        "GET", "/ocpi/2.2.1/locations", 401, 2000, headers={"HTTP_AUTHORIZATION": "Bearer x"}
    ),
    "invalid token": Bad("GET", "/ocpi/2.2.1/locations", 401, 2000, token="nobody-has-this"),
    "invalid token on credentials": Bad(
        "GET", "/ocpi/2.2.1/credentials", 401, 2000, token="nobody-has-this"
    ),
    # A token A only opens versions and credentials, and stops working after registration.
    "token A on a functional module": Bad(
        "PUT", NEW_TOKEN_URL, 401, 2000, body=body(TOKEN_BODY), token=TOKEN_A
    ),
    "token A after registration on versions": Bad(
        "GET", "/ocpi/versions", 401, 2000, token=TOKEN_A_USED
    ),
    "token A after registration on credentials": Bad(
        "POST", "/ocpi/2.2.1/credentials", 401, 2000, body=body(CREDENTIALS), token=TOKEN_A_USED
    ),
    # Gireve §2.1.3 / transport_and_format §Message Routing headers.
    "missing OCPI-to-party-id": Bad(
        "GET",
        "/ocpi/2.2.1/locations",
        400,
        2001,
        "OCPI-to-party-id",
        headers={"HTTP_OCPI_TO_PARTY_ID": None},
    ),
    "missing OCPI-from-country-code": Bad(
        "PUT",
        NEW_TOKEN_URL,
        400,
        2001,
        "OCPI-from-country-code",
        body=body(TOKEN_BODY),
        headers={"HTTP_OCPI_FROM_COUNTRY_CODE": None},
    ),
    "OCPI-to names no operator of ours": Bad(
        "PUT",
        NEW_TOKEN_URL,
        400,
        2001,
        "OCPI-to",
        body=body(TOKEN_BODY),
        headers={"HTTP_OCPI_TO_PARTY_ID": "ZZZ"},
    ),
    "OCPI-from names a party not behind the platform": Bad(
        "PUT",
        NEW_TOKEN_URL,
        400,
        2001,
        "OCPI-from",
        body=body(TOKEN_BODY),
        headers={"HTTP_OCPI_FROM_PARTY_ID": "XXX"},
    ),
    "token URL names a party not behind the platform": Bad(
        "PUT",
        "/ocpi/2.2.1/tokens/NL/XXX/NEW01",
        404,
        2001,
        "country_code/party_id",
        body=body(TOKEN_BODY, country_code="NL", party_id="XXX"),
    ),
    "OCPI-from-party-id too long": Bad(
        "GET",
        "/ocpi/2.2.1/locations",
        400,
        2001,
        "OCPI-from-party-id",
        headers={"HTTP_OCPI_FROM_PARTY_ID": "TNMX"},
    ),
    "OCPI-to-country-code with a NUL": Bad(
        "GET",
        "/ocpi/2.2.1/locations",
        400,
        2001,
        "OCPI-to-country-code",
        headers={"HTTP_OCPI_TO_COUNTRY_CODE": "F\x00"},
    ),
    # types §CiString: ids in URLs are printable ASCII (PostgreSQL cannot even search a NUL).
    "NUL in a token URL": Bad("GET", "/ocpi/2.2.1/tokens/DE/TNM/A%00B", 400, 2001, "uid"),
    "NUL in a location URL": Bad("GET", "/ocpi/2.2.1/locations/A%00B", 400, 2001, "location_id"),
    "NUL in a client info URL": Bad(
        "GET", "/ocpi/2.2.1/hubclientinfo/N%00/ALL", 400, 2001, "country_code"
    ),
    "NUL in a token field": Bad(
        "PUT", NEW_TOKEN_URL, 200, 2001, "NUL", body=body(TOKEN_BODY, contract_id="C\x00")
    ),
    "NUL in a credentials business name": Bad(
        "POST",
        "/ocpi/2.2.1/credentials",
        200,
        2001,
        "NUL",
        body=json.dumps(
            CREDENTIALS
            | {"roles": [CREDENTIALS["roles"][0] | {"business_details": {"name": "I\x00P"}}]}
        ),
        token=TOKEN_A,
    ),
    # Unknown objects: status_codes "GET ... resource does NOT exist -> 404".
    "unknown location": Bad("GET", "/ocpi/2.2.1/locations/NOPE", 404, 2003, "location"),
    "unknown token GET": Bad("GET", "/ocpi/2.2.1/tokens/DE/TNM/NOPE", 404, 2004, "token"),
    "unknown token GET of another type": Bad(
        "GET", f"{KNOWN_TOKEN_URL}?type=APP_USER", 404, 2004, "token"
    ),
    "PATCH of an unknown token": Bad(
        "PATCH",
        "/ocpi/2.2.1/tokens/DE/TNM/NOPE",
        404,
        2004,
        "token",
        body=json.dumps({"valid": False, "last_updated": "2026-01-01T12:00:00Z"}),
    ),
    "unknown client info": Bad("GET", "/ocpi/2.2.1/hubclientinfo/BE/XYZ", 404, 2001, "ClientInfo"),
    "unknown endpoint": Bad("GET", "/ocpi/2.2.1/nothing/here", 404, 2000, "endpoint", logged=False),
    # status_codes: not valid JSON -> HTTP 400 (the transport layer).
    "malformed JSON token": Bad("PUT", NEW_TOKEN_URL, 400, 2001, "JSON", body='{"uid": "NEW01",'),
    "malformed JSON client info": Bad(
        "PUT", "/ocpi/2.2.1/hubclientinfo/NL/ALL", 400, 2001, "JSON", body="{nope"
    ),
    "malformed JSON credentials": Bad(
        "POST", "/ocpi/2.2.1/credentials", 400, 2001, "JSON", body="[", token=TOKEN_A
    ),
    "malformed JSON command": Bad(
        "POST", "/ocpi/2.2.1/commands/STOP_SESSION", 400, 2001, "JSON", body="{"
    ),
    "JSON that is not UTF-8": Bad("PUT", NEW_TOKEN_URL, 400, 2001, "JSON", body="\udcff"),
    "not JSON at all": Bad(
        "PUT",
        NEW_TOKEN_URL,
        415,
        2000,
        "Content-Type",
        body="uid=NEW01",
        content_type="text/plain",
    ),
    # Wrong types or values in valid JSON: 2001 naming the field, with HTTP 200 (status_codes:
    # a request that reached the OCPI layer gets no HTTP error status; Gireve retries non-2xx).
    "token body is a list": Bad("PUT", NEW_TOKEN_URL, 200, 2001, "body", body="[]"),
    "token valid is a string": Bad(
        "PUT", NEW_TOKEN_URL, 200, 2001, "valid", body=body(TOKEN_BODY, valid="yes")
    ),
    "token whitelist unknown": Bad(
        "PUT", NEW_TOKEN_URL, 200, 2001, "whitelist", body=body(TOKEN_BODY, whitelist="SOMETIMES")
    ),
    "token uid too long": Bad(
        "PUT", NEW_TOKEN_URL, 200, 2001, "uid", body=body(TOKEN_BODY, uid="X" * 37)
    ),
    "token missing contract_id": Bad(
        "PUT",
        NEW_TOKEN_URL,
        200,
        2001,
        "contract_id",
        body=json.dumps({k: v for k, v in TOKEN_BODY.items() if k != "contract_id"}),
    ),
    "token uid differs from the URL": Bad(
        "PUT", "/ocpi/2.2.1/tokens/DE/TNM/OTHER", 200, 2001, "uid", body=body(TOKEN_BODY)
    ),
    "token type differs from ?type=": Bad(
        "PUT", f"{NEW_TOKEN_URL}?type=APP_USER", 200, 2001, "type", body=body(TOKEN_BODY)
    ),
    "unknown ?type=": Bad("GET", f"{KNOWN_TOKEN_URL}?type=CARD", 200, 2001, "type"),
    "PATCH without last_updated": Bad(
        "PATCH", KNOWN_TOKEN_URL, 200, 2001, "last_updated", body=json.dumps({"valid": False})
    ),
    "PATCH setting a required field to null": Bad(
        "PATCH",
        KNOWN_TOKEN_URL,
        200,
        2001,
        "valid: required",
        body=json.dumps({"valid": None, "last_updated": "2026-01-01T12:00:00Z"}),
    ),
    "PATCH changing the uid": Bad(
        "PATCH",
        KNOWN_TOKEN_URL,
        200,
        2001,
        "uid",
        body=json.dumps({"uid": "OTHER", "last_updated": "2026-01-01T12:00:00Z"}),
    ),
    # types §DateTime: UTC, 'Z' or no designator, string(25); "+00:00 is not the same as UTC".
    "token last_updated with an offset": Bad(
        "PUT",
        NEW_TOKEN_URL,
        200,
        2001,
        "last_updated",
        body=body(TOKEN_BODY, last_updated="2026-01-01T12:00:00+00:00"),
    ),
    "token last_updated not a date": Bad(
        "PUT",
        NEW_TOKEN_URL,
        200,
        2001,
        "last_updated",
        body=body(TOKEN_BODY, last_updated="2026-02-30T12:00:00Z"),
    ),
    "token last_updated a number": Bad(
        "PUT",
        NEW_TOKEN_URL,
        200,
        2001,
        "last_updated",
        body=body(TOKEN_BODY, last_updated=1767268800),
    ),
    "client info last_updated too long": Bad(
        "PUT",
        "/ocpi/2.2.1/hubclientinfo/NL/ALL",
        200,
        2001,
        "last_updated",
        body=body(CLIENT_INFO, last_updated="2026-01-01T12:00:00.1234567Z"),
    ),
    "client info status unknown": Bad(
        "PUT",
        "/ocpi/2.2.1/hubclientinfo/NL/ALL",
        200,
        2001,
        "status",
        body=body(CLIENT_INFO, status="HAPPY"),
    ),
    "client info party differs from the URL": Bad(
        "PUT", "/ocpi/2.2.1/hubclientinfo/NL/XXX", 200, 2001, "party_id", body=body(CLIENT_INFO)
    ),
    "date_from with an offset": Bad(
        "GET",
        "/ocpi/2.2.1/locations?date_from=2026-01-01T12:00:00%2B02:00",
        200,
        2001,
        "date_from",
    ),
    "date_to not a date": Bad(
        "GET", "/ocpi/2.2.1/locations?date_to=yesterday", 200, 2001, "date_to"
    ),
    "limit not a number": Bad("GET", "/ocpi/2.2.1/locations?limit=ten", 200, 2001, "limit"),
    "offset beyond any count": Bad(
        "GET", "/ocpi/2.2.1/locations?offset=99999999999999999999999", 200, 2001, "offset"
    ),
    "negative offset": Bad("GET", "/ocpi/2.2.1/locations?offset=-10", 200, 2001, "offset"),
    "credentials without url": Bad(
        "POST",
        "/ocpi/2.2.1/credentials",
        200,
        2001,
        "url",
        body=json.dumps({k: v for k, v in CREDENTIALS.items() if k != "url"}),
        token=TOKEN_A,
    ),
    "credentials token with a space": Bad(
        "POST",
        "/ocpi/2.2.1/credentials",
        200,
        2001,
        "token: only printable ASCII",
        body=body(CREDENTIALS, token="their token"),
        token=TOKEN_A,
    ),
    "credentials role unknown": Bad(
        "POST",
        "/ocpi/2.2.1/credentials",
        200,
        2001,
        "roles[0].role",
        body=json.dumps(CREDENTIALS | {"roles": [CREDENTIALS["roles"][0] | {"role": "KING"}]}),
        token=TOKEN_A,
    ),
    # credentials §POST/PUT/DELETE: 405 when (not) registered.
    "credentials POST when registered": Bad(
        "POST", "/ocpi/2.2.1/credentials", 405, 2000, "PUT", body=body(CREDENTIALS)
    ),
    "credentials PUT before registration": Bad(
        "PUT", "/ocpi/2.2.1/credentials", 405, 2000, "POST", body=body(CREDENTIALS), token=TOKEN_A
    ),
    "credentials DELETE before registration": Bad(
        "DELETE", "/ocpi/2.2.1/credentials", 405, 2000, "registered", token=TOKEN_A
    ),
    # Methods an interface does not have (mod_tokens: DELETE n/a; locations sender: GET only).
    "DELETE a token": Bad("DELETE", KNOWN_TOKEN_URL, 405, 2000, "DELETE"),
    "POST to locations": Bad("POST", "/ocpi/2.2.1/locations", 405, 2000, "POST", body="{}"),
    "GET a command": Bad("GET", "/ocpi/2.2.1/commands/STOP_SESSION", 405, 2000, "GET"),
    "OPTIONS": Bad("OPTIONS", "/ocpi/2.2.1/locations", 405, 2000, "OPTIONS"),
    # mod_commands: the URL segment is a CommandType.
    "unknown command": Bad(
        "POST", "/ocpi/2.2.1/commands/SELF_DESTRUCT", 404, 2001, "SELF_DESTRUCT", body=body(STOP)
    ),
    "command without response_url": Bad(
        "POST",
        "/ocpi/2.2.1/commands/STOP_SESSION",
        200,
        2001,
        "response_url",
        body=json.dumps({"session_id": "S1"}),
    ),
    "command with a wrong type": Bad(
        "POST",
        "/ocpi/2.2.1/commands/UNLOCK_CONNECTOR",
        200,
        2001,
        "connector_id",
        body=json.dumps(
            {
                "response_url": "https://emsp.example.com/cb/2",
                "location_id": "LOC1",
                "evse_uid": "E1",
                "connector_id": 1,
            }
        ),
    ),
    "command with an incomplete Token": Bad(
        "POST",
        "/ocpi/2.2.1/commands/START_SESSION",
        200,
        2001,
        "token: must be a Token object (contract_id: required",
        body=json.dumps(
            {
                "response_url": "https://emsp.example.com/cb/3",
                "location_id": "LOC1",
                "token": {k: v for k, v in TOKEN_BODY.items() if k != "contract_id"},
            }
        ),
    ),
    # mod_sessions §ChargingPreferences.
    "charging preferences profile_type unknown": Bad(
        "PUT",
        "/ocpi/2.2.1/sessions/S1/charging_preferences",
        200,
        2001,
        "profile_type",
        body=json.dumps({"profile_type": "TURBO"}),
    ),
    "charging preferences departure_time with an offset": Bad(
        "PUT",
        "/ocpi/2.2.1/sessions/S1/charging_preferences",
        200,
        2001,
        "departure_time",
        body=json.dumps({"profile_type": "FAST", "departure_time": "2026-01-01T12:00:00+01:00"}),
    ),
    "charging preferences energy_need a string": Bad(
        "PUT",
        "/ocpi/2.2.1/sessions/S1/charging_preferences",
        200,
        2001,
        "energy_need",
        body=json.dumps({"profile_type": "FAST", "energy_need": "20"}),
    ),
    # Issue 9.5: a number beyond what OCPI and our columns hold is refused naming its field.
    "charging preferences energy_need out of range": Bad(
        "PUT",
        "/ocpi/2.2.1/sessions/S1/charging_preferences",
        200,
        2001,
        "energy_need",
        body='{"profile_type": "FAST", "energy_need": 1e400}',
    ),
    # ChargingPreferencesResponse: an EVSE without CHARGING_PREFERENCES_CAPABLE (none of ours)
    # -> HTTP 404 with OCPI 2001, even for a well-formed body.
    "charging preferences (not offered)": Bad(
        "PUT",
        "/ocpi/2.2.1/sessions/S1/charging_preferences",
        404,
        2001,
        "CHARGING_PREFERENCES_CAPABLE",
        body=json.dumps({"profile_type": "FAST", "departure_time": "2026-01-01T12:00:00Z"}),
    ),
    # transport_and_format §Response format: HTTP errors still in the OCPI envelope.
    "oversized body": Bad(
        "PUT",
        NEW_TOKEN_URL,
        413,
        2000,
        "large",
        body=body(TOKEN_BODY, visual_number="x" * 5000),
    ),
}


@pytest.fixture
def world(settings):
    """What the OCPI API could change: our operator, a connected eMSP platform with a token
    and a client info, a platform still holding a token A, one whose token A was used."""
    settings.OCPI_MAX_BODY_BYTES = 4096
    Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")
    platform = PlatformFactory(connected=True)
    PlatformFactory(name="Newcomer", token_a=True, token=TOKEN_A)
    used = PlatformFactory(name="Registered", token_a=True, token=TOKEN_A_USED, status="CONNECTED")
    used.set_incoming_token("its-token-c", registration=False)  # what registration does
    used.save()
    TokenFactory(platform=platform, country_code="DE", party_id="TNM", uid="KNOWN01")
    HubClientInfoFactory(platform=platform, country_code="NL", party_id="ALL")
    return platform


def snapshot() -> dict:
    """Every row the OCPI API may write (the message log aside: it records the refusals)."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Platform, PlatformEndpoint, Token, HubClientInfo, Location, Operator)
    }


@pytest.mark.parametrize("bad", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_request_gets_its_ocpi_error_and_changes_nothing(world, bad):
    before = snapshot()
    kwargs = ocpi_headers(token=bad.token, HTTP_X_REQUEST_ID="bad-1", **bad.headers)
    if bad.body is not None:
        kwargs.update(data=bad.body.encode("utf-8", "surrogateescape"))
        kwargs.update(content_type=bad.content_type)

    response = Client().generic(bad.method, bad.path, **kwargs)

    answer = response.json()
    assert (response.status_code, answer["status_code"]) == (bad.http, bad.ocpi), answer
    assert "data" not in answer  # transport_and_format: an error "contains no data field"
    assert bad.says.lower() in answer["status_message"].lower()
    assert answer["timestamp"].endswith("Z")
    assert response["Content-Type"] == "application/json"
    assert response["X-Request-ID"] == "bad-1" and response["X-Correlation-ID"]
    assert snapshot() == before
    logged = list(MessageLog.objects.values_list("http_status", "ocpi_status"))
    assert logged == ([(bad.http, bad.ocpi)] if bad.logged else [])
