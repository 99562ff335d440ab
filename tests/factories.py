"""factory-boy factories for every model, grouped by app."""

import datetime as dt
import inspect
import sys

import factory
from django.apps import apps

from locations import enums as loc_enums
from locations.models import EVSE, Connector, Location
from roaming.models import Operator, hash_token
from tests.ocpi_api import EMSP, TOKEN

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


class AuthorizationFactory(factory.django.DjangoModelFactory):
    """A decision on a badge (normally made by sessions.authorization.decide)."""

    class Meta:
        model = "charging.Authorization"

    evse = factory.SubFactory(EVSEFactory)
    id_tag = "04A23B1C"
    uid = "04A23B1C"
    accepted = True
    reason = "ALLOWED"
    source = "HUB"
    latency_ms = 1


class RemoteStartFactory(factory.django.DjangoModelFactory):
    """A START_SESSION passed to a charge point just now (the commands flow fills these)."""

    class Meta:
        model = "charging.RemoteStart"

    created_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    evse = factory.SubFactory(EVSEFactory)
    uid = "04A23B1C5D6E7F"
    type = "RFID"
    token = factory.LazyAttribute(
        lambda o: {"country_code": "DE", "party_id": "TNM", "uid": o.uid, "type": o.type}
    )
    authorization_reference = "REMOTE-REF-1"


# --- sessions.csms (label csms) ----------------------------------------------


class CsmsFactory(factory.django.DjangoModelFactory):
    """A CSMS; `.api_key` holds its key for the test (only the hash is stored)."""

    class Meta:
        model = "csms.Csms"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"CSMS {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from sessions.csms.models import new_api_key

        csms = model_class(*args, **kwargs)
        csms.api_key = new_api_key()
        csms.set_api_key(csms.api_key)
        csms.save()
        return csms

    @factory.post_generation
    def operators(self, create, extracted, **kwargs):
        if extracted:
            self.operators.set(extracted)

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if extracted:
            self.locations.set(extracted)


class EvseMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "csms.EvseMapping"

    csms = factory.SubFactory(CsmsFactory)
    evse = factory.SubFactory(EVSEFactory)
    charge_point_id = factory.Sequence(lambda n: f"CP{n:04d}")
    connector_id = 1


class EvseStatusReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "csms.EvseStatusReport"

    evse = factory.SubFactory(EVSEFactory)
    reported_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    csms_status = "Charging"
    ocpi_status = "CHARGING"


class TransactionFactory(factory.django.DjangoModelFactory):
    """A CSMS transaction that became a roaming session (the bridge's transaction-started
    makes real ones: sessions.csms.transactions)."""

    class Meta:
        model = "csms.Transaction"

    csms = factory.SubFactory(CsmsFactory)
    session = factory.SubFactory(SessionFactory)
    evse = factory.SelfAttribute("session.evse")
    connector = factory.SelfAttribute("session.connector")
    transaction_id = factory.Sequence(lambda n: f"TX{n}")
    reporting = "ROAMING"
    id_tag = "04A23B1C5D6E7F"
    token_type = "RFID"
    started_at = factory.SelfAttribute("session.start_date_time")
    meter_start_wh = 0


# --- sessions.commands (label commands) ----------------------------------------


class CommandFactory(factory.django.DjangoModelFactory):
    """A remote command answered and waiting for its charge point (normally made by
    sessions.commands.services.receive_command)."""

    class Meta:
        model = "commands.Command"

    type = "START_SESSION"
    state = "WAITING"
    response_url = factory.Sequence(lambda n: f"https://hub.example.com/commands/results/{n}")
    request_body = "{}"
    received_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    response = "ACCEPTED"
    timeout_seconds = 60
    expires_at = factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(seconds=60))
    result_due_at = factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(seconds=50))


# --- roaming ---------------------------------------------------------------


