"""Meter samples partitioned by day on `at` (PostgreSQL; roaming.partitions)."""

from django.db import migrations

from roaming.partitions import partition_by_day


class Migration(migrations.Migration):
    dependencies = [
        ("charging", "0007_cdr_verbose_name"),
    ]

    operations = [partition_by_day("charging_metersample", "at")]
