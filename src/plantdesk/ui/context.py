"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"is_fulfiller": bool(user and user.is_authenticated and getattr(user, "is_fulfiller", False))}