class PlatformFactory(factory.django.DjangoModelFactory):
    """The one way to build a Platform in tests (CONNECTED, sending us no token by default).

    - `connected=True`: an eMSP-side platform calling our OCPI API with token C `token`
      (tests.ocpi_api.TOKEN, the one `ocpi_headers()` sends);
    - `token_a=True`: INVITED, holding only the registration token A `token`;
    - `hub=<HubSimulator>`: Gireve's IOP simulator on loopback, CONNECTED with its endpoints
      and tokens agreed both ways (registration itself is tested in tests/roaming).
    """

    class Meta:
        model = "roaming.Platform"
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    class Params:
        token = None  # what the platform sends us; stored hashed, as set_incoming_token does
        connected = factory.Trait(status="CONNECTED", roles=[EMSP], token=TOKEN)
        token_a = factory.Trait(
            status="INVITED", incoming_token_is_registration=True, token="token-a-for-tests"
        )

    name = factory.Sequence(lambda n: f"Hub {n}")
    status = "CONNECTED"
    incoming_token_is_registration = False
    incoming_token_hash = factory.LazyAttribute(lambda o: hash_token(o.token) if o.token else "")

    @factory.post_generation
    def hub(platform, create, simulator, **kwargs):
        """Short timeouts (1 s) so "slow" faults stay quick."""
        if simulator is None:
            return
        platform.versions_url, platform.version = simulator.versions_url, "2.2.1"
        platform.outgoing_token = simulator.token
        platform.hub_country_code, platform.hub_party_id = "FR", "107"
        platform.connect_timeout = platform.read_timeout = 1.0
        platform.set_incoming_token("our-token-c-for-the-hub", registration=False)
        platform.save()
        simulator.client_token = "our-token-c-for-the-hub"  # simulator.call(...) reaches us
        for endpoint in simulator.endpoints():
            PlatformEndpointFactory(platform=platform, **endpoint)


class PlatformEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "roaming.PlatformEndpoint"
        django_get_or_create = ("platform", "identifier", "role")

    platform = factory.SubFactory(PlatformFactory)
    identifier = "locations"
    role = "RECEIVER"
    url = factory.LazyAttribute(lambda o: f"https://hub.example.com/ocpi/2.2.1/{o.identifier}")


class SelfTestRunFactory(factory.django.DjangoModelFactory):
    """A finished self-test run with its report (sessions.selftest writes real ones)."""

    class Meta:
        model = "roaming.SelfTestRun"

    platform = factory.SubFactory(PlatformFactory)
    started_by = "ops"
    result = "pass"
    report = factory.LazyFunction(lambda: {"result": "pass", "use_cases": []})
    report_html = "<!doctype html><html><body><h1>Self-test report</h1></body></html>"
    started_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    finished_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))


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


class AuditEntryFactory(factory.django.DjangoModelFactory):
    """An entry as roaming.audit.record writes it (a LogEntry, through its proxy)."""

    class Meta:
        model = "roaming.AuditEntry"

    user = factory.SubFactory(UserFactory)
    action_flag = 2  # CHANGE
    change_message = "Stream held"


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


# --- staff accounts (roaming.accounts) ----------------------------------------


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """An authenticator app enrolled by `user` (django-otp); `device.bin_key` makes codes."""

    class Meta:
        model = "otp_totp.TOTPDevice"

    user = factory.SubFactory(UserFactory)
    name = "default"
    confirmed = True


class AccessAttemptFactory(factory.django.DjangoModelFactory):
    """Failed logins counted by django-axes; `failures_since_start=5`: locked out."""

    class Meta:
        model = "axes.AccessAttempt"

    username = factory.Sequence(lambda n: f"guess{n}")
    ip_address = "203.0.113.7"
    user_agent = "Mozilla/5.0"
    http_accept = "text/html"
    path_info = "/admin/login/"
    get_data = ""
    post_data = ""
    failures_since_start = 5


def factory_for(model):
    """The factory of `model` in this module, or None."""
    for _, candidate in inspect.getmembers(sys.modules[__name__], inspect.isclass):
        if not issubclass(candidate, factory.django.DjangoModelFactory):
            continue
        meta_model = candidate._meta.model
        if isinstance(meta_model, str):
            meta_model = apps.get_model(meta_model)
        if meta_model is model:
            return candidate
    return None
