"""The one vocabulary for OCPI 2.2.1 objects we receive: DRF serializers with strict fields.

    class EnergyContract(OcpiSerializer):
        object_name = "EnergyContract"
        supplier_name = String(64)
        contract_id = String(64, required=False)

`Token.read(data)` returns the validated data or raises a 2001 whose message names each field
path (`energy_contract.supplier_name: required`); `Token.problems(data)` lists them. Fields
take JSON as OCPI types define it and nothing looser: a string is a JSON string (no number
coerced), a boolean is true or false, a DateTime is UTC. Unknown fields are ignored and
logged (tolerant reader: Gireve adds its own, e.g. `gireve_id`, §2.1.11). Stored JSON fields
are checked by roaming.ocpi_checks instead (model clean, imports).
Every receiver reads its body with one of these (roaming.api.OcpiAPIView does the transport).
"""

import logging
from collections.abc import Mapping
from decimal import Decimal

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from roaming.api.errors import invalid, problems
from roaming.ocpi_checks import non_printable
from roaming.ocpi_time import format_datetime, parse_inbound_datetime

logger = logging.getLogger(__name__)


class OcpiField(serializers.Field):
    default_error_messages = {"required": "required", "null": "required"}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", kwargs.get("required") is False)  # null = absent
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value


class String(OcpiField):
    """types §string(n) (printable UTF-8) or, with ci=True, §CiString(n) (printable ASCII);
    `exact` for fixed lengths (country code 2, party id 3)."""

    def __init__(self, max_length: int, *, ci: bool = False, exact: bool = False, **kwargs):
        self.max_length, self.ci, self.exact = max_length, ci, exact
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> str:
        if not isinstance(value, str):
            raise ValidationError("must be a string")
        if self.exact and len(value) != self.max_length:
            raise ValidationError(f"must be a string of {self.max_length} characters")
        if len(value) > self.max_length:
            raise ValidationError(f"must be at most {self.max_length} characters")
        if not value and self.required:
            raise ValidationError("must not be empty")
        if non_printable(value, ascii_only=self.ci):
            kind = "printable ASCII" if self.ci else "printable characters"
            raise ValidationError(f"only {kind} are allowed (no tabs or line breaks)")
        return value


class Url(String):
    """types §URL: string(255), an http(s) address."""

    def __init__(self, **kwargs):
        super().__init__(255, **kwargs)

    def to_internal_value(self, value) -> str:
        value = super().to_internal_value(value)
        if not value.startswith(("http://", "https://")):
            raise ValidationError("must be an http(s) URL")
        return value


class Enum(OcpiField):
    def __init__(self, choices, **kwargs):
        self.values = list(choices.values)
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise ValidationError(f"must be one of {', '.join(self.values)}")
        return value


class Boolean(OcpiField):
    def to_internal_value(self, value) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be a boolean")
        return value


# Issue 9.5: what OCPI and our columns can hold (the pricing engine's bound too,
# tariffs/pricing/numbers.py): a larger magnitude is refused with its field, never an
# overflow further down.
MAX_MAGNITUDE = 10**12


class Number(OcpiField):
    """types §number / §int: a JSON number (a Decimal from our parser), never a string."""

    def __init__(self, *, integer: bool = False, minimum=None, **kwargs):
        self.integer, self.minimum = integer, minimum
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        kinds = (int,) if self.integer else (int, Decimal, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise ValidationError("must be a whole number" if self.integer else "must be a number")
        if not abs(value) < MAX_MAGNITUDE:
            raise ValidationError(f"{value} is out of range: its magnitude must be below 10^12")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"must be at least {self.minimum}")
        return value


class DateTime(OcpiField):
    """types §DateTime, strict: UTC with 'Z' or no designator (ocpi_time.parse_inbound_datetime)."""

    def to_internal_value(self, value):
        try:
            return parse_inbound_datetime(value)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def to_representation(self, value) -> str:
        return format_datetime(value)


class OcpiListSerializer(serializers.ListSerializer):
    default_error_messages = {
        "not_a_list": "must be a list, not {input_type}",
        "empty": "must not be empty",
        "required": "required",
        "null": "required",
    }


class OcpiSerializer(serializers.Serializer):
    """An OCPI object received: strict known fields, unknown ones ignored and logged."""

    object_name = "JSON"
    default_error_messages = {
        "required": "required",
        "null": "required",
        "invalid": "must be a JSON object, not {datatype}",
    }

    class Meta:
        list_serializer_class = OcpiListSerializer

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                # Gireve §2.1.11: the hub may extend OCPI objects; read what OCPI defines.
                logger.warning("%s: unknown fields ignored: %r", self.object_name, unknown)
        return super().to_internal_value(data)

    @classmethod
    def problems(cls, data, **kwargs) -> list[str]:
        serializer = cls(data=data, **kwargs)
        return [] if serializer.is_valid() else problems(serializer.errors)

    @classmethod
    def read(cls, data, **kwargs) -> dict:
        """The validated object, or a 2001 naming every problem (HTTP 200: see `invalid`)."""
        serializer = cls(data=data, **kwargs)
        if not serializer.is_valid():
            lines = problems(serializer.errors)
            raise invalid(f"Invalid {cls.object_name}: " + "; ".join(lines))
        return serializer.validated_data


class Embedded(OcpiField):
    """An object the sender built inside another (a command's Token): its problems in one
    line, `token: must be a Token object (contract_id: required)`."""

    def __init__(self, serializer: type[OcpiSerializer], **kwargs):
        self.serializer = serializer
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> dict:
        serializer = self.serializer(data=value)
        if not serializer.is_valid():
            lines = "; ".join(problems(serializer.errors))
            raise ValidationError(f"must be a {self.serializer.object_name} object ({lines})")
        return serializer.validated_data
