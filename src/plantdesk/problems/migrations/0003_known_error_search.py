"""The full-text index of known errors: symptom weighs most, root cause and workaround next (core.fulltext)."""

from django.db import migrations

from plantdesk.core.fulltext import fulltext_index_operations


class Migration(migrations.Migration):
    dependencies = [("problems", "0002_defaults")]

    operations = fulltext_index_operations(
        "problems_knownerror", {"symptom": "A", "root_cause": "B", "workaround": "B"}
    )
