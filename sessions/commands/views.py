"""The two doors of the commands flow.

- `CommandsView`: OCPI 2.2.1 mod_commands Receiver interface, POST /2.2.1/commands/{command},
  answered at once with a CommandResponse (sessions.commands.services decides).
- `CommandResultView`: the CSMS reporting what the charge point did with a command,
  POST /api/csms/v1/command-result (the CSMS bridge API: API key, JSON, no envelope).
"""

from django.utils.encoding import force_str
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response

from roaming.api import OcpiAPIView, OcpiError, invalid
from roaming.api.errors import INVALID_PARAMETERS
from sessions.csms.views import ERRORS, EventView
from sessions.enums import CommandType
from sessions.ocpi import COMMANDS

from . import results, serializers, services


class CommandsView(OcpiAPIView):
    """OCPI 2.2.1 mod_commands §Receiver Interface: START_SESSION and STOP_SESSION are
    executed; the others are NOT_SUPPORTED (Gireve §3.7.1); an unknown command is a 404."""

    module = "commands"

    def post(self, request, command):
        if command not in CommandType.values:
            # status_codes: a URL that names no resource is a 404; the parameter is invalid.
            message = f"Unknown command {command!r}: one of {', '.join(CommandType.values)}"
            raise OcpiError(INVALID_PARAMETERS, message, http_status=404)
        data = COMMANDS[command].read(request.data)
        if data.get("connector_id") and not data.get("evse_uid"):
            # mod_commands StartSession.evse_uid: "Required when connector_id is set".
            raise invalid("Invalid StartSession: evse_uid: required when connector_id is set")
        inbound = services.Inbound(
            platform=request.user,
            sender=request.ocpi_from,
            operator=request.ocpi_to_operator,
            raw_body=force_str(request._request.body),
            request_id=self.request_id,
            correlation_id=self.correlation_id,
        )
        answer = services.receive_command(type=command, data=data, inbound=inbound)
        response = Response(services.command_response(answer))
        if answer.response_status_code != 1000:
            # status_codes 2003 with HTTP 200 and the CommandResponse (mod_commands).
            response.ocpi_status = answer.response_status_code
            response.ocpi_message = answer.response_message
        return response


@extend_schema_view(
    post=extend_schema(
        summary="Report what the charge point did with a remote command (start or stop)",
        request=serializers.CommandResultEventSerializer,
        responses={200: serializers.CommandResultAnswerSerializer, **ERRORS},
    )
)
class CommandResultView(EventView):
    event_serializer = serializers.CommandResultEventSerializer
    process = staticmethod(results.report_result)
