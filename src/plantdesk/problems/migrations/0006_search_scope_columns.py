"""Scope columns on the searched rows (a known error's site, the readers of an article version), filled from
the records they copy; the actions keep them from here on."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from plantdesk.core.fulltext import (
    fulltext_after_table_rebuild,
    fulltext_narrow_rows_operations,
    fulltext_partial_index_operations,
)


def fill(apps: Any, schema_editor: Any) -> None:
    from django.db.models import OuterRef, Subquery

    problem = apps.get_model("problems", "Problem")
    apps.get_model("problems", "KnownError").objects.update(
        site_id=Subquery(problem.objects.filter(pk=OuterRef("problem_id")).values("site_id")[:1])
    )
    article = apps.get_model("problems", "Article").objects
    versions = apps.get_model("problems", "ArticleVersion").objects
    versions.filter(pk__in=article.values("latest_id")).update(shown_to_agents=True)
    public = article.filter(audience="public", published__isnull=False).exclude(state="retired")
    versions.filter(pk__in=public.values("published_id")).update(shown_to_requesters=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_language_and_date_format"),
        ("changes", "0002_maintenance_label"),
        ("cmdb", "0006_impact_directions"),
        ("problems", "0005_knowledge_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="articleversion",
            name="shown_to_agents",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="articleversion",
            name="shown_to_requesters",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="knownerror",
            name="site",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.site",
            ),
        ),
        migrations.AlterField(
            model_name="article",
            name="state",
            field=models.CharField(
                choices=[("draft", "Draft"), ("review", "Review"), ("published", "Published"), ("retired", "Retired")],
                default="draft",
                max_length=10,
            ),
        ),
        migrations.AddIndex(
            model_name="problem",
            index=models.Index(fields=["opened_by"], name="prb_opened_by_idx"),
        ),
        # SQLite rebuilt both tables for the new columns, dropping their full-text triggers.
        *fulltext_after_table_rebuild("problems_knownerror", {"symptom": "A", "root_cause": "B", "workaround": "B"}),
        *fulltext_after_table_rebuild("problems_articleversion", {"title": "A", "body": "B"}),
        # PostgreSQL: narrow rows for the searches, and the requesters' own index of what they read (before
        # the fill: PostgreSQL alters no table with deferred constraint checks pending).
        *fulltext_narrow_rows_operations("problems_knownerror"),
        *fulltext_narrow_rows_operations("problems_articleversion"),
        *fulltext_partial_index_operations("problems_articleversion", "shown_to_requesters"),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
