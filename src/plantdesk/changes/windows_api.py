"""/api/v1/windows: maintenance, blackout and production-run windows (CONTRACT.md section 7)."""

from __future__ import annotations

from ninja import Router

windows_router = Router(tags=["changes"])
