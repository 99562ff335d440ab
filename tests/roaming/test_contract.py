"""The OCPI receivers keep the contract of their published schema (/api/ocpi/schema/),
checked with schemathesis against a live server and a registered platform (issue 18.8).

Checks, each one failing the test:
- not_a_server_error: no 5xx, whatever the request;
- response_schema_conformance, status_code_conformance, content_type_conformance: every
  answer is documented (the OCPI envelope, at one of the statuses the transport uses);
- positive_data_acceptance and ocpi_accepts_valid_data: a request the schema allows is
  never refused as malformed (HTTP 400/422, or OCPI 2001 at HTTP 200). Unknown objects
  (404, 2003) and 405 (credentials POST once registered: credentials §POST) are answers
  about state, not form, and are accepted.

Left out: DELETE and PUT credentials. DELETE unregisters the platform (every later request
would be 401); PUT makes us call the URL of the body to read its versions (registration,
tested against the hub simulator in test_registration*.py). Negative data (schema-invalid
requests) is not run as a failing check: OCPI answers those 2001 with HTTP 200 by design,
and the built-in negative_data_rejection reads HTTP statuses only.
"""

import pytest
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from roaming.models import Operator
from tests.factories import PlatformFactory
from tests.ocpi_api import EMSP, ocpi_headers
from tests.schemathesis_run import ocpi_accepts_valid_data, run

pytestmark = pytest.mark.django_db(transaction=True)

HUB = {"role": "HUB", "country_code": "FR", "party_id": "107", "business_details": {"name": "IOP"}}
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.response_schema_conformance,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.positive_data_acceptance,
    ocpi_accepts_valid_data,
]


def test_ocpi_receivers_accept_what_their_schema_allows_and_answer_as_documented(live_server):
    Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")
    # A hub: it speaks for every well-formed party, so generated parties reach the bodies.
    PlatformFactory(connected=True, roles=[HUB, EMSP])
    headers = {
        name.removeprefix("HTTP_").replace("_", "-"): value
        for name, value in ocpi_headers().items()
    }

    failures = run(
        f"{live_server.url}/api/ocpi/schema/?format=json",
        headers=headers,
        checks=CHECKS,
        exclude=("DELETE /ocpi/2.2.1/credentials", "PUT /ocpi/2.2.1/credentials"),
        expected_statuses=["2xx", "401", "403", "404", "405", "409", "429"],
    )

    assert not failures, "\n".join(failures)
