"""ITIL defaults: the priority matrix, categories and resolution codes (admins may change them)."""

from django.db import migrations

MATRIX = {
    (1, 1): 1,
    (1, 2): 2,
    (1, 3): 3,
    (2, 1): 2,
    (2, 2): 3,
    (2, 3): 4,
    (3, 1): 3,
    (3, 2): 4,
    (3, 3): 5,
}
CATEGORIES = [
    ("software", "Software / application"),
    ("hardware", "Hardware"),
    ("network", "Network"),
    ("access", "Access / account"),
    ("ot_equipment", "OT equipment (PLC, HMI, SCADA)"),
    ("database", "Database"),
    ("security", "Security"),
    ("inquiry", "Inquiry / help"),
]
RESOLUTION_CODES = [
    ("solved_fix", "Solved (permanent fix)"),
    ("solved_workaround", "Solved (workaround)"),
    ("solved_by_caller", "Solved by caller"),
    ("user_error", "User error / training"),
    ("not_reproducible", "Not reproducible"),
    ("duplicate", "Duplicate"),
    ("known_error", "Known error (problem linked)"),
    ("change_implemented", "Resolved by change"),
    ("vendor_fix", "Fixed by vendor"),
]


def seed(apps, schema_editor):
    matrix = apps.get_model("incidents", "PriorityMatrix")
    for (impact, urgency), priority in MATRIX.items():
        matrix.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
    option = apps.get_model("core", "ChoiceOption")
    for choice_set, options in (
        ("incident_category", CATEGORIES),
        ("incident_resolution_code", RESOLUTION_CODES),
    ):
        for order, (value, label) in enumerate(options):
            option.objects.get_or_create(choice_set=choice_set, value=value, defaults={"label": label, "order": order})
    apps.get_model("core", "NumberCounter").objects.get_or_create(prefix="INC", defaults={"last_value": 1000})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial"), ("core", "0002_audit_append_only")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
