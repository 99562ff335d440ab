"""The OpenAPI description of our OCPI endpoints (drf-spectacular, /api/ocpi/schema/)."""

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema

from roaming.models import Operator
from tests.factories import PlatformFactory
from tests.ocpi_api import ocpi_headers

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_and_describes_every_module_we_list():
    response = Client().get("/api/ocpi/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()

    validate_schema(schema)  # OpenAPI 3 JSON Schema: raises when the document is not valid
    Operator.objects.create(country_code="FR", party_id="CPO", name="Our network")
    PlatformFactory(connected=True)
    details = Client().get("/ocpi/2.2.1", **ocpi_headers()).json()["data"]["endpoints"]
    for endpoint in details:
        path = endpoint["url"].removeprefix("http://testserver")
        assert any(p == path or p.startswith(path + "/") for p in schema["paths"]), path
    token_put = schema["paths"]["/ocpi/2.2.1/tokens/{country_code}/{party_id}/{uid}"]["put"]
    body = token_put["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/TokenIn"}
    assert schema["components"]["schemas"]["TokenIn"]["properties"]["uid"]["maxLength"] == 36
    assert "ocpiToken" in schema["components"]["securitySchemes"]
