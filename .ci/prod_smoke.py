"""Production smoke test (`bash .ci/prod-smoke`): the documented production stack on this
machine, then one roaming charge from swipe to CDR at the hub.

DEBUG=0 from .env.production.example on PostgreSQL and Redis; two gunicorn processes behind
Debian's nginx (deploy/nginx/cpo-roaming.conf: TLS, IOP's client certificate required on the
OCPI name); two Celery workers standing for two machines; one beat; the hub simulator over
HTTPS requiring OUR client certificate and presenting IOP's; certificates made by trustme.
Checks: check --deploy clean; the admin login page and its CSS over HTTPS; /health,
/health/workers and /metrics; the hub registers with us (Register FromIOP); the CSMS
simulator's charge reaches the hub as Session PUTs in order, then the CDR.
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import trustme
from cryptography import x509

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv/bin"
PYTHON = str(BIN / "python")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECRET = "Zq8vW3nR6tY1uI4oP7aS2dF5gH9jK0lXcVbNmQwErTyUiOpAsDfGhJk-smoke"


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768+), which other programs' outgoing
    connections take at random while we start."""
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def step(text: str) -> None:
    print(f"--- prod smoke: {text}", flush=True)


class Stack:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="prod-smoke-"))
        self.procs: list[subprocess.Popen] = []
        self.ports = {name: free_port() for name in ("web1", "web2", "staff", "iop", "http", "hub")}
        self.tls = self._certificates()
        self.env = self._environment()

    def _certificates(self) -> dict:
        """One CA for every server certificate (trusted by all), IOP's CA, ours."""
        servers, iop_ca, our_ca = trustme.CA(), trustme.CA(), trustme.CA()
        files = {}

        def write(name, pem):
            path = self.dir / name
            pem.write_to_path(str(path))
            files[name] = str(path)

        for name, ca in (("trust.pem", servers), ("iop-ca.crt", iop_ca), ("our-ca.crt", our_ca)):
            write(name, ca.cert_pem)
        for prefix, issued in (
            ("server", servers.issue_cert("127.0.0.1", "localhost")),
            ("iop", iop_ca.issue_cert("iop.gireve.test", common_name="iop.gireve.test")),
            ("ours", our_ca.issue_cert("cpo.example.com", common_name="cpo.example.com")),
        ):
            write(f"{prefix}.crt", issued.cert_chain_pems[0])
            write(f"{prefix}.key", issued.private_key_pem)
        iop = x509.load_pem_x509_certificate(Path(files["iop.crt"]).read_bytes())
        files["iop_subject"] = iop.subject.rfc4514_string()
        return files

    def _environment(self) -> dict:
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
        for line in (ROOT / ".env.production.example").read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, value = line.partition("=")
                env[key] = re.sub(r"<[^>]*>", SECRET, value)
        env.update(
            DATABASE_URL=os.environ.get(
                "SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cpo_prod_smoke"
            ),
            CELERY_BROKER_URL=os.environ.get("SMOKE_BROKER_URL", "redis://127.0.0.1:6379/13"),
            CACHE_URL=os.environ.get("SMOKE_CACHE_URL", "redis://127.0.0.1:6379/14"),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{self.ports['staff']}",
            OCPI_BASE_URL=f"https://127.0.0.1:{self.ports['iop']}/ocpi",
            STATIC_ROOT=str(self.dir / "static"),
            PROMETHEUS_MULTIPROC_DIR=str(self.dir / "metrics"),
            METRICS_TOKEN="smoke-metrics-token",
            CELERY_WORKER_CONCURRENCY="2",
            WEB_WORKERS="1",
            WEB_THREADS="4",
            # Everyone trusts the servers' CA (as a machine trusts the public CAs).
            REQUESTS_CA_BUNDLE=self.tls["trust.pem"],
            PYTHONUNBUFFERED="1",
            LOG_FORMAT="json",
        )
        (self.dir / "metrics").mkdir()
        return env

    def run(self, *args, **extra) -> str:
        result = subprocess.run(
            [*args], cwd=ROOT, env={**self.env, **extra}, capture_output=True, text=True,
            timeout=600,
        )
        if result.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def manage(self, *args) -> str:
        return self.run(PYTHON, "manage.py", *args)

    def start(self, name: str, *args, **extra) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "w")  # noqa: SIM115 (open while it runs)
        proc = subprocess.Popen(
            [*args], cwd=ROOT, env={**self.env, **extra}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def nginx_config(self) -> Path:
        site = (ROOT / "deploy/nginx/cpo-roaming.conf").read_text()
        site = site.replace(
            "server 127.0.0.1:8000;",
            f"server 127.0.0.1:{self.ports['web1']};\n    server 127.0.0.1:{self.ports['web2']};",
        )
        site = site.replace("/etc/cpo-roaming/tls/server.crt", self.tls["server.crt"])
        site = site.replace("/etc/cpo-roaming/tls/server.key", self.tls["server.key"])
        site = site.replace("/etc/cpo-roaming/tls/iop-ca.crt", self.tls["iop-ca.crt"])
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.ports['http']};")
        for name in ("staff", "iop"):
            site = site.replace(f"listen 443 ssl;  # {name}",
                                f"listen 127.0.0.1:{self.ports[name]} ssl;")
        (self.dir / "site.conf").write_text(site)
        main = self.dir / "nginx.conf"
        main.write_text(
            f"pid {self.dir}/nginx.pid;\nerror_log {self.dir}/nginx-error.log;\nevents {{}}\n"
            f"http {{\n  access_log {self.dir}/nginx-access.log;\n"
            f"  client_body_temp_path {self.dir}/body; proxy_temp_path {self.dir}/proxy;\n"
            f"  include /etc/nginx/mime.types;\n  include {self.dir}/site.conf;\n}}\n"
        )
        return main


