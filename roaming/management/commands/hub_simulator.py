"""Run the hub simulator for people: a local IOP to register with and push to."""

import json
import ssl
import time

from django.core.management.base import BaseCommand, CommandError

from roaming.simulator import QUALIFICATION_TOKEN, USE_CASE_FAULTS, HubSimulator
from roaming.simulator.demo_tokens import DEMO_AUTHORIZATIONS, load_demo_tokens
from roaming.simulator.faults import RTA_HTTP_500
from roaming.simulator.tokens import load_qualification_token


class Command(BaseCommand):
    help = "Serve a simulated Gireve IOP (FR*107) on 127.0.0.1 until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=9107)
        parser.add_argument("--token", default="hub-token-c", help="token we must send it")
        parser.add_argument(
            "--register-with",
            metavar="VERSIONS_URL",
            help="Register FromIOP: POST its credentials to this versions URL's platform",
        )
        parser.add_argument("--token-a", help="the token A we issued (manage.py ocpi_invite)")
        parser.add_argument(
            "--demo-tokens",
            action="store_true",
            help="answer authorize for the csms_simulator's badges: "
            + ", ".join(f"{uid} {allowed}" for uid, allowed in DEMO_AUTHORIZATIONS.items()),
        )
        parser.add_argument(
            "--play-iop",
            action="store_true",
            help="play IOP's side of qualification (pull locations, START/STOP) once a CPO "
            f"authorizes the qualification badge {QUALIFICATION_TOKEN['uid']} in real time",
        )
        parser.add_argument(
            "--break",
            dest="broken",
            action="append",
            default=[],
            choices=[*USE_CASE_FAULTS, RTA_HTTP_500],
            metavar="USE_CASE",
            help="break one qualification use case (repeatable): " + ", ".join(USE_CASE_FAULTS),
        )
        parser.add_argument(
            "--quiet", action="store_true", help="do not print each request it receives"
        )
        tls = parser.add_argument_group("TLS as Gireve runs it (§2.1.2; docs/deployment.md)")
        tls.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain)")
        tls.add_argument("--tls-key", help="its PEM key")
        tls.add_argument("--client-ca", help="require client certificates signed by this CA")
        tls.add_argument("--client-cert", help="PEM certificate it presents when calling us")
        tls.add_argument("--client-key", help="its PEM key")

    def handle(self, *args, port, token, register_with, token_a, demo_tokens, quiet, **options):
        if register_with and not token_a:
            raise CommandError("--register-with needs --token-a")
        hub = HubSimulator(port=port, token=token, ssl_context=_tls(options))
        if options["client_cert"]:
            hub.client_cert = (options["client_cert"], options["client_key"])
        hub.start()
        if demo_tokens:
            load_demo_tokens(hub)
        if options["play_iop"]:
            load_qualification_token(hub)
            hub.play_iop_on_authorize = True
        for name in options["broken"]:
            hub.break_use_case(name)
        self.stdout.write(f"Hub simulator (FR*107) listening: versions {hub.versions_url}")
        if register_with:
            answer = hub.register_with(register_with, token_a)
            if answer.get("status_code") != 1000:
                hub.stop()
                raise CommandError(f"Registration refused: {answer.get('status_message')}")
            self.stdout.write(f"Registered with {register_with}; we must send it {hub.token}")
        else:
            self.stdout.write(
                f"Register ToIOP with: manage.py ocpi_register NAME --versions-url "
                f"{hub.versions_url} --token {hub.registration_token}"
            )
        if hub.broken:
            self.stdout.write(f"Broken use cases: {', '.join(sorted(hub.broken))}")
        printed = played = 0
        try:
            while True:
                time.sleep(0.5)
                if not quiet:
                    printed = self._print_received(hub, printed)
                    played = self._print_played(hub, played)
        except KeyboardInterrupt:
            hub.stop()

    def _print_received(self, hub, printed: int) -> int:
        """One line per request received since the last call: what the platform sent."""
        with hub.lock:
            new = hub.received[printed:]
        for request in new:
            body = json.dumps(request.json)[:160] if request.json is not None else ""
            self.stdout.write(f"<- {request.method} {request.path} {body}")
        return printed + len(new)

    def _print_played(self, hub, played: int) -> int:
        """One line per play_iop step since the last call (a new play starts at 0 again)."""
        with hub.lock:
            steps = hub.iop_play
            played = min(played, len(steps))
            new = steps[played:]
        for step in new:
            answer = json.dumps(step["answer"])[:120] if step["answer"] is not None else ""
            line = f"IOP {step['step']} {step['method'] or ''} {step['url'] or ''}"
            self.stdout.write(f"{line} -> {step['status'] or ''} {answer}")
        return played + len(new)


def _tls(options) -> ssl.SSLContext | None:
    if not options["tls_cert"]:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(options["tls_cert"], options["tls_key"])
    if options["client_ca"]:
        context.load_verify_locations(options["client_ca"])
        context.verify_mode = ssl.CERT_REQUIRED
    return context
