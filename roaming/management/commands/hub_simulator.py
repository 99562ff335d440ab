"""Run the hub simulator for people: a local IOP to register with and push to."""

import time

from django.core.management.base import BaseCommand

from roaming.hub_simulator import HubSimulator


class Command(BaseCommand):
    help = "Serve a simulated Gireve IOP (FR*107) on 127.0.0.1 until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=9107)
        parser.add_argument("--token", default="hub-token-c", help="token we must send it")

    def handle(self, *args, port, token, **options):
        hub = HubSimulator(port=port, token=token).start()
        self.stdout.write(f"Hub simulator: versions {hub.versions_url}, expects token {token}")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            hub.stop()
