"""The record types the SLA engine measures, registered by their own apps (`incidents` in its ready()).

The engine sits below the records it measures: it knows their states, hold reasons and the fields a
definition may select on only through what each record app registers here, so problems or requests get
clocks by registering too, never by the engine importing them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models

# Reads one condition field from a record; checks a definition's allowed values (None: fine, else why not).
Reader = Callable[[Any], Any]
Checker = Callable[[list[Any]], str | None]


@dataclass(frozen=True)
class Condition:
    read: Reader
    check: Checker


@dataclass(frozen=True)
class MeasuredType:
    """`open_states` run clocks, `done_states` meet them, `canceled_states` cancel them; a record in
    `on_hold_state` pauses the clocks whose definition pauses for its `hold_reason` (an attribute)."""

    record_type: str
    model: type[models.Model]
    open_states: frozenset[str]
    done_states: frozenset[str]
    canceled_states: frozenset[str]
    on_hold_state: str
    hold_reasons: Callable[[], list[str]]
    conditions: Mapping[str, Condition] = field(default_factory=dict)


_types: dict[str, MeasuredType] = {}


def register_measured(measured: MeasuredType) -> None:
    _types[measured.record_type] = measured


def measured(record_type: str) -> MeasuredType:
    try:
        return _types[record_type]
    except KeyError:
        raise LookupError(f"No app registered {record_type!r} records for service levels.") from None


def measured_types() -> dict[str, MeasuredType]:
    return dict(_types)


# -- checkers for the usual kinds of condition values --------------------------------------------------


def whole_numbers(low: int, high: int) -> Checker:
    def check(values: list[Any]) -> str | None:
        ok = all(isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in values)
        return None if ok else f"Whole numbers from {low} to {high}."

    return check


def booleans(values: list[Any]) -> str | None:
    return None if all(isinstance(v, bool) for v in values) else "true and/or false."


def names(known: Callable[[str], bool]) -> Checker:
    """Text values, each one that `known` accepts (a site code, a group name, an active option...)."""

    def check(values: list[Any]) -> str | None:
        if not all(isinstance(v, str) and 0 < len(v) <= 255 for v in values):
            return "Names (text)."
        unknown = [v for v in values if not known(v)]
        return f"Unknown: {', '.join(unknown)}." if unknown else None

    return check
