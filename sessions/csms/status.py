"""OCPP charge point / connector status → OCPI EVSE status (roaming-workflow §7, E1).

OCPP 1.6 ChargePointStatus and 2.0.1 ConnectorStatusEnumType share names; an occupied
connector is CHARGING for OCPI ("in use"), whether energy flows or not. A CSMS may also
send the OCPI status itself. PLANNED and REMOVED are the operator's, set in admin: a CSMS
cannot send them. Pure: no database.
"""

PROTOCOLS = ("ocpp1.6", "ocpp2.0.1", "ocpi")

OCPP16 = {
    "Available": "AVAILABLE",
    "Preparing": "CHARGING",
    "Charging": "CHARGING",
    "SuspendedEV": "CHARGING",
    "SuspendedEVSE": "CHARGING",
    "Finishing": "CHARGING",
    "Reserved": "RESERVED",
    "Unavailable": "INOPERATIVE",
    "Faulted": "OUTOFORDER",
}
OCPP201 = {
    "Available": "AVAILABLE",
    "Occupied": "CHARGING",
    "Reserved": "RESERVED",
    "Unavailable": "INOPERATIVE",
    "Faulted": "OUTOFORDER",
}
OCPI = {
    status: status
    for status in (
        "AVAILABLE",
        "BLOCKED",
        "CHARGING",
        "INOPERATIVE",
        "OUTOFORDER",
        "RESERVED",
        "UNKNOWN",
    )
}
MAPPINGS = {"ocpp1.6": OCPP16, "ocpp2.0.1": OCPP201, "ocpi": OCPI}


def to_ocpi(protocol: str, status: str) -> str | None:
    """The OCPI EVSE status, or None when `status` is not one of `protocol`'s."""
    return MAPPINGS.get(protocol, {}).get(status)
