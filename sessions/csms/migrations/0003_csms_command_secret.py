"""Csms.command_secret: the HMAC key of our calls to its command endpoint, one per CSMS."""

import secrets

from django.db import migrations, models

import sessions.csms.models


def give_each_its_own(apps, schema_editor):
    # AddField computed the callable default once for every existing row: one secret each.
    Csms = apps.get_model("csms", "Csms")
    for csms in Csms.objects.all():
        csms.command_secret = secrets.token_urlsafe(32)
        csms.save(update_fields=["command_secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("csms", "0002_transaction"),
    ]

    operations = [
        migrations.AddField(
            model_name="csms",
            name="command_secret",
            field=models.CharField(
                default=sessions.csms.models.new_command_secret,
                editable=False,
                help_text="HMAC key.",
                max_length=64,
            ),
        ),
        migrations.RunPython(give_each_its_own, migrations.RunPython.noop),
    ]
