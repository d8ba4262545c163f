"""/api/v1/changes and /api/v1/approvals: thin handlers that parse, authorise and call one action."""

from __future__ import annotations

from ninja import Router

changes_router = Router(tags=["changes"])
approvals_router = Router(tags=["changes"])
