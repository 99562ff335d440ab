"""OCPI 2.2.1 mod_locations enumerations, values spelled exactly as the spec."""

from django.db import models

from roaming.enums import ImageCategory  # noqa: F401 - Image is shared (roaming.ocpi_checks)


def _choices(name: str, values: str) -> type[models.TextChoices]:
    return models.TextChoices(name, [(v, v) for v in values.split()])


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
