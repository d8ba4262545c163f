"""Seed the class catalog and relationship types of CONTRACT.md section 4."""

from django.db import migrations


def seed(apps, schema_editor):
    from plantdesk.cmdb.catalog import CLASSES, RELATIONSHIP_TYPES

    ci_class = apps.get_model("cmdb", "CIClass")
    for name, (label, family, schema) in CLASSES.items():
        ci_class.objects.get_or_create(
            name=name, defaults={"label": label, "family": family, "attribute_schema": schema}
        )
    rel_type = apps.get_model("cmdb", "RelationshipType")
    for name, (label, impact, sources, targets) in RELATIONSHIP_TYPES.items():
        rel_type.objects.get_or_create(
            name=name, defaults={"label": label, "impact": impact, "source_classes": sources, "target_classes": targets}
        )


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
