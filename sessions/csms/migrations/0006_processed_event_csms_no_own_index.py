"""csms_event_unique (csms, event_id, event_day) already indexes csms: one index less an event."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("csms", "0005_processed_events_partitioned_by_day"),
    ]

    operations = [
        migrations.AlterField(
            model_name="processedevent",
            name="csms",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="csms.csms",
            ),
        ),
    ]
