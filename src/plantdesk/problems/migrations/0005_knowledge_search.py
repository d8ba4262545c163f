"""The full-text index of article versions (title weighs most) and the KB number counter (KB0001001 first)."""

from django.db import migrations

from plantdesk.core.fulltext import fulltext_index_operations


def seed(apps, schema_editor):
    apps.get_model("core", "NumberCounter").objects.get_or_create(prefix="KB", defaults={"last_value": 1000})


class Migration(migrations.Migration):
    dependencies = [("problems", "0004_knowledge"), ("core", "0002_audit_append_only")]

    operations = [
        *fulltext_index_operations("problems_articleversion", {"title": "A", "body": "B"}),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
