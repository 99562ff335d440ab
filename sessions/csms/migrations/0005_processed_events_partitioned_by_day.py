"""Processed events partitioned by the UTC day of the event's own timestamp (PostgreSQL;
roaming.partitions): every copy of an event has the same day, so the claim's unique
(csms, event_id, event_day) still catches them all. Existing rows take their received day."""

from django.db import migrations, models

from roaming.partitions import partition_by_day


def received_day(apps, schema_editor):
    ProcessedEvent = apps.get_model("csms", "ProcessedEvent")
    ProcessedEvent.objects.update(event_day=models.functions.TruncDate("received_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("csms", "0004_evse_status_report_verbose_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="processedevent",
            name="event_day",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(received_day, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="processedevent",
            name="event_day",
            field=models.DateField(),
        ),
        migrations.RemoveConstraint(model_name="processedevent", name="csms_event_unique"),
        migrations.AddConstraint(
            model_name="processedevent",
            constraint=models.UniqueConstraint(
                fields=("csms", "event_id", "event_day"), name="csms_event_unique"
            ),
        ),
        partition_by_day("csms_processedevent", "event_day"),
    ]
