"""The OpenAPI 3 description of our OCPI endpoints (drf-spectacular), served at
/api/ocpi/schema/ (config/urls.py).

Every answer is the OCPI envelope (`Envelope`); a receiver's body is the serializer its view
names per method in `request_bodies`; the OCPI field types of roaming.ocpi_serializers map to
their JSON Schema; `Authorization: Token <base64(token)>` is the security scheme.
"""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from roaming import ocpi_serializers as oc


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
        return Envelope

    def get_tags(self) -> list[str]:
        return [self.view.module]

    def get_operation_id(self) -> str:
        path = self.path.removeprefix("/ocpi").replace("2.2.1", "")
        words = re.findall(r"[a-z_]+", path) or ["version_details"]
        return "_".join([self.method.lower(), *words])

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """The OCPI types of roaming.ocpi_serializers (types.asciidoc)."""
        if isinstance(field, oc.String):
            length = {"minLength": field.max_length} if field.exact else {}
            return {"type": "string", "maxLength": field.max_length, **length}
        if isinstance(field, oc.Enum):
            return {"type": "string", "enum": field.values}
        if isinstance(field, oc.Boolean):
            return {"type": "boolean"}
        if isinstance(field, oc.Number):
            return {"type": "integer" if field.integer else "number"}
        if isinstance(field, oc.DateTime):
            return {"type": "string", "format": "date-time", "maxLength": 25}
        if isinstance(field, oc.Embedded):
            return self.resolve_serializer(field.serializer, direction).ref
        return super()._map_serializer_field(field, direction, bypass_extensions)


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
