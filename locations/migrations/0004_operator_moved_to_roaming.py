"""Operator now lives in `roaming` (same table): foreign key and model state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('locations', '0003_strict_line_ends'),
        ('roaming', '0002_operator'),
        ('tariffs', '0002_operator_moved_to_roaming'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
        migrations.AlterField(
            model_name='location',
            name='operator',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='locations', to='roaming.operator'),
        ),
        migrations.DeleteModel(
            name='Operator',
        ),
        ]),
    ]
