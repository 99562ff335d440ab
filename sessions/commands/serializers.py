"""Bodies of `POST /api/csms/v1/command-result` (the CSMS bridge API, docs/commands.md)."""

from rest_framework import serializers

from sessions.csms.serializers import Ids, UtcDateTime

from .enums import CSMS_RESULTS


class CommandResultEventSerializer(serializers.Serializer):
    event_id = Ids(max_length=64, help_text="Unique per CSMS; a replay changes nothing.")
    timestamp = UtcDateTime(help_text="When the charge point answered (UTC).")
    command_id = serializers.UUIDField(help_text="The command_id the platform sent.")
    result = serializers.ChoiceField(
        choices=CSMS_RESULTS,
        help_text="What the charge point did (OCPI CommandResultType): ACCEPTED, REJECTED, "
        "EVSE_OCCUPIED, EVSE_INOPERATIVE, FAILED (e.g. no cable), NOT_SUPPORTED.",
    )
    message = serializers.CharField(
        max_length=512, required=False, allow_blank=True, help_text="Shown to the driver."
    )


class CommandResultAnswerSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    command_id = serializers.UUIDField()
    applied = serializers.BooleanField(
        help_text="False: the command already had its result (e.g. TIMEOUT) or its timeout "
        "passed; the report is kept but never posted to the eMSP."
    )
    reason = serializers.CharField()
    duplicate = serializers.BooleanField(help_text="True: this event id was processed before.")
