"""Network adjacency and location carry no impact; lines serve business services (docs/cmdb.md).

`connected_to` carried impact both ways and `located_in` from a CI up to its location, so one PLC was
shown impacting every line behind SCADA and its whole site. A type an administrator has set to another
direction is left as they set it.
"""

from django.db import migrations

CHANGED = {"connected_to": ("both", "none"), "located_in": ("source_to_target", "none")}
SERVES = ("serves", "source_to_target", [], ["business_service"])


def forwards(apps, schema_editor):
    rel_type = apps.get_model("cmdb", "RelationshipType")
    for name, (old, new) in CHANGED.items():
        rel_type.objects.filter(name=name, impact=old).update(impact=new)
    name, impact, sources, targets = SERVES
    rel_type.objects.get_or_create(
        name=name, defaults={"label": "serves", "impact": impact, "source_classes": sources, "target_classes": targets}
    )


def backwards(apps, schema_editor):
    rel_type = apps.get_model("cmdb", "RelationshipType")
    for name, (old, new) in CHANGED.items():
        rel_type.objects.filter(name=name, impact=new).update(impact=old)


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0005_relationship_fk_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
