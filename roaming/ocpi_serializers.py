"""The one vocabulary for OCPI 2.2.1 objects we receive: DRF serializers with strict fields.

    class EnergyContract(OcpiSerializer):
        object_name = "EnergyContract"
        supplier_name = String(64)
        contract_id = String(64, required=False)

`Token.read(data)` returns the validated data or raises a 2001 whose message names each field
path (`energy_contract.supplier_name: required`); `Token.problems(data)` lists them. Fields
take JSON as OCPI types define it and nothing looser: a string is a JSON string (no number
coerced), a boolean is true or false, a DateTime is UTC. Unknown fields are ignored and
logged (tolerant reader: Gireve adds its own, e.g. `gireve_id`, §2.1.11). Each field's type
rule is roaming.ocpi_checks' (`string_problem`, `url_problem`, ...), the one that also checks
the JSON we store (model clean, imports): one rule per OCPI type.
Every receiver reads its body with one of these (roaming.api.OcpiAPIView does the transport).
"""

import logging
import re
from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from roaming import ocpi_checks as checks
from roaming.api.errors import invalid, problems
from roaming.ocpi_time import format_datetime, parse_inbound_datetime

logger = logging.getLogger(__name__)


def _refuse(problem: str | None) -> None:
    if problem:
        raise ValidationError(problem)


class OcpiField(serializers.Field):
    default_error_messages = {"required": "required", "null": "required"}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", kwargs.get("required") is False)  # null = absent
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value


class String(OcpiField):
    """types §string(n) (printable UTF-8) or, with ci=True, §CiString(n) (printable ASCII);
    `exact` for fixed lengths (country code 2, party id 3); `pattern` (a regex) for ids with
    a narrower charset, written into the OpenAPI schema too (roaming.openapi)."""

    def __init__(
        self,
        max_length: int,
        *,
        ci: bool = False,
        exact: bool = False,
        pattern: re.Pattern | None = None,
        hint: str = "",
        **kwargs,
    ):
        self.max_length, self.ci, self.exact = max_length, ci, exact
        self.pattern, self.hint = pattern, hint
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> str:
        _refuse(
            checks.string_problem(
                value, self.max_length, ci=self.ci, exact=self.exact, allow_empty=not self.required
            )
        )
        if self.pattern is not None and value and not self.pattern.fullmatch(value):
            raise ValidationError(f"only {self.hint or self.pattern.pattern}, not {value!r}")
        return value


class Url(String):
    """types §URL: string(255), an http(s) address (ocpi_checks.url_problem)."""

    def __init__(self, **kwargs):
        super().__init__(255, **kwargs)

    def to_internal_value(self, value) -> str:
        _refuse(checks.url_problem(value))
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


class Number(OcpiField):
    """types §number / §int: a JSON number (a Decimal from our parser), never a string
    (ocpi_checks.number_problem)."""

    def __init__(self, *, integer: bool = False, minimum=None, maximum=None, **kwargs):
        self.integer, self.minimum, self.maximum = integer, minimum, maximum
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        _refuse(
            checks.number_problem(
                value, integer=self.integer, minimum=self.minimum, maximum=self.maximum
            )
        )
        return value


class DateTime(OcpiField):
    """types §DateTime, strict: UTC with 'Z' or no designator (ocpi_checks.datetime_problem)."""

    def to_internal_value(self, value):
        _refuse(checks.datetime_problem(value))
        return parse_inbound_datetime(value)

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
