"""One maintenance window: the events app's CI maintenance windows become change enablement's windows of kind
maintenance (one-off, on that CI), so that the same window suppresses alarms and admits changes. Every row
is kept: times, CI, reason (the description), who created it and when. A rollback copies the one-off,
one-CI maintenance windows back (and keeps them as windows: nothing is lost either way)."""

from django.db import migrations
from django.db.models import Count, Q

NAME_LENGTH = 160


def into_windows(apps, schema_editor):
    Old = apps.get_model("events", "MaintenanceWindow")
    Window = apps.get_model("changes", "Window")
    WindowCI = apps.get_model("changes", "WindowCI")
    for old in Old.objects.select_related("ci", "ci__site").order_by("pk").iterator(chunk_size=500):
        window = Window.objects.create(
            kind="maintenance",
            name=f"Maintenance of {old.ci.name}"[:NAME_LENGTH],
            description=old.reason,
            start=old.starts_at,
            end=old.ends_at,
            rrule="",
            last_end=old.ends_at,
            time_zone=old.ci.site.time_zone if old.ci.site_id else "UTC",
            run_state="",
            external_id="",
            created_by_id=old.created_by_id,
            created_at=old.created_at,
            updated_at=old.created_at,
            active=True,
        )
        WindowCI.objects.create(window=window, ci_id=old.ci_id)


def back(apps, schema_editor):
    Old = apps.get_model("events", "MaintenanceWindow")
    Window = apps.get_model("changes", "Window")
    one_off = (
        Window.objects.filter(kind="maintenance", rrule="")
        .annotate(
            n_cis=Count("ci_links", distinct=True),
            n_classes=Count("ci_classes", distinct=True),
            n_sites=Count("sites", distinct=True),
        )
        .filter(Q(n_cis=1) & Q(n_classes=0) & Q(n_sites=0))
        .order_by("pk")
    )
    for window in one_off:
        Old.objects.create(
            ci_id=window.ci_links.get().ci_id,
            starts_at=window.start,
            ends_at=window.end,
            reason=window.description or window.name,
            created_by_id=window.created_by_id,
            created_at=window.created_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_silence_site"),
        ("changes", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(into_windows, back),
        migrations.DeleteModel(name="MaintenanceWindow"),
    ]
