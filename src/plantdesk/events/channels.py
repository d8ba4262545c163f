"""How each channel turns a kept payload back into a native event, so a dead letter can be replayed once
its mapping (or the adapter) is fixed. Adapters register their normaliser here; native JSON needs none."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from plantdesk.events.ingest import problem_with, with_severity_alias

# A normaliser takes the verbatim payload of one inbox row and returns the native event, or raises
# ValueError with a message naming the field at fault.
Normaliser = Callable[[str], dict[str, Any]]
_NORMALISERS: dict[str, Normaliser] = {}


def register(channel: str, normaliser: Normaliser) -> None:
    _NORMALISERS[channel] = normaliser


def native(payload: str) -> dict[str, Any]:
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise ValueError(f"body: not valid JSON: {exc}.") from exc
    event = with_severity_alias(event)
    problem = problem_with(event)
    if problem:
        raise ValueError(problem)
    return dict(event)


def normalise(channel: str, payload: str) -> dict[str, Any]:
    """The native event in `payload` as `channel` reads it today; ValueError names what is still wrong."""
    event = _NORMALISERS.get(channel, native)(payload)
    problem = problem_with(event)
    if problem:
        raise ValueError(problem)
    return event
