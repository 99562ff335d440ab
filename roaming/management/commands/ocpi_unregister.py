"""Forget a platform's connection locally: both tokens stop working."""

from django.core.management.base import BaseCommand, CommandError

from roaming.models import Platform
from roaming.registration import unregister


class Command(BaseCommand):
    help = "Unregister a platform (its tokens stop working, its endpoints are dropped)."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        platform = Platform.objects.filter(name=name).first()
        if platform is None:
            raise CommandError(f"No platform named {name!r}")
        unregister(platform=platform)
        self.stdout.write(f"Platform {name} unregistered.")
