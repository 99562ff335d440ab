"""factory-boy factories for every model, grouped by app."""

import datetime as dt

import factory

from locations import enums as loc_enums
from locations.models import EVSE, Connector, Location
from roaming.models import Operator

# --- locations -------------------------------------------------------------


class OperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operator
        django_get_or_create = ("country_code", "party_id")

    country_code = "FR"
    party_id = factory.Sequence(lambda n: f"A{n % 100:02d}")
    name = factory.Sequence(lambda n: f"Charge Network {n}")
    website = "https://www.example.com"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    operator = factory.SubFactory(OperatorFactory)
    ocpi_id = factory.Sequence(lambda n: f"LOC{n:05d}")
    publish = True
    name = factory.Sequence(lambda n: f"Parking {n}")
    address = "1 Rue de Rivoli"
    city = "Paris"
    postal_code = "75001"
    country = "FRA"
    latitude = "48.856614"
    longitude = "2.352222"
    parking_type = loc_enums.ParkingType.ON_STREET
    time_zone = "Europe/Paris"
    owner = factory.LazyFunction(lambda: {"name": "Ville de Paris"})


class EVSEFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EVSE

    location = factory.SubFactory(LocationFactory)
    uid = factory.Sequence(lambda n: f"EVSE{n:05d}")
    evse_id = factory.LazyAttribute(
        lambda o: f"{o.location.operator.country_code}*{o.location.operator.party_id}*E{o.uid}"
    )
    status = loc_enums.Status.AVAILABLE
    capabilities = factory.LazyFunction(
        lambda: [loc_enums.Capability.RFID_READER, loc_enums.Capability.REMOTE_START_STOP_CAPABLE]
    )
    tariff_ids = factory.LazyFunction(lambda: ["AC_STANDARD"])


class ConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connector

    evse = factory.SubFactory(EVSEFactory)
    ocpi_id = "1"
    standard = loc_enums.ConnectorType.IEC_62196_T2
    format = loc_enums.ConnectorFormat.SOCKET
    power_type = loc_enums.PowerType.AC_3_PHASE
    max_voltage = 230
    max_amperage = 32
    max_electric_power = 22000


# --- django.contrib.auth (registered in admin) -------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.Group"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"group {n}")


# --- sessions (label charging) ---------------------------------------------


class TokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "charging.Token"

    country_code = "DE"
    party_id = "TNM"
    uid = factory.Sequence(lambda n: f"RFID{n:08d}")
    type = "RFID"
    contract_id = factory.Sequence(lambda n: f"DE-TNM-C{n:08d}")
    issuer = "TheNewMotion"
    valid = True
    whitelist = "ALLOWED"
    last_updated = factory.Faker("date_time", tzinfo=dt.UTC)


class SessionFactory(factory.django.DjangoModelFactory):
    """An ACTIVE roaming session row (services build real ones: sessions.session_services)."""

    class Meta:
        model = "charging.Session"

    connector = factory.SubFactory(ConnectorFactory)
    evse = factory.SelfAttribute("connector.evse")
    location = factory.SelfAttribute("evse.location")
    operator = factory.SelfAttribute("location.operator")
    ocpi_id = factory.Sequence(lambda n: f"{n:032x}")
    start_date_time = dt.datetime(2026, 3, 13, 20, 30, tzinfo=dt.UTC)
    meter_start_wh = 0
    cdr_token = factory.LazyFunction(
        lambda: {
            "country_code": "DE",
            "party_id": "TNM",
            "uid": "0102030405060708",
            "type": "RFID",
            "contract_id": "DE-TNM-C12345678-X",
        }
    )
    auth_method = "AUTH_REQUEST"
    currency = "EUR"
    time_zone = "Europe/Paris"
    cdr_location = factory.LazyAttribute(
        lambda o: {"id": o.location.ocpi_id, "evse_uid": o.evse.uid, "connector_id": "1"}
    )
    status = "ACTIVE"
    last_updated = factory.LazyAttribute(lambda o: o.start_date_time)


class CdrFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "charging.Cdr"

    session = factory.SubFactory(SessionFactory, status="COMPLETED")
    operator = factory.SelfAttribute("session.operator")
    ocpi_id = factory.SelfAttribute("session.ocpi_id")
    data = factory.LazyAttribute(lambda o: {"id": o.ocpi_id, "total_cost": {"excl_vat": 0}})
    state = "QUEUED"
    emsp_country_code = "DE"
    emsp_party_id = "TNM"
    currency = "EUR"
    total_cost_excl_vat = 0
    total_energy = 0
    start_date_time = factory.SelfAttribute("session.start_date_time")
    end_date_time = factory.SelfAttribute("session.start_date_time")


# --- roaming ---------------------------------------------------------------


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "roaming.Platform"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Hub {n}")
    status = "CONNECTED"
    incoming_token_is_registration = False


class PlatformEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "roaming.PlatformEndpoint"
        django_get_or_create = ("platform", "identifier", "role")

    platform = factory.SubFactory(PlatformFactory)
    identifier = "locations"
    role = "RECEIVER"
    url = factory.LazyAttribute(lambda o: f"https://hub.example.com/ocpi/2.2.1/{o.identifier}")


class HubClientInfoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "roaming.HubClientInfo"

    platform = factory.SubFactory(PlatformFactory)
    country_code = "DE"
    party_id = factory.Sequence(lambda n: f"E{n % 100:02d}")
    role = "EMSP"
    status = "CONNECTED"
    last_updated = factory.Faker("date_time", tzinfo=dt.UTC)


class MessageLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "roaming.MessageLog"

    direction = "OUT"
    platform = factory.SubFactory(PlatformFactory)
    method = "PUT"
    url = "https://hub.example.com/ocpi/2.2.1/locations/FR/AB1/LOC1"
    module = "locations"
    http_status = 200
    ocpi_status = 1000
    correlation_id = factory.Faker("uuid4")


# --- roaming.outbox (label outbox) ------------------------------------------


class StreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "outbox.Stream"

    platform = factory.SubFactory(PlatformFactory)
    key = factory.Sequence(lambda n: f"location:{n}")
    module = "locations"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "outbox.Message"

    stream = factory.SubFactory(StreamFactory)
    method = "PATCH"
    path = factory.Sequence(lambda n: f"/FR/AB1/LOC{n}/EVSE1")
    body = factory.LazyFunction(
        lambda: {"status": "AVAILABLE", "last_updated": "2026-01-01T12:00:00Z"}
    )
    object_id = "LOC1"


# --- tariffs ---------------------------------------------------------------


class TariffFactory(factory.django.DjangoModelFactory):
    """A published-ready REGULAR tariff: € 0.25/kWh excl. VAT, 20 % VAT (decimal strings)."""

    class Meta:
        model = "tariffs.Tariff"

    operator = factory.SubFactory(OperatorFactory)
    ocpi_id = factory.Sequence(lambda n: f"TARIFF{n:04d}")
    currency = "EUR"
    type = "REGULAR"
    elements = factory.LazyFunction(
        lambda: [
            {
                "price_components": [
                    {"type": "ENERGY", "price": "0.25", "vat": "20.0", "step_size": 1}
                ]
            }
        ]
    )
    start_date_time = factory.LazyFunction(lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
