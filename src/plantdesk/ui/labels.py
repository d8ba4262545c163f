"""Labels people read for the names and codes the records store: field names on the history tab, coded
values (states, reasons, classes), state badges. The kernel knows none of the record apps: each registers
its own labels in its `AppConfig.ready()`, so a new app's history reads as well as the incidents'."""

from __future__ import annotations

from collections.abc import Mapping

YES_NO = {"true": "Yes", "false": "No"}

_field_labels: dict[str, str] = {"state": "State", "journal": "Journal"}
_value_labels: dict[str, dict[str, str]] = {}
_state_labels: dict[str, dict[str, str]] = {}


def register_field_labels(labels: Mapping[str, str]) -> None:
    """Field name -> label, for every record type (the same field name means the same thing everywhere)."""
    _field_labels.update(labels)


def register_value_labels(field: str, labels: Mapping[str, str]) -> None:
    """Stored value -> label for one field (`hold_reason`, `criticality`...); several apps may add values."""
    _value_labels.setdefault(field, {}).update(labels)


def register_state_labels(record_type: str, labels: Mapping[str, str]) -> None:
    """A record type's states as people read them (badges, and the `state` field on its history)."""
    _state_labels.setdefault(record_type, {}).update(labels)
    register_value_labels("state", labels)


def field_label(name: str) -> str:
    return _field_labels.get(name, name.replace("_", " ").capitalize())


def value_label(field: str, value: str) -> str:
    return _value_labels.get(field, {}).get(value, value)


def state_label(record_type: str, state: str) -> str:
    return _state_labels.get(record_type, {}).get(state, state.replace("_", " ").capitalize())
