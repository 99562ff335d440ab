"""Gireve's IOP (FR*107) played by a real HTTP server on loopback, for tests and people.

    from roaming.simulator import HubSimulator
    hub = HubSimulator().start()      # hub.versions_url, hub.token, hub.objects, hub.received

One module per job:
- `hub`: the server's identity, lifecycle, fault modes, registration both ways, routing
  and what tests read (`received`, `objects`, `session`, `cdr`);
- `server`: HTTP plumbing and the OCPI envelope; `inflight`: requests in flight per object;
- receivers of what a CPO sends: `store` (locations, tariffs; `forget` to lose one),
  `sessions` (PUT/PATCH/GET), `cdrs` (POST answered with Location, GET), `commands`
  (CommandResults at the response_url);
- `tokens`: the tokens SENDER list and real-time authorize, answers set per token uid;
- `iop_play`: what IOP starts in qualification (pull locations, START/STOP), `play_iop`;
- `faults`: one qualification use case broken on purpose (`break_use_case`).
A new receiver is one module and one line of routing in `HubSimulator.answer`.
"""

from .faults import USE_CASE_FAULTS
from .hub import HubSimulator, Recorded
from .server import envelope
from .tokens import QUALIFICATION_TOKEN, UNKNOWN, Authorization

__all__ = [
    "QUALIFICATION_TOKEN",
    "UNKNOWN",
    "USE_CASE_FAULTS",
    "Authorization",
    "HubSimulator",
    "Recorded",
    "envelope",
]
