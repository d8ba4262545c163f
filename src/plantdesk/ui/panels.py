"""Panels that other apps contribute to a record's page (NetBox's template extensions, in small).

A lower app's page must not import the apps above it: the CI page cannot import incidents to list the CI's
open incidents. The upper app registers a panel for the page instead, and the page renders what is
registered, each panel reading through its own app's permission-scoped queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from plantdesk.accounts.models import User

PanelContext = Callable[[User, Any], dict[str, Any]]


@dataclass(frozen=True)
class Panel:
    page: str  # e.g. "ci_detail"
    name: str
    template: str
    context: PanelContext
    order: int = 100


_panels: dict[str, dict[str, Panel]] = {}


def register_panel(page: str, name: str, *, template: str, context: PanelContext, order: int = 100) -> None:
    """`context(user, record)` returns the template's context; registering a name again replaces it."""
    _panels.setdefault(page, {})[name] = Panel(page, name, template, context, order)


def render_panels(page: str, request: HttpRequest, user: User, record: Any) -> list[SafeString]:
    """The page's panels as HTML, in their order (the template outputs each as it is)."""
    panels = sorted(_panels.get(page, {}).values(), key=lambda p: (p.order, p.name))
    rendered = []
    for panel in panels:
        context = {"record": record, **panel.context(user, record)}
        rendered.append(mark_safe(render_to_string(panel.template, context, request)))  # noqa: S308
    return rendered
