"""The message log partitioned by day on created_at (PostgreSQL; roaming.partitions)."""

from django.db import migrations

from roaming.partitions import partition_by_day


class Migration(migrations.Migration):
    dependencies = [
        ("roaming", "0005_platform_required_client_subject"),
        ("outbox", "0007_last_log_without_db_constraint"),
    ]

    operations = [partition_by_day("roaming_messagelog", "created_at")]
