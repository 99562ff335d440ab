"""OCPI 2.2.1 mod_locations enumerations, values spelled exactly as the spec."""

from django.db import models

from roaming.enums import ImageCategory  # noqa: F401 - Image is shared (roaming.ocpi_checks)

# Words that keep their capitals (or get them) when an OCPI value becomes a label.
_WORDS = {
    "AC": "AC",
    "DC": "DC",
    "EV": "EV",
    "GBT": "GB/T",
    "IEC": "IEC",
    "NEMA": "NEMA",
    "PED": "PED",
    "RFID": "RFID",
    "CHADEMO": "CHAdeMO",
    "CHAOJI": "ChaoJi",
    "TESLA": "Tesla",
    "WIFI": "Wi-Fi",
}
# Labels that words alone cannot give (stored values stay OCPI's).
_LABELS = {
    "OUTOFORDER": "Out of order",
    "AC_1_PHASE": "AC 1-phase",
    "AC_2_PHASE": "AC 2-phase",
    "AC_2_PHASE_SPLIT": "AC 2-phase split",
    "AC_3_PHASE": "AC 3-phase",
    "IEC_62196_T1": "IEC 62196 Type 1",
    "IEC_62196_T1_COMBO": "IEC 62196 Type 1 Combo (CCS1)",
    "IEC_62196_T2": "IEC 62196 Type 2",
    "IEC_62196_T2_COMBO": "IEC 62196 Type 2 Combo (CCS2)",
    "IEC_62196_T3A": "IEC 62196 Type 3A",
    "IEC_62196_T3C": "IEC 62196 Type 3C",
    "IEC_60309_2_single_16": "IEC 60309-2 single phase 16 A",
    "IEC_60309_2_three_16": "IEC 60309-2 three phases 16 A",
    "IEC_60309_2_three_32": "IEC 60309-2 three phases 32 A",
    "IEC_60309_2_three_64": "IEC 60309-2 three phases 64 A",
    "TESLA_R": "Tesla Roadster",
    "TESLA_S": "Tesla Model S",
    "REMOTE_START_STOP_CAPABLE": "Remote start/stop capable",
}


def label(value: str) -> str:
    """A readable label for an OCPI enum value: OUTOFORDER -> "Out of order"."""
    if value in _LABELS:
        return _LABELS[value]
    if value.startswith("NEMA_"):  # NEMA_14_50 -> NEMA 14-50
        return "NEMA " + value[5:].replace("_", "-")
    if value.startswith("DOMESTIC_"):  # DOMESTIC_F -> Domestic type F
        return "Domestic type " + value[9:]
    words = [_WORDS.get(word.upper(), word.lower()) for word in value.split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _choices(name: str, values: str) -> type[models.TextChoices]:
    return models.TextChoices(name, [(v, (v, label(v))) for v in values.split()])


Capability = _choices(
    "Capability",
    "CHARGING_PROFILE_CAPABLE CHARGING_PREFERENCES_CAPABLE CHIP_CARD_SUPPORT "
    "CONTACTLESS_CARD_SUPPORT CREDIT_CARD_PAYABLE DEBIT_CARD_PAYABLE PED_TERMINAL "
    "REMOTE_START_STOP_CAPABLE RESERVABLE RFID_READER START_SESSION_CONNECTOR_REQUIRED "
    "TOKEN_GROUP_CAPABLE UNLOCK_CAPABLE",
)
ConnectorFormat = _choices("ConnectorFormat", "SOCKET CABLE")
ConnectorType = _choices(
    "ConnectorType",
    "CHADEMO CHAOJI DOMESTIC_A DOMESTIC_B DOMESTIC_C DOMESTIC_D DOMESTIC_E DOMESTIC_F "
    "DOMESTIC_G DOMESTIC_H DOMESTIC_I DOMESTIC_J DOMESTIC_K DOMESTIC_L DOMESTIC_M DOMESTIC_N "
    "DOMESTIC_O GBT_AC GBT_DC IEC_60309_2_single_16 IEC_60309_2_three_16 IEC_60309_2_three_32 "
    "IEC_60309_2_three_64 IEC_62196_T1 IEC_62196_T1_COMBO IEC_62196_T2 IEC_62196_T2_COMBO "
    "IEC_62196_T3A IEC_62196_T3C NEMA_5_20 NEMA_6_30 NEMA_6_50 NEMA_10_30 NEMA_10_50 "
    "NEMA_14_30 NEMA_14_50 PANTOGRAPH_BOTTOM_UP PANTOGRAPH_TOP_DOWN TESLA_R TESLA_S",
)
EnergySourceCategory = _choices(
    "EnergySourceCategory", "NUCLEAR GENERAL_FOSSIL COAL GAS GENERAL_GREEN SOLAR WIND WATER"
)
EnvironmentalImpactCategory = _choices(
    "EnvironmentalImpactCategory", "NUCLEAR_WASTE CARBON_DIOXIDE"
)
Facility = _choices(
    "Facility",
    "HOTEL RESTAURANT CAFE MALL SUPERMARKET SPORT RECREATION_AREA NATURE MUSEUM BIKE_SHARING "
    "BUS_STOP TAXI_STAND TRAM_STOP METRO_STATION TRAIN_STATION AIRPORT PARKING_LOT "
    "CARPOOL_PARKING FUEL_STATION WIFI",
)
ParkingRestriction = _choices(
    "ParkingRestriction", "EV_ONLY PLUGGED DISABLED CUSTOMERS MOTORCYCLES"
)
ParkingType = _choices(
    "ParkingType",
    "ALONG_MOTORWAY PARKING_GARAGE PARKING_LOT ON_DRIVEWAY ON_STREET UNDERGROUND_GARAGE",
)
PowerType = _choices("PowerType", "AC_1_PHASE AC_2_PHASE AC_2_PHASE_SPLIT AC_3_PHASE DC")
Status = _choices(
    "Status", "AVAILABLE BLOCKED CHARGING INOPERATIVE OUTOFORDER PLANNED REMOVED RESERVED UNKNOWN"
)
# mod_tokens TokenType, used by Location.publish_allowed_to.
TokenType = _choices("TokenType", "AD_HOC_USER APP_USER OTHER RFID")
