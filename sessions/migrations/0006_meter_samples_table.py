"""Meter samples move out of the session's JSON into their own append-only table (issue 21):
a meter value then writes one row instead of rewriting the whole history. Existing sessions'
samples are copied over; an ACTIVE session's live state is built from them at its next event
(an empty `live_state` means "derive from the samples")."""

import datetime as dt
from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

import roaming.ocpi_json

BATCH = 2000


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _moment(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def json_to_rows(apps, schema_editor):
    Session = apps.get_model("charging", "Session")
    MeterSample = apps.get_model("charging", "MeterSample")
    rows = []
    sessions = Session.objects.exclude(samples=[]).only("pk", "samples").iterator(chunk_size=200)
    for session in sessions:
        by_time = {}
        for data in session.samples or []:
            at = _moment(data["at"])
            by_time[at] = MeterSample(
                session_id=session.pk,
                at=at,
                wh=int(data["wh"]),
                state=data.get("state") or "CHARGING",
                power_w=_decimal(data.get("power_w")),
                current_a=_decimal(data.get("current_a")),
                soc=_decimal(data.get("soc")),
            )
        rows.extend(by_time.values())
        if len(rows) >= BATCH:
            MeterSample.objects.bulk_create(rows)
            rows = []
    MeterSample.objects.bulk_create(rows)


def rows_to_json(apps, schema_editor):
    Session = apps.get_model("charging", "Session")
    MeterSample = apps.get_model("charging", "MeterSample")
    samples = {}
    for row in MeterSample.objects.order_by("session_id", "at").iterator(chunk_size=BATCH):
        data = {"at": row.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "wh": row.wh,
                "state": row.state}  # fmt: skip
        for name in ("power_w", "current_a", "soc"):
            if getattr(row, name) is not None:
                data[name] = getattr(row, name)
        samples.setdefault(row.session_id, []).append(data)
    for pk, data in samples.items():
        Session.objects.filter(pk=pk).update(samples=data)


class Migration(migrations.Migration):
    dependencies = [
        ("charging", "0005_session_meter_resets"),
    ]

    operations = [
        migrations.CreateModel(
            name="MeterSample",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("at", models.DateTimeField(help_text="Charge point time, whole seconds (UTC).")),
                ("wh", models.BigIntegerField(help_text="Energy.Active.Import.Register (Wh).")),
                (
                    "state",
                    models.CharField(help_text="What the charger reports after it.", max_length=10),
                ),
                (
                    "power_w",
                    models.DecimalField(blank=True, decimal_places=3, max_digits=12, null=True),
                ),
                (
                    "current_a",
                    models.DecimalField(blank=True, decimal_places=3, max_digits=9, null=True),
                ),
                (
                    "soc",
                    models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True),
                ),
                (
                    "session",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="meter_samples",
                        to="charging.session",
                    ),
                ),
            ],
            options={
                "ordering": ["session", "at"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("session", "at"), name="meter_sample_one_per_second"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="session",
            name="live_state",
            field=models.JSONField(
                blank=True,
                decoder=roaming.ocpi_json.ExactJSONDecoder,
                default=dict,
                encoder=roaming.ocpi_json.ExactJSONEncoder,
            ),
        ),
        migrations.RunPython(json_to_rows, rows_to_json),
        migrations.RemoveField(
            model_name="session",
            name="samples",
        ),
    ]
