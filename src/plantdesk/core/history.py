"""A record's audit trail as its history tab and the history endpoint show it."""

from __future__ import annotations

from typing import Any

from plantdesk.core.models import AuditEntry

# Audit actions that only agents may read (internal work notes).
INTERNAL_ACTIONS = frozenset({"work_note"})


def history_for(record_type: str, record_id: int, *, include_internal: bool) -> list[dict[str, Any]]:
    qs = AuditEntry.objects.filter(record_type=record_type, record_id=record_id).order_by("seq")
    if not include_internal:
        qs = qs.exclude(action__in=INTERNAL_ACTIONS)
    return [
        {
            "at": e.at,
            "actor": e.actor_username,
            "actor_name": e.actor_name,
            "action": e.action,
            "field": e.field,
            "old": e.old,
            "new": e.new,
            "reason": e.reason,
        }
        for e in qs
    ]
