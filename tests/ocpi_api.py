"""Inbound OCPI API tests: the calling platform's token and request headers.

The platform itself: tests.factories.PlatformFactory(connected=True).
"""

import base64

TOKEN = "token-c-for-tests"
EMSP = {
    "role": "EMSP",
    "country_code": "DE",
    "party_id": "TNM",
    "business_details": {"name": "eMSP"},
}


def ocpi_headers(token: str = TOKEN, **extra) -> dict:
    """Django test client kwargs: Authorization and routing headers (None removes one)."""
    values = {
        "HTTP_AUTHORIZATION": f"Token {base64.b64encode(token.encode()).decode()}",
        "HTTP_OCPI_TO_COUNTRY_CODE": "FR",
        "HTTP_OCPI_TO_PARTY_ID": "cpo",
        "HTTP_OCPI_FROM_COUNTRY_CODE": "DE",
        "HTTP_OCPI_FROM_PARTY_ID": "TNM",
    }
    values.update(extra)
    return {key: value for key, value in values.items() if value is not None}
