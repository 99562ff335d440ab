"""Serve a CSMS command endpoint on loopback that plays the charge points (sessions.commands.
csms_double): for the README walkthrough and manual trials."""

import time

from django.core.management.base import BaseCommand, CommandError

from sessions.commands.csms_double import MODES, CsmsDouble
from sessions.csms.models import Csms


class Command(BaseCommand):
    help = (
        "Answer the platform's signed remote start/stop calls as a CSMS would, then report "
        "the charge point's result and the transaction on the bridge API over HTTP."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key", required=True, help="the CSMS's API key (csms_…)")
        parser.add_argument("--secret", required=True, help="its command secret")
        parser.add_argument("--port", type=int, default=9300)
        parser.add_argument("--url", default="http://127.0.0.1:8000/api/csms/v1")
        parser.add_argument("--mode", choices=MODES, default="accepts")
        parser.add_argument("--late-seconds", type=float, default=70.0)

    def handle(self, *args, key, secret, port, url, mode, late_seconds, **options):
        csms = Csms.objects.for_api_key(key)
        if csms is None:
            raise CommandError("Unknown or revoked key: create a CSMS (manage.py csms_create).")
        double = CsmsDouble(
            url,
            key,
            secret,
            mode=mode,
            port=port,
            late_seconds=late_seconds,
            out=self.stdout.write,
        ).start()
        self.stdout.write(f"CSMS double for {csms} ({mode}) listening: {double.url}")
        if csms.command_url != double.url:
            self.stdout.write(
                f"{csms}'s command URL is {csms.command_url or 'empty'}: set it with "
                f'manage.py csms_command_endpoint "{csms}" --url {double.url}'
            )
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            double.stop()