def wait(what: str, condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"prod smoke: timed out waiting for {what}")


def main() -> int:
    stack = Stack()
    print(f"prod smoke: working directory {stack.dir}")
    db = stack.env["DATABASE_URL"].rsplit("/", 1)
    subprocess.run(["psql", db[0] + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {db[1]}"],
                   check=True)
    subprocess.run(["psql", db[0] + "/postgres", "-qc", f"CREATE DATABASE {db[1]}"], check=True)
    for url in (stack.env["CELERY_BROKER_URL"], stack.env["CACHE_URL"]):
        subprocess.run(["redis-cli", "-u", url, "flushdb"], check=True, capture_output=True)
    try:
        step("release: migrate, collectstatic, check --deploy")
        stack.manage("migrate", "--no-input")
        stack.manage("collectstatic", "--no-input")
        check = stack.manage("check", "--deploy", "--fail-level", "WARNING")
        assert "no issues" in check, check
        stack.manage("demo_data")
        stack.manage("ensure_admin", "--password", "smoke-admin-password")

        step("processes: 2 gunicorn behind nginx, 2 workers, 1 beat")
        for name in ("web1", "web2"):
            stack.start(name, str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                        "config.wsgi", GUNICORN_BIND=f"127.0.0.1:{stack.ports[name]}")
        for n in (1, 2):
            stack.start(f"worker{n}", str(BIN / "celery"), "-A", "config", "worker",
                        "--loglevel=INFO", f"--hostname=worker{n}@%h")
        stack.start("beat", str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO",
                    f"--schedule={stack.dir / 'celerybeat-schedule'}")
        stack.start("nginx", NGINX, "-p", str(stack.dir), "-c", str(stack.nginx_config()),
                    "-g", "daemon off;")
        hub_port = stack.ports["hub"]
        staff = f"https://127.0.0.1:{stack.ports['staff']}"
        web = [f"http://127.0.0.1:{stack.ports[name]}" for name in ("web1", "web2")]
        trust = stack.tls["trust.pem"]
        for url in web:
            wait(f"{url}/health", lambda url=url: requests.get(f"{url}/health", timeout=5).ok)
        wait("nginx", lambda: requests.get(f"{staff}/admin/login/", verify=trust, timeout=5).ok)

        step("the admin login page and its CSS over HTTPS")
        page = requests.get(f"{staff}/admin/login/", verify=trust, timeout=10)
        css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', page.text).group(1)
        answer = requests.get(f"{staff}{css}", verify=trust, timeout=10)
        assert answer.ok and answer.headers["Content-Type"].startswith("text/css"), answer
        print(f"    {css}: {answer.status_code} {answer.headers['Content-Type']}")

        step("the hub registers with us (Register FromIOP) with IOP's client certificate")
        token_a = re.search(r"Token A: (\S+)", stack.manage("ocpi_invite", "Gireve sim")).group(1)
        versions = f"https://127.0.0.1:{stack.ports['iop']}/ocpi/versions"
        without_cert = requests.get(versions, verify=trust, timeout=10)
        assert without_cert.status_code == 400, without_cert  # nginx: no client certificate
        # Our side of TLS first: the hub requires our certificate from the first call.
        stack.manage("shell", "-c", (
            "from roaming.models import Platform\n"
            "p = Platform.objects.get(name='Gireve sim')\n"
            f"p.client_certificate, p.client_key = {stack.tls['ours.crt']!r}, "
            f"{stack.tls['ours.key']!r}\n"
            f"p.required_client_subject = {stack.tls['iop_subject']!r}\n"
            "p.full_clean(); p.save()"
        ))
        # The hub simulator: HTTPS requiring our certificate, calling us with IOP's.
        stack.start(
            "hub", PYTHON, "manage.py", "hub_simulator", "--port", str(hub_port),
            "--demo-tokens", "--tls-cert", stack.tls["server.crt"],
            "--tls-key", stack.tls["server.key"], "--client-ca", stack.tls["our-ca.crt"],
            "--client-cert", stack.tls["iop.crt"], "--client-key", stack.tls["iop.key"],
            "--register-with", versions, "--token-a", token_a,
        )
        hub_log = stack.dir / "hub.log"
        wait("registration", lambda: "Registered with" in hub_log.read_text(), 60)
        print("    registered; our pushes present our client certificate")

        step("one roaming charge: CSMS simulator → hub (Session PUTs, then the CDR)")
        stack.manage("ocpi_push_all", "Gireve sim")
        key = re.search(r"csms_\S+", stack.manage(
            "csms_create", "Demo CSMS", "--operator", "FR*AB1", "--operator", "FR*XY2"
        )).group(0)
        charge = stack.manage("csms_simulator", "--key", key, "--url", f"{staff}/api/csms/v1",
                              "--session", "--speed", "0")
        print("    " + charge.strip().splitlines()[-1])
        session_id = re.search(r"session (\S+) COMPLETED", charge).group(1).rstrip("…")
        wait("the CDR at the hub", lambda: "POST /ocpi/2.2.1/cdrs" in hub_log.read_text(), 120)
        lines = hub_log.read_text().splitlines()
        puts = [line for line in lines if "/sessions/" in line and session_id[:8] in line]
        statuses = [re.search(r'"status": "(\w+)"', line).group(1) for line in puts
                    if '"status"' in line]
        cdr_at = next(i for i, line in enumerate(lines) if "POST /ocpi/2.2.1/cdrs" in line)
        assert statuses[0] == "ACTIVE" and statuses[-1] == "COMPLETED", statuses
        assert lines.index(puts[-1]) < cdr_at, "the CDR came before the session's last PUT"
        print(f"    the hub received {len(puts)} session PUTs ({' → '.join(statuses)}), "
              "then the CDR, in order (two workers running)")

        step("/health, /health/workers and /metrics")
        wait("all delivered", lambda: requests.get(f"{web[0]}/health", timeout=10)
             .json()["outbox"]["pending_messages"] == 0, 120)
        wait("/health/workers", lambda: requests.get(f"{web[1]}/health/workers", timeout=10).ok)
        metrics = requests.get(f"{web[0]}/metrics", timeout=10,
                               headers={"Authorization": "Bearer smoke-metrics-token"})
        assert metrics.ok, metrics
        sent = re.search(
            r'ocpi_hub_call_seconds_count\{[^}]*module="cdrs"[^}]*outcome="success"[^}]*\} (\S+)',
            metrics.text,
        )
        assert sent and float(sent.group(1)) >= 1, "no CDR counted in /metrics"
        print(f"    /metrics: CDRs accepted by the hub {sent.group(1)} (counted in a worker, "
              "read by the web process)")
        assert requests.get(f"{web[0]}/metrics", timeout=10).status_code == 401
    except BaseException:
        for log in sorted(stack.dir.glob("*.log")):
            print(f"===== {log.name} (last lines)\n" + "\n".join(
                log.read_text(errors="replace").splitlines()[-25:]))
        raise
    finally:
        stack.stop()
    step("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
