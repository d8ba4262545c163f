"""Repeats update alerts in place: no index on what they write, and free space in each page (PostgreSQL)."""

from django.db import migrations, models


def leave_room_for_repeats(apps, schema_editor):
    """Free space in each page lets PostgreSQL rewrite a repeated alert in place (HOT), without index writes."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE events_alert SET (fillfactor = 70)")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE events_alert RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("events", "0003_cleared_resolution_code")]

    operations = [
        migrations.RemoveIndex(model_name="alert", name="alert_console_idx"),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(condition=models.Q(("state", "closed")), fields=["-closed_at"], name="alert_closed_idx"),
        ),
        migrations.RunPython(leave_room_for_repeats, fill_pages),
    ]
