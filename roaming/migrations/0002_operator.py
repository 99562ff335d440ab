"""Operator moves down from `locations` to `roaming`: same table, state only, and its content
type (with its permissions) renamed so groups and admin history follow it."""

import django.core.validators
import django.db.models.functions.text
from django.db import migrations, models


def _rename(apps, old_label, new_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(app_label=new_label, model="operator").exists():
        return
    ContentType.objects.filter(app_label=old_label, model="operator").update(app_label=new_label)


def move_content_type(apps, schema_editor):
    _rename(apps, "locations", "roaming")


def move_content_type_back(apps, schema_editor):
    _rename(apps, "roaming", "locations")


class Migration(migrations.Migration):

    dependencies = [
        ('roaming', '0001_initial'),
        ('locations', '0003_strict_line_ends'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='Operator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('country_code', models.CharField(max_length=2, validators=[django.core.validators.RegexValidator('^[A-Za-z]{2}\\Z', 'Country code must be 2 letters (ISO 3166-1 alpha-2), e.g. FR.')])),
                ('party_id', models.CharField(max_length=3, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9]{3}\\Z', 'Party id must be 3 letters or digits (eMI3 spot operator id), e.g. AB1.')])),
                ('name', models.CharField(help_text='BusinessDetails.name (brand name).', max_length=100)),
                ('website', models.URLField(blank=True, max_length=255)),
                ('logo', models.JSONField(blank=True, help_text='OCPI Image object, optional.', null=True)),
                ('advenir_participant', models.BooleanField(default=False, help_text='Sends all sessions/CDRs to Advenir through IOP (§3.8.5).')),
                ('network_group', models.CharField(blank=True, help_text='Gireve Connect Place network group (§3.1.2).', max_length=100)),
            ],
            options={
                'db_table': 'locations_operator',
                'ordering': ['country_code', 'party_id'],
                'constraints': [models.UniqueConstraint(django.db.models.functions.text.Upper('country_code'), django.db.models.functions.text.Upper('party_id'), name='operator_unique_party', violation_error_message='An operator with this country code and party id already exists (compared case-insensitively).')],
            },
        ),
        ], database_operations=[]),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
