"""deploy/nginx/cpo-roaming.conf run for real: Debian's nginx in front of gunicorn, TLS
certificates by trustme, IOP calling with and without a valid client certificate."""

import re
import shutil
import subprocess
import time

import pytest
import requests
import trustme
from cryptography import x509

from tests.factories import PlatformFactory
from tests.ocpi_api import TOKEN

from .conftest import ROOT, free_port, stop

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/test does)")
OCPI_AUTH = {"Authorization": f"Token {TOKEN}"}


def write(pem, path) -> str:
    pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def tls(tmp_path):
    """Our server certificate, IOP's CA and client certificate, and a stranger's."""
    server_ca, iop_ca, rogue_ca = trustme.CA(), trustme.CA(), trustme.CA()
    server = server_ca.issue_cert("127.0.0.1", "cpo.example.com")
    iop = iop_ca.issue_cert("iop.gireve.test", common_name="iop.gireve.test")
    rogue = rogue_ca.issue_cert("iop.gireve.test", common_name="iop.gireve.test")
    files = {"dir": tmp_path, "ca_bundle": write(server_ca.cert_pem, tmp_path / "trust.pem")}
    files["server.crt"] = write(server.cert_chain_pems[0], tmp_path / "server.crt")
    files["server.key"] = write(server.private_key_pem, tmp_path / "server.key")
    files["iop-ca.crt"] = write(iop_ca.cert_pem, tmp_path / "iop-ca.crt")
    for name, issued in (("iop", iop), ("rogue", rogue)):
        files[name] = (write(issued.cert_chain_pems[0], tmp_path / f"{name}.crt"),
                       write(issued.private_key_pem, tmp_path / f"{name}.key"))
    cert = x509.load_pem_x509_certificate(iop.cert_chain_pems[0].bytes())
    files["iop_subject"] = cert.subject.rfc4514_string()
    return files


@pytest.fixture
def nginx(tls, gunicorn):
    """The shipped site file, with this test's ports, certificate paths and gunicorn."""
    app = gunicorn()
    ports = {"staff": free_port(), "iop": free_port(), "http": free_port()}
    site = (ROOT / "deploy/nginx/cpo-roaming.conf").read_text()
    site = site.replace("127.0.0.1:8000", app.removeprefix("http://"))
    site = site.replace("/etc/cpo-roaming/tls", str(tls["dir"]))
    site = site.replace("listen 80;", f"listen 127.0.0.1:{ports['http']};")
    for name in ("staff", "iop"):
        site = site.replace(f"listen 443 ssl;  # {name}", f"listen 127.0.0.1:{ports[name]} ssl;")
    prefix = tls["dir"]
    (prefix / "site.conf").write_text(site)
    (prefix / "nginx.conf").write_text(
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {prefix}/access.log;\n"
        f"  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;\n"
        f"  include {prefix}/site.conf;\n}}\n"
    )
    proc = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{ports['http']}/", timeout=1, allow_redirects=False)
            break
        except requests.ConnectionError:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
    yield {name: f"https://127.0.0.1:{port}" for name, port in ports.items()} | {
        "http": f"http://127.0.0.1:{ports['http']}"
    }
    stop(proc)


def test_the_config_is_valid_for_debians_nginx(tls, tmp_path):
    site = (ROOT / "deploy/nginx/cpo-roaming.conf").read_text()
    site = site.replace("/etc/cpo-roaming/tls", str(tls["dir"]))
    (tmp_path / "t.conf").write_text(
        f"pid {tmp_path}/t.pid; error_log stderr; events {{}} http {{ include {tmp_path}/s.conf; }}"
    )
    (tmp_path / "s.conf").write_text(site)
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "t.conf")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


def test_iop_without_a_client_certificate_is_refused_by_nginx(nginx, tls):
    PlatformFactory(connected=True)
    answer = requests.get(f"{nginx['iop']}/ocpi/versions", headers=OCPI_AUTH,
                          verify=tls["ca_bundle"], timeout=10)
    # nginx ends it before the app: its own 400 page, no OCPI envelope.
    assert answer.status_code == 400
    assert "No required SSL certificate was sent" in answer.text
    assert not (tls["dir"] / "access.log").read_text().count('"GET /ocpi/versions HTTP/1.1" 200')


def test_a_certificate_from_another_ca_is_refused_by_nginx(nginx, tls):
    PlatformFactory(connected=True)
    answer = requests.get(f"{nginx['iop']}/ocpi/versions", headers=OCPI_AUTH,
                          verify=tls["ca_bundle"], cert=tls["rogue"], timeout=10)
    assert answer.status_code == 400
    assert "SSL certificate error" in answer.text


def test_iop_with_its_certificate_reaches_ocpi_and_nothing_else(nginx, tls):
    platform = PlatformFactory(connected=True, required_client_subject=tls["iop_subject"])
    call = dict(verify=tls["ca_bundle"], cert=tls["iop"], timeout=10)
    versions = requests.get(f"{nginx['iop']}/ocpi/versions", headers=OCPI_AUTH, **call)
    assert versions.status_code == 200, versions.text
    assert versions.json()["status_code"] == 1000
    assert versions.json()["data"][0]["url"].startswith("http")
    # Nothing but OCPI on IOP's name.
    for path in ("/admin/login/", "/finance/", "/metrics", "/api/csms/v1/schema/"):
        assert requests.get(f"{nginx['iop']}{path}", **call).status_code == 404, path
    # The app requires the very subject nginx verified: another one is refused (OCPI 401).
    platform.required_client_subject = "CN=someone.else,O=GIREVE,C=FR"
    platform.save()
    refused = requests.get(f"{nginx['iop']}/ocpi/versions", headers=OCPI_AUTH, **call)
    assert refused.status_code == 401
    assert "Client certificate required" in refused.json()["status_message"]


def test_staff_name_serves_the_admin_with_css_and_no_ocpi(nginx, tls):
    PlatformFactory(connected=True)
    call = dict(verify=tls["ca_bundle"], timeout=10)
    page = requests.get(f"{nginx['staff']}/admin/login/", **call)
    assert page.status_code == 200 and 'name="auth-username"' in page.text
    css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', page.text).group(1)
    assert requests.get(f"{nginx['staff']}{css}", **call).headers["Content-Type"].startswith(
        "text/css"
    )
    # OCPI only on IOP's name, where the certificate is checked; a forged subject header
    # never reaches the app from the staff name.
    forged = {**OCPI_AUTH, "X-SSL-Client-Subject": tls["iop_subject"]}
    assert requests.get(f"{nginx['staff']}/ocpi/versions", headers=forged, **call).status_code \
        == 404
    redirect = requests.get(f"{nginx['http']}/admin/", allow_redirects=False, timeout=10)
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")
