"""/api/v1/schedule: the change calendar and the next free slot."""

from __future__ import annotations

from ninja import Router

schedule_router = Router(tags=["changes"])
