"""Bodies of the CSMS bridge API (docs/csms-bridge.md): what a CSMS sends, what it gets back.

An EVSE is named by OCPI ids (location_id + evse_uid [+ connector_id], with country_code +
party_id if two of the CSMS's operators share a location id) or by OCPP ids through the
EVSE mapping (charge_point_id + connector_id).
"""

import datetime as dt

from django.core.validators import RegexValidator
from rest_framework import serializers

from roaming.ocpi_checks import non_printable
from sessions.authorization import ID_TOKEN_TYPES
from sessions.enums import AuthorizationReason, AuthorizationSource, TokenType
from sessions.rfid import READER_FORMATS

from . import charging_state
from . import status as status_map

# Printable ASCII with no blank at either end (the value is trimmed, then checked):
# stated in the OpenAPI schema by the validator's pattern (issue 18.8).
IDS_PATTERN = r"^[!-~](?:[ -~]*[!-~])?$"


class NonNegativeDecimal(serializers.DecimalField):
    """A measured quantity (W, A, %): a decimal >= 0, given as a JSON number or string; its
    schema states the digits and bound it is held to (sessions/csms/openapi.py)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=0, **kwargs)


class Ids(serializers.CharField):
    """OCPI CiString / OCPP identifier: printable ASCII, no blanks around."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(IDS_PATTERN, "Only printable ASCII characters."))

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if non_printable(value, ascii_only=True):
            raise serializers.ValidationError("Only printable ASCII characters are allowed.")
        return value


class UtcDateTime(serializers.DateTimeField):
    """The charge point's time, RFC 3339 (2026-01-01T12:00:00Z; no offset = UTC); kept in UTC."""

    def to_internal_value(self, value):
        return super().to_internal_value(value).astimezone(dt.UTC)


class EventSerializer(serializers.Serializer):
    event_id = Ids(max_length=64, help_text="Unique per CSMS; a replay changes nothing.")
    timestamp = UtcDateTime(help_text="When the charge point saw it (UTC).")
    location_id = Ids(max_length=36, required=False, help_text="OCPI Location.id")
    evse_uid = Ids(max_length=36, required=False, help_text="OCPI EVSE.uid")
    connector_id = Ids(
        max_length=36,
        required=False,
        help_text="OCPI Connector.id with location_id; OCPP connectorId (1.6) / evseId "
        "(2.0.1) with charge_point_id.",
    )
    country_code = Ids(max_length=2, required=False)
    party_id = Ids(max_length=3, required=False)
    charge_point_id = Ids(
        max_length=64, required=False, help_text="OCPP charge point identity (mapped in admin)."
    )

    def validate(self, attrs):
        if attrs.get("location_id") or attrs.get("evse_uid"):
            if not (attrs.get("location_id") and attrs.get("evse_uid")):
                raise serializers.ValidationError("Give both location_id and evse_uid.")
        elif attrs.get("charge_point_id"):
            connector = attrs.get("connector_id", "")
            if not connector.isdigit() or int(connector) < 1:
                raise serializers.ValidationError(
                    {"connector_id": "With charge_point_id: the OCPP connector id, 1 or more."}
                )
            attrs["connector_id"] = int(connector)
        else:
            raise serializers.ValidationError(
                "Name the EVSE: location_id + evse_uid, or charge_point_id + connector_id."
            )
        return attrs


class StatusEventSerializer(EventSerializer):
    protocol = serializers.ChoiceField(
        choices=status_map.PROTOCOLS,
        help_text="Vocabulary of `status`: OCPP 1.6 ChargePointStatus, OCPP 2.0.1 "
        "ConnectorStatusEnumType, or OCPI EVSE status.",
    )
    status = serializers.CharField(max_length=32)
    error_code = Ids(max_length=50, required=False, allow_blank=True, help_text="OCPP errorCode")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if status_map.to_ocpi(attrs["protocol"], attrs["status"]) is None:
            known = ", ".join(status_map.MAPPINGS[attrs["protocol"]])
            raise serializers.ValidationError({"status": f"For {attrs['protocol']}: {known}."})
        return attrs


class StatusAnswerSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    evse_uid = serializers.CharField()
    ocpi_status = serializers.CharField()
    applied = serializers.BooleanField(help_text="False: an older report, ignored.")
    reason = serializers.CharField()
    duplicate = serializers.BooleanField(help_text="True: this event id was processed before.")


