"""The resolution code an incident gets when the alarm that opened it clears by itself."""

from django.db import migrations

VALUE, LABEL = "cleared_by_source", "Cleared by the source (alarm cleared)"


def seed(apps, schema_editor):
    option = apps.get_model("core", "ChoiceOption")
    option.objects.get_or_create(
        choice_set="incident_resolution_code", value=VALUE, defaults={"label": LABEL, "order": 100}
    )


def unseed(apps, schema_editor):
    apps.get_model("core", "ChoiceOption").objects.filter(choice_set="incident_resolution_code", value=VALUE).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0002_alerts"), ("incidents", "0002_itil_defaults")]
    operations = [migrations.RunPython(seed, unseed)]
