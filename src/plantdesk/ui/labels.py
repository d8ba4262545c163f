"""Labels people read for the names and codes the records store: field names on the history tab, coded
values (states, reasons, classes), state badges. The kernel knows none of the record apps: each registers
its own labels in its `AppConfig.ready()`, so a new app's history reads as well as the incidents'."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Labels are kept lazy (gettext_lazy) and turned into text when read: in the reader's language, not the one
# active when an app registered them.
YES_NO: dict[str, StrOrPromise] = {"true": _("Yes"), "false": _("No")}

# Stored values of one field that name rows elsewhere (a site code, a username): given the values that
# occur on one page, return their labels in one query.
ValueLookup = Callable[[Iterable[str]], Mapping[str, str]]

_field_labels: dict[str, StrOrPromise] = {"state": _("State"), "journal": _("Journal")}
_field_prefixes: dict[str, tuple[StrOrPromise, tuple[str, ...]]] = {}
_value_labels: dict[str, dict[str, StrOrPromise]] = {}
_value_lookups: dict[str, ValueLookup] = {}
_state_labels: dict[str, dict[str, StrOrPromise]] = {}
_action_labels: dict[str, StrOrPromise] = {
    "created": _("Created"),
    "updated": _("Updated"),
    "transition": _("State change"),
    "comment": _("Comment"),
    "work_note": _("Work note"),
    "communication": _("Status update"),
    "signed": _("Signed"),
    "signature_invalidated": _("Signature invalidated"),
    "deactivated": _("Deactivated"),
    "retired": _("Retired"),
    "imported": _("Imported"),
    "deleted": _("Deleted"),
}


def register_field_labels(labels: Mapping[str, StrOrPromise]) -> None:
    """Field name -> label, for every record type (the same field name means the same thing everywhere)."""
    _field_labels.update(labels)


def register_value_labels(field: str, labels: Mapping[str, StrOrPromise]) -> None:
    """Stored value -> label for one field (`hold_reason`, `criticality`...); several apps may add values."""
    _value_labels.setdefault(field, {}).update(labels)


def register_state_labels(record_type: str, labels: Mapping[str, StrOrPromise]) -> None:
    """A record type's states as people read them (badges, and the `state` field on its history)."""
    _state_labels.setdefault(record_type, {}).update(labels)
    register_value_labels("state", labels)


def register_field_prefix(prefix: str, label: StrOrPromise, value_fields: tuple[str, ...] = ()) -> None:
    """Fields named `<prefix><name>` (the SLA clocks' `sla:P2 resolution`) read as `<label> <name>`, and
    their values with the labels of `value_fields` (a clock paused for a `hold_reason`)."""
    _field_prefixes[prefix] = (label, value_fields)


def register_value_lookup(field: str, lookup: ValueLookup) -> None:
    """Labels for a field whose values are rows of a table (site codes, usernames, option values)."""
    _value_lookups[field] = lookup


def register_action_labels(labels: Mapping[str, StrOrPromise]) -> None:
    """Audit actions (`approval`, `sla_paused`...) as the history tab names them."""
    _action_labels.update(labels)


def humanize(code: str) -> str:
    """The last resort for a code nobody labelled: `solved_fix` -> `Solved fix`."""
    return code.replace("_", " ").strip().capitalize()


def field_label(name: str) -> str:
    if name in _field_labels:
        return str(_field_labels[name])
    for prefix, (label, _fields) in _field_prefixes.items():
        if name.startswith(prefix):
            return f"{label} {name[len(prefix) :]}".strip()
    return humanize(name)


def value_fields_of(name: str) -> tuple[str, ...]:
    """The fields whose value labels apply to this field's values: itself, or its prefix's."""
    for prefix, (_label, value_fields) in _field_prefixes.items():
        if name.startswith(prefix):
            return (prefix, *value_fields)
    return (name,)


def action_label(action: str) -> str:
    return str(_action_labels.get(action, humanize(action)))


def value_label(field: str, value: str) -> str:
    return str(_value_labels.get(field, {}).get(value, value))


def static_value_labels(field: str) -> Mapping[str, str]:
    return {value: str(label) for value, label in _value_labels.get(field, {}).items()}


def value_lookup(field: str) -> ValueLookup | None:
    return _value_lookups.get(field)


def state_label(record_type: str, state: str) -> str:
    return str(_state_labels.get(record_type, {}).get(state, state.replace("_", " ").capitalize()))
