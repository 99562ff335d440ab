"""The charging state of a meter value, from our words or OCPP's (roaming-workflow §7 E4).

What matters for pricing is who stopped the energy: the EV (parking, OCPI PARKING_TIME) or
our side (load management: still charging time, OCPI 2.2.1 CdrDimensionType NOTE). Pure.
"""

from sessions.charging_periods import ChargingState

CHARGING, EV_IDLE, EVSE_PAUSE = (
    ChargingState.CHARGING,
    ChargingState.EV_IDLE,
    ChargingState.EVSE_PAUSE,
)

WORDS = {
    # ours
    "CHARGING": CHARGING,
    "EV_IDLE": EV_IDLE,
    "EVSE_PAUSE": EVSE_PAUSE,
    # OCPP 1.6 ChargePointStatus during a transaction
    "Charging": CHARGING,
    "SuspendedEV": EV_IDLE,
    "Finishing": EV_IDLE,
    "SuspendedEVSE": EVSE_PAUSE,
    # OCPP 2.0.1 ChargingStateEnumType (TransactionEvent.transactionInfo.chargingState)
    "EVConnected": EV_IDLE,
    "Idle": EV_IDLE,
}


def to_state(word: str) -> ChargingState | None:
    """Our charging state for `word`, or None when it is none of the known words."""
    return WORDS.get(word)
