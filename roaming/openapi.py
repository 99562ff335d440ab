"""The OpenAPI 3 description of our OCPI endpoints (drf-spectacular), served at
/api/ocpi/schema/ (config/urls.py).

Every answer is the OCPI envelope (`Envelope`), at each HTTP status the transport uses; a
receiver's body is the serializer its view names per method in `request_bodies`; the OCPI
field types of roaming.ocpi_serializers map to their JSON Schema with every constraint the
API enforces (lengths, printable patterns, enums, bounds, DateTime in UTC, required), and
URL ids to the pattern `access.UrlIds` checks (issue 18.8: a client generated from this
schema is refused nothing it allows); `Authorization: Token <base64(token)>` is the
security scheme.
"""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from roaming import ocpi_checks as checks
from roaming import ocpi_serializers as oc
from roaming.api.access import url_id_schema
from roaming.api.pagination import MAX_INT
from roaming.ocpi_checks import MAX_MAGNITUDE

# types §DateTime as `ocpi_time.parse_inbound_datetime` takes it: UTC ('Z' or nothing), a
# real calendar date from year 0001, fractions (up to 3 digits here: string(25) with 'Z').
_YEAR = r"(?:[1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])"
_LEAP_YEAR = r"(?:\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26]|0[48])00)"
_MONTH_DAY = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)"
)
DATETIME_PATTERN = (
    rf"^(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,3})?Z?$"
)
# types §URL as `ocpi_checks.url_problem` takes it: http(s), a host, a valid port, no blanks.
_PORT = r"(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
URL_PATTERN = rf"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::{_PORT})?(?:/[!-~]*)?$"
# The Sender interfaces that list objects (transport_and_format §Pagination, OcpiPagination);
# mod_sessions §GET: date_from is required there only.
PAGINATED_MODULES = {"locations", "tariffs", "sessions", "cdrs"}
DATE_FROM_REQUIRED = {"sessions"}
# The HTTP statuses the OCPI transport answers with (roaming.api.errors), each an envelope.
ANSWER_STATUSES = [200, 201, 400, 401, 403, 404, 405, 413, 415, 429]


class Envelope(serializers.Serializer):
    """transport_and_format §Response format."""

    data = serializers.JSONField(required=False, help_text="The object(s); absent on errors.")
    status_code = serializers.IntegerField(help_text="OCPI status: 1xxx, 2xxx, 3xxx.")
    status_message = serializers.CharField()
    timestamp = serializers.CharField(help_text="UTC DateTime, e.g. 2026-01-01T12:00:00Z.")


class OcpiAutoSchema(AutoSchema):
    def get_request_serializer(self):
        return getattr(self.view, "request_bodies", {}).get(self.method.lower())

    def get_response_serializers(self):
        return dict.fromkeys(ANSWER_STATUSES, Envelope)

    def get_override_parameters(self):
        """A view's `query_parameters` ({name: JSON Schema}), and a sender's list: offset,
        limit, date_from, date_to, as OcpiPagination reads them."""
        declared = [
            OpenApiParameter(name, schema, OpenApiParameter.QUERY)
            for name, schema in getattr(self.view, "query_parameters", {}).items()
        ]
        if self.method != "GET" or self.view.kwargs or self.view.module not in PAGINATED_MODULES:
            return [*super().get_override_parameters(), *declared]
        count = {"type": "integer", "minimum": 0, "maximum": MAX_INT}
        moment = {"type": "string", "maxLength": 25, "pattern": DATETIME_PATTERN}
        query = OpenApiParameter.QUERY
        return [
            OpenApiParameter("offset", count, query, description="First object (from 0)."),
            OpenApiParameter("limit", count, query, description="Page size (capped: X-Limit)."),
            OpenApiParameter(
                "date_from",
                moment,
                query,
                required=self.view.module in DATE_FROM_REQUIRED,
                description="Objects with last_updated on or after it (UTC).",
            ),
            OpenApiParameter("date_to", moment, query, description="...and before it (UTC)."),
        ]

    def _resolve_path_parameters(self, variables):
        """URL ids: the pattern and length `access.UrlIds` enforces."""
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            parameter["schema"] = url_id_schema(parameter["name"])
        return parameters

    def get_tags(self) -> list[str]:
        return [self.view.module]

    def get_operation_id(self) -> str:
        path = self.path.removeprefix("/ocpi").replace("2.2.1", "")
        words = re.findall(r"[a-z_]+", path) or ["version_details"]
        return "_".join([self.method.lower(), *words])

    def _map_basic_serializer(self, serializer, direction):
        """An OCPI object: what OCPI defines. We ignore other fields (Gireve §2.1.11), but a
        body is read as JSON first, and a NUL in an unknown field refuses it all: send none."""
        schema = super()._map_basic_serializer(serializer, direction)
        if isinstance(serializer, oc.OcpiSerializer):
            schema["additionalProperties"] = False
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """The OCPI types of roaming.ocpi_serializers (types.asciidoc), as they are checked."""
        schema = self._ocpi_type(field, direction)
        if schema is None:
            schema = super()._map_serializer_field(field, direction, bypass_extensions)
            if isinstance(field, serializers.ListSerializer) and not field.allow_empty:
                schema["minItems"] = 1  # e.g. Credentials.roles: cardinality +
            return schema
        if not field.required and not isinstance(field, oc.Embedded):
            schema["nullable"] = True  # OcpiField: null = absent
        return schema

    def _ocpi_type(self, field, direction) -> dict | None:
        if isinstance(field, oc.Url):
            return {"type": "string", "maxLength": 255, "pattern": URL_PATTERN}
        if isinstance(field, oc.String):
            return _string_schema(field)
        if isinstance(field, oc.Enum):
            return {"type": "string", "enum": field.values}
        if isinstance(field, oc.Boolean):
            return {"type": "boolean"}
        if isinstance(field, oc.Number):
            return _number_schema(field)
        if isinstance(field, oc.DateTime):
            return {"type": "string", "maxLength": 25, "pattern": DATETIME_PATTERN}
        if isinstance(field, oc.Embedded):
            return self.resolve_serializer(field.serializer, direction).ref
        return None


def _string_schema(field: oc.String) -> dict:
    """string(n) / CiString(n): printable, at most n (exactly n: `exact`), not empty when
    required, the field's narrower pattern if it has one."""
    minimum = field.max_length if field.exact else (1 if field.required else 0)
    if field.pattern is not None:
        pattern = f"^(?:{field.pattern.pattern})$"
    else:
        pattern = checks.CI_STRING_PATTERN if field.ci else checks.STRING_PATTERN
    return {
        "type": "string",
        "minLength": minimum,
        "maxLength": field.max_length,
        "pattern": pattern,
    }


def _number_schema(field: oc.Number) -> dict:
    """number / int: below 10^12 in magnitude (ocpi_checks.number_problem), the field's bounds."""
    bound = MAX_MAGNITUDE - 1 if field.integer else MAX_MAGNITUDE
    schema = {"type": "integer" if field.integer else "number"}
    schema["minimum"] = field.minimum if field.minimum is not None else -bound
    schema["maximum"] = field.maximum if field.maximum is not None else bound
    if not field.integer:
        schema["exclusiveMinimum"] = field.minimum is None
        schema["exclusiveMaximum"] = field.maximum is None
    return schema


class OcpiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "roaming.api.access.OcpiTokenAuthentication"
    name = "ocpiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "OCPI 2.2.1 §2.2.1: `Token <base64(token)>`. A registration token "
            "A reaches only versions and credentials.",
        }
