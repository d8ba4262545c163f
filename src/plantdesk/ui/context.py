"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from plantdesk.ui.zones import page_zone


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    is_fulfiller = bool(user and user.is_authenticated and getattr(user, "is_fulfiller", False))
    path = request.path
    if is_fulfiller:
        items = [("Queue", "/incidents/", path.startswith("/incidents/") and path != "/incidents/new/"),
                 ("New incident", "/incidents/new/", path == "/incidents/new/"),
                 ("Portal", "/portal/", path.startswith("/portal/"))]  # fmt: skip
    elif user and user.is_authenticated:
        items = [("My incidents", "/portal/", path.startswith("/portal/") and path != "/portal/new/"),
                 ("Raise an incident", "/portal/new/", path == "/portal/new/")]  # fmt: skip
    else:
        items = []
    return {"is_fulfiller": is_fulfiller, "nav_items": items, "page_zone": page_zone()}
