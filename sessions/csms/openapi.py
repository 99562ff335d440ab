"""Rules between fields of the bridge bodies, written into its OpenAPI schema (issue 18.8).

A field's own constraints come from its serializer field (sessions/csms/serializers.py);
what depends on two fields cannot, so this drf-spectacular post-processing hook adds it,
from the same tables the serializers check with:
- an event names its EVSE by OCPI ids (location_id + evse_uid) or by OCPP ids
  (charge_point_id + connector_id, the OCPP connector number), `EventSerializer.validate`;
- a text (DRF CharField) has no NUL character and, unless it may be blank, is not only
  whitespace;
- a charge point time is at most MAX_CLOCK_AHEAD ahead of our clock (said in words: a
  schema cannot compare with now);
- a status is one of its protocol's words (`status.MAPPINGS`), a charging state one of
  `charging_state.WORDS`;
- an authorize gives its id tag's type as `token_type` (OCPI) or `id_token_type` (OCPP
  2.0.1), not both (`AuthorizeEventSerializer.validate`).
`NonNegativeDecimalSchema` writes the digits and bounds a `NonNegativeDecimal` is held to.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from . import charging_state
from . import status as status_map
from .services import MAX_CLOCK_AHEAD

# DRF CharField: no NUL character anywhere, and (unless blank is allowed) something left
# after trimming what str.strip() removes (Python's whitespace, spelled out: ECMA's \s differs).
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"
# EventSerializer.validate: with charge_point_id, connector_id is the OCPP number, 1 or more
# (below 10^9: it is looked up in an integer column).
OCPP_CONNECTOR = r"^0*[1-9][0-9]{0,8}$"
NAMES_AN_EVSE = {
    "anyOf": [
        {"required": ["location_id", "evse_uid"]},
        {
            "required": ["charge_point_id", "connector_id"],
            "properties": {"connector_id": {"pattern": OCPP_CONNECTOR}},
            "not": {"anyOf": [{"required": ["location_id"]}, {"required": ["evse_uid"]}]},
        },
    ]
}


class NonNegativeDecimalSchema(OpenApiSerializerFieldExtension):
    """DecimalField(min_value=0) as a string pattern: no sign, at most its integer digits
    (fewer by one under a max_value such as 100, which is allowed exactly) and decimals."""

    target_class = "sessions.csms.serializers.NonNegativeDecimal"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        digits, places = field.max_digits - field.decimal_places, field.decimal_places
        number = rf"\d{{1,{digits}}}(?:\.\d{{1,{places}}})?"
        if field.max_value is not None:
            top = f"{field.max_value}(?:\\.0{{1,{places}}})?"
            number = rf"\d{{1,{len(str(field.max_value)) - 1}}}(?:\.\d{{1,{places}}})?|{top}"
        return {"type": "string", "format": "decimal", "pattern": f"^(?:{number})$"}


def cross_field_rules(result, generator, request, public):
    """Add the rules above to every event body that has the fields they speak of."""
    ahead = int(MAX_CLOCK_AHEAD.total_seconds())
    for schema in result.get("components", {}).get("schemas", {}).values():
        properties = schema.get("properties", {})
        for prop in properties.values():
            if prop.get("type") == "string" and not {"pattern", "enum", "format"} & prop.keys():
                prop["pattern"] = NOT_BLANK if prop.get("minLength", 0) >= 1 else NO_NUL
        for name, prop in properties.items():
            if prop.get("format") == "date-time" and name == "timestamp":
                rule = f"Refused (400) when more than {ahead} s ahead of our clock."
                prop["description"] = f"{prop.get('description', '')} {rule}".strip()
        if {"location_id", "evse_uid", "charge_point_id"} <= properties.keys():
            schema.update(NAMES_AN_EVSE)
        if {"protocol", "status"} <= properties.keys():
            schema["oneOf"] = [
                {
                    "properties": {
                        "protocol": {"type": "string", "enum": [protocol]},
                        "status": {"type": "string", "enum": list(words)},
                    }
                }
                for protocol, words in status_map.MAPPINGS.items()
            ]
        if {"token_type", "id_token_type"} <= properties.keys():
            schema["not"] = {"required": ["token_type", "id_token_type"]}
        if properties.get("samples", {}).get("type") == "array":
            # MeterValuesSerializer.samples: allow_empty=False, which drf-spectacular omits.
            properties["samples"]["minItems"] = 1
        if "charging_state" in properties:
            properties["charging_state"]["enum"] = list(charging_state.WORDS)
    return result
