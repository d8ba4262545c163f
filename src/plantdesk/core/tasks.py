"""Django's task framework: `django.tasks` on Django 6, the `django_tasks` backport on Django 5.2."""

from __future__ import annotations

from importlib.util import find_spec

if find_spec("django.tasks"):
    from django.tasks import task
else:  # pragma: no cover - depends on the installed Django
    from django_tasks import task  # type: ignore[no-redef]

__all__ = ["task"]
