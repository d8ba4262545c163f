"""The resolution codes of CONTRACT.md section 8 (admins may change them) and the PRB counter."""

from django.db import migrations

from plantdesk.problems.choices import DEFAULT_RESOLUTION_CODES, RESOLUTION_CODE_SET


def seed(apps, schema_editor):
    option = apps.get_model("core", "ChoiceOption")
    for order, (value, label) in enumerate(DEFAULT_RESOLUTION_CODES):
        option.objects.get_or_create(
            choice_set=RESOLUTION_CODE_SET, value=value, defaults={"label": label, "order": order}
        )
    apps.get_model("core", "NumberCounter").objects.get_or_create(prefix="PRB", defaults={"last_value": 1000})


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial"), ("core", "0002_audit_append_only")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
