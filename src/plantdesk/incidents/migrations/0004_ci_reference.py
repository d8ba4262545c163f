"""`Incident.ci` turns from a CI name into a reference to a CMDB row.

Names that match a CI (or one of its aliases) become references; a name the CMDB does not know is kept
in the description, so nothing recorded is lost (import the CMDB before upgrading to link them all).
Reversible: a rollback writes each linked CI's name back.
"""

from typing import Any

from django.db import migrations, models


def link_cis(apps: Any, schema_editor: Any) -> None:
    Incident = apps.get_model("incidents", "Incident")
    ConfigurationItem = apps.get_model("cmdb", "ConfigurationItem")
    CIAlias = apps.get_model("cmdb", "CIAlias")
    names = set(Incident.objects.exclude(ci_name="").values_list("ci_name", flat=True).distinct())
    if not names:
        return
    by_name = dict(ConfigurationItem.objects.filter(name__in=names).values_list("name", "pk"))
    by_name.update(CIAlias.objects.filter(value__in=names - by_name.keys()).values_list("value", "ci_id"))
    for name in names:
        unknown = Incident.objects.filter(ci_name=name)
        if name in by_name:
            unknown.update(ci_id=by_name[name])
            continue
        for incident in unknown.only("pk", "description"):
            note = f"Configuration item (not in the CMDB when it was linked): {name}"
            incident.description = f"{incident.description}\n\n{note}".strip()
            incident.save(update_fields=["description"])


def unlink_cis(apps: Any, schema_editor: Any) -> None:
    """Back to names, for a rollback: each incident gets its CI's name."""
    Incident = apps.get_model("incidents", "Incident")
    for pk, name in Incident.objects.filter(ci__isnull=False).values_list("pk", "ci__name"):
        Incident.objects.filter(pk=pk).update(ci_name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0002_catalog"),
        ("incidents", "0003_open_recent_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="incident", name="inc_ci_idx"),
        migrations.RenameField(model_name="incident", old_name="ci", new_name="ci_name"),
        migrations.AddField(
            model_name="incident",
            name="ci",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="incidents",
                to="cmdb.configurationitem",
            ),
        ),
        migrations.RunPython(link_cis, unlink_cis),
        migrations.RemoveField(model_name="incident", name="ci_name"),
    ]