class AuthorizeEventSerializer(EventSerializer):
    id_tag = serializers.CharField(
        max_length=64, help_text="As the reader gave it (OCPP 1.6 idTag, 2.0.1 idToken)."
    )
    token_type = serializers.ChoiceField(
        choices=TokenType.choices,
        default=TokenType.RFID,
        help_text="OCPI 2.2.1 TokenType of id_tag. Not with id_token_type.",
    )
    id_token_type = serializers.ChoiceField(
        choices=list(ID_TOKEN_TYPES),
        required=False,
        help_text="OCPP 2.0.1 IdTokenEnumType of id_tag, instead of token_type: ISO14443 and "
        "ISO15693 are RFID, eMAID (Plug & Charge) OTHER, Central APP_USER; KeyCode, Local, "
        "MacAddress and NoAuthorization are refused (Invalid, INVALID_UID, never sent to the "
        "hub). docs/csms-bridge.md has the table.",
    )
    reader_format = serializers.ChoiceField(
        choices=READER_FORMATS,
        default="HEX",
        help_text="How this reader writes RFID UIDs: hex as read, hex in reversed byte "
        "order, or decimal.",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "id_token_type" in attrs and "token_type" in self.initial_data:
            raise serializers.ValidationError(
                "Give token_type (OCPI) or id_token_type (OCPP 2.0.1), not both."
            )
        return attrs


class AuthorizeAnswerSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    authorization_id = serializers.IntegerField()
    accepted = serializers.BooleanField()
    ocpp_status = serializers.ChoiceField(
        choices=["Accepted", "Blocked", "Expired", "Invalid"],
        help_text="OCPP IdTagInfo / AuthorizationStatus to return to the charge point.",
    )
    reason = serializers.ChoiceField(choices=AuthorizationReason.choices)
    source = serializers.ChoiceField(choices=AuthorizationSource.choices)
    uid = serializers.CharField(help_text="The normalised uid (empty if malformed).")
    token_type = serializers.ChoiceField(
        choices=TokenType.choices, help_text="The OCPI TokenType the uid was decided as."
    )
    message = serializers.CharField(
        allow_blank=True,
        help_text="Why, in words, when the bridge refused the id tag itself (source LOCAL): "
        "a malformed uid or eMAID, an id token type that cannot roam; empty otherwise.",
    )
    authorization_reference = serializers.CharField(allow_null=True)
    group_id = serializers.CharField(allow_null=True)
    info = serializers.JSONField(allow_null=True, help_text="OCPI DisplayText from the eMSP.")
    duplicate = serializers.BooleanField()


# --- transactions (roaming-workflow §7 E3-E5) ---------------------------------------------


class TransactionStartedSerializer(EventSerializer):
    """`timestamp` is the transaction start (charge point clock). What it follows: an
    `authorization_id` (the answer to POST authorize) or `remote_start_id`, or the `id_tag`
    (matched to an authorization or remote start at this EVSE), or nothing (free vend)."""

    transaction_id = Ids(max_length=64, help_text="The CSMS transaction id, unique per CSMS.")
    meter_start_wh = serializers.IntegerField(min_value=0, help_text="Energy register (Wh).")
    id_tag = serializers.CharField(max_length=64, required=False, help_text="As read.")
    token_type = serializers.ChoiceField(choices=TokenType.choices, default=TokenType.RFID)
    reader_format = serializers.ChoiceField(choices=READER_FORMATS, default="HEX")
    authorization_id = serializers.IntegerField(
        required=False, help_text="`authorization_id` of the authorize answer it follows."
    )
    remote_start_id = serializers.IntegerField(
        required=False, help_text="The remote start (START_SESSION) it follows."
    )
    meter_id = serializers.CharField(max_length=255, required=False, allow_blank=True)


class TransactionEventSerializer(serializers.Serializer):
    """An event about a started transaction: named by its CSMS transaction id."""

    event_id = Ids(max_length=64, help_text="Unique per CSMS; a replay changes nothing.")
    timestamp = UtcDateTime(help_text="When the charge point saw it (UTC).")
    transaction_id = Ids(max_length=64)


class SampleSerializer(serializers.Serializer):
    timestamp = UtcDateTime(help_text="Charge point time of the sample (UTC).")
    energy_wh = serializers.IntegerField(
        min_value=0, help_text="Energy.Active.Import.Register, Wh."
    )
    power_w = NonNegativeDecimal(max_digits=12, decimal_places=3, required=False)
    current_a = NonNegativeDecimal(max_digits=9, decimal_places=3, required=False)
    soc = NonNegativeDecimal(max_digits=5, decimal_places=2, max_value=100, required=False)
    charging_state = serializers.CharField(
        default="CHARGING",
        help_text="From now on: CHARGING, EV_IDLE (the EV requests no power: parking) or "
        "EVSE_PAUSE (our side pauses: still charging time); OCPP words too: Charging, "
        "SuspendedEV, Finishing, EVConnected, Idle, SuspendedEVSE.",
    )

    def validate_charging_state(self, value):
        state = charging_state.to_state(value)
        if state is None:
            raise serializers.ValidationError(f"One of: {', '.join(charging_state.WORDS)}.")
        return state


class MeterValuesSerializer(TransactionEventSerializer):
    samples = SampleSerializer(many=True, allow_empty=False, max_length=1000)


class TransactionStoppedSerializer(TransactionEventSerializer):
    """`timestamp` is the stop time (charge point clock)."""

    meter_stop_wh = serializers.IntegerField(min_value=0, help_text="Energy register (Wh).")
    reason = serializers.CharField(
        max_length=64, required=False, default="", allow_blank=True, help_text="OCPP Reason."
    )
    ev_still_plugged = serializers.BooleanField(
        default=False, help_text="True: parking until ev-left; False: the session ends now."
    )
    signed_data = serializers.JSONField(
        required=False, help_text="Signed meter data (e.g. OCMF), kept as sent."
    )


class EvLeftSerializer(TransactionEventSerializer):
    """`timestamp` is when the EV left (unplugged): the end of the session."""


class TransactionAnswerSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    transaction_id = serializers.CharField()
    reporting = serializers.ChoiceField(
        choices=["ROAMING", "INVALID", "ADVENIR", "NOT_REPORTED"],
        help_text="What the hub learns of this transaction.",
    )
    session_id = serializers.CharField(allow_null=True, help_text="Our OCPI Session.id.")
    session_status = serializers.CharField(allow_null=True)
    kwh = serializers.CharField(allow_null=True, help_text="Energy so far (kWh, decimal).")
    applied = serializers.BooleanField(help_text="False: recorded only (see reason).")
    reason = serializers.CharField(allow_blank=True)
    duplicate = serializers.BooleanField(help_text="True: this event id was processed before.")
