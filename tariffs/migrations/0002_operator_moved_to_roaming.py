"""Operator now lives in `roaming` (same table): the foreign key follows, state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('roaming', '0002_operator'),
        ('tariffs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
        migrations.AlterField(
            model_name='tariff',
            name='operator',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tariffs', to='roaming.operator'),
        ),
        ]),
    ]
