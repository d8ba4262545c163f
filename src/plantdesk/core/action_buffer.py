"""What an action collects until its outermost transaction commits: audit entries and domain events.

`audit.action_transaction()` opens the buffer and writes it at the end; `audit.record` and
`domain_events.record_event` append to it, and refuse to run outside an action."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any

from plantdesk.core.actors import Actor


@dataclass
class PendingEntry:
    actor: Actor
    record_type: str
    record_id: int
    record_label: str
    action: str
    field: str = ""
    old: str = ""
    new: str = ""
    reason: str = ""


@dataclass
class PendingEvent:
    name: str
    record_type: str
    record_id: int
    record_label: str
    actor: Actor
    changes: dict[str, dict[str, str]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ActionBuffer:
    entries: list[PendingEntry] = field(default_factory=list)
    events: list[PendingEvent] = field(default_factory=list)


CURRENT: contextvars.ContextVar[ActionBuffer | None] = contextvars.ContextVar("action_buffer", default=None)


def current_buffer(what: str) -> ActionBuffer:
    buffer = CURRENT.get()
    if buffer is None:
        raise RuntimeError(f"{what} outside an action_transaction(): the change would go unrecorded")
    return buffer
