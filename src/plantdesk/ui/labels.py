"""Labels people read for the names and codes the records store: field names on the history tab, coded
values (states, reasons, classes), state badges. The kernel knows none of the record apps: each registers
its own labels in its `AppConfig.ready()`, so a new app's history reads as well as the incidents'."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

YES_NO = {"true": "Yes", "false": "No"}

# Stored values of one field that name rows elsewhere (a site code, a username): given the values that
# occur on one page, return their labels in one query.
ValueLookup = Callable[[Iterable[str]], Mapping[str, str]]

_field_labels: dict[str, str] = {"state": "State", "journal": "Journal"}
_field_prefixes: dict[str, tuple[str, tuple[str, ...]]] = {}
_value_labels: dict[str, dict[str, str]] = {}
_value_lookups: dict[str, ValueLookup] = {}
_state_labels: dict[str, dict[str, str]] = {}
_action_labels: dict[str, str] = {
    "created": "Created",
    "updated": "Updated",
    "transition": "State change",
    "comment": "Comment",
    "work_note": "Work note",
    "communication": "Status update",
    "signed": "Signed",
    "signature_invalidated": "Signature invalidated",
    "deactivated": "Deactivated",
    "retired": "Retired",
    "imported": "Imported",
    "deleted": "Deleted",
}


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


def register_field_prefix(prefix: str, label: str, value_fields: tuple[str, ...] = ()) -> None:
    """Fields named `<prefix><name>` (the SLA clocks' `sla:P2 resolution`) read as `<label> <name>`, and
    their values with the labels of `value_fields` (a clock paused for a `hold_reason`)."""
    _field_prefixes[prefix] = (label, value_fields)


def register_value_lookup(field: str, lookup: ValueLookup) -> None:
    """Labels for a field whose values are rows of a table (site codes, usernames, option values)."""
    _value_lookups[field] = lookup


def register_action_labels(labels: Mapping[str, str]) -> None:
    """Audit actions (`approval`, `sla_paused`...) as the history tab names them."""
    _action_labels.update(labels)


def humanize(code: str) -> str:
    """The last resort for a code nobody labelled: `solved_fix` -> `Solved fix`."""
    return code.replace("_", " ").strip().capitalize()


def field_label(name: str) -> str:
    if name in _field_labels:
        return _field_labels[name]
    for prefix, (label, _) in _field_prefixes.items():
        if name.startswith(prefix):
            return f"{label} {name[len(prefix) :]}".strip()
    return humanize(name)


def value_fields_of(name: str) -> tuple[str, ...]:
    """The fields whose value labels apply to this field's values: itself, or its prefix's."""
    for prefix, (_, value_fields) in _field_prefixes.items():
        if name.startswith(prefix):
            return (prefix, *value_fields)
    return (name,)


def action_label(action: str) -> str:
    return _action_labels.get(action, humanize(action))


def value_label(field: str, value: str) -> str:
    return _value_labels.get(field, {}).get(value, value)


def static_value_labels(field: str) -> Mapping[str, str]:
    return _value_labels.get(field, {})


def value_lookup(field: str) -> ValueLookup | None:
    return _value_lookups.get(field)


def state_label(record_type: str, state: str) -> str:
    return _state_labels.get(record_type, {}).get(state, state.replace("_", " ").capitalize())
