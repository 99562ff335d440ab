"""Issue 19.1: EVSEs are held back one by one, so Location.gireve_missing keeps only what the
location itself misses (owner.name, operator.name); "EVSE ...: ..." items are dropped."""

from django.db import migrations


def location_items_only(apps, schema_editor):
    Location = apps.get_model("locations", "Location")
    for location in Location.objects.exclude(gireve_missing=[]).only("pk", "gireve_missing"):
        kept = [item for item in location.gireve_missing if not item.startswith("EVSE ")]
        if kept != location.gireve_missing:
            Location.objects.filter(pk=location.pk).update(gireve_missing=kept)


class Migration(migrations.Migration):
    dependencies = [("locations", "0008_outoforderinterval")]

    operations = [migrations.RunPython(location_items_only, migrations.RunPython.noop)]
