"""Remote commands from eMSP apps through the hub (OCPI 2.2.1 mod_commands, Gireve §3.7,
roaming-workflow §2): START_SESSION and STOP_SESSION passed to the CSMS, results posted back.

One module per job: `models` (Command), `services` (every decision), `views` (the OCPI
receiver and the CSMS result endpoint), `adapter` (the signed call to the CSMS), `callbacks`
(the CommandResult POST to the response_url), `tasks` (Celery doorbells), `csms_double`
(a CSMS command endpoint on loopback, for tests and demos). Design: docs/commands.md.
"""
