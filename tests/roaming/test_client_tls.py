"""TLS toward the hub: certificates verified, optional client certificate (mutual TLS, §2.1.2)."""

import ssl

import pytest
import trustme

from roaming.client import OcpiClient
from roaming.simulator import HubSimulator
from tests.factories import OperatorFactory, PlatformFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ca():
    return trustme.CA()


@pytest.fixture
def tls_hub(ca):
    """The simulator over HTTPS, demanding a client certificate issued by our test CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    hub = HubSimulator(ssl_context=context).start()
    yield hub
    hub.stop()


@pytest.fixture
def platform(tls_hub):
    return PlatformFactory(hub=tls_hub)


@pytest.fixture
def trusted_ca(ca, tmp_path, monkeypatch):
    """Our CA bundle trusts the test CA (as a deployment trusts the public CA of the hub)."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))


def client_certificate(ca, tmp_path, platform) -> None:
    issued = ca.issue_cert("cpo.example.com")
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    platform.client_certificate, platform.client_key = str(cert), str(key)
    platform.save()


def put_location(platform):
    client = OcpiClient(platform)
    url = client.object_url("locations", OperatorFactory(country_code="FR", party_id="AB1"), "L1")
    return client.send("PUT", url, json={"id": "L1"}, module="locations")


def test_mutual_tls_with_our_client_certificate_succeeds(
    ca, tmp_path, platform, tls_hub, trusted_ca
):
    client_certificate(ca, tmp_path, platform)

    outcome = put_location(platform)

    assert outcome.kind == "success", outcome.message
    assert tls_hub.objects["locations/FR/AB1/L1"] == {"id": "L1"}


def test_without_client_certificate_the_hub_refuses_the_connection(platform, tls_hub, trusted_ca):
    outcome = put_location(platform)

    assert outcome.kind == "technical"
    assert outcome.http_status is None
    assert not tls_hub.objects


def test_an_untrusted_server_certificate_is_refused(ca, tmp_path, platform, tls_hub, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    client_certificate(ca, tmp_path, platform)

    outcome = put_location(platform)

    assert outcome.kind == "technical"
    assert "SSLError" in outcome.message and "certificate verify failed" in outcome.message
    assert not tls_hub.received
