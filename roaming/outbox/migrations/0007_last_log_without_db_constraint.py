"""The message log becomes partitioned by day (roaming 0006): nothing may point into it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0006_message_endpoint_module_and_location"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="last_log",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="roaming.messagelog",
            ),
        ),
    ]
