"""Audit entries as a person reads them (21 CFR 11.50: the meaning must be human-readable).

Field names become labels, stored codes become their labels (from the apps' registrations in
`ui.labels`, and from the tables behind sites, users and option lists, looked up once per page),
timestamps are written in the page's zone, JSON becomes a list. The stored values stay exact: the API
and the exports carry them beside the labels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from plantdesk.accounts.choices import SYSTEM_USERNAME
from plantdesk.core.choices import Priority
from plantdesk.core.models import Signature
from plantdesk.ui import labels
from plantdesk.ui.times import local_datetime, readable_times

EMPTY = "—"
# A code as the records store it: lower case words joined by underscores.
_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+")
# "Anna Weber (aweber): qa_approved, 2026-12-03T14:09:14.441927+00:00" (core.signatures.sign)
_SIGNED = re.compile(r"(?P<who>.+\)): (?P<meaning>[a-z_]+), (?P<at>\S+)")
# Actions whose `field` is a column of the record (shown as its label alone).
_FIELD_ACTIONS = frozenset({"created", "updated", "transition"})


def priority_label(value: str) -> str:
    """'P2 High', in the reader's language (looked up per call: the labels are lazy)."""
    names = {str(p.value): str(p.label).split(" - ", 1)[-1] for p in Priority}
    return f"P{value} {names.get(value, '')}".strip()


class ValueReader:
    """Reads the stored values of one page's audit entries; each looked-up field costs one query."""

    def __init__(self, entries: Iterable[Mapping[str, Any]]) -> None:
        wanted: dict[str, set[str]] = {}
        for entry in entries:
            lookup_field = entry.get("field") or ""
            if labels.value_lookup(lookup_field) is None:
                continue
            for raw in (entry.get("old") or "", entry.get("new") or ""):
                wanted.setdefault(lookup_field, set()).update(_parts(raw))
        self._looked_up: dict[str, Mapping[str, str]] = {}
        for name, values in wanted.items():
            lookup = labels.value_lookup(name)
            if lookup is not None and values:
                self._looked_up[name] = lookup(values)

    def label(self, field: str, raw: str, action: str = "") -> str:
        if raw == "":
            return ""
        if action == "signed":
            return self._signed(raw)
        return self._value(field, raw, action)

    def _value(self, field: str, raw: str, action: str) -> str:
        known = self._known(field, action)
        if raw in known:
            return str(known[raw])
        if field == "priority" and raw.isdigit():
            return priority_label(raw)
        if raw in labels.YES_NO:
            return str(labels.YES_NO[raw])
        if raw[:1] in "{[":
            try:
                return self._structure(field, json.loads(raw), action)
            except ValueError:
                pass
        parts = _parts(raw)
        if len(parts) > 1 and all(p in known for p in parts):
            return ", ".join(str(known[p]) for p in parts)
        if known and " " in raw:  # "SVC-QC depends_on LIMS": the codes inside a sentence
            return _CODE.sub(lambda m: str(known.get(m.group(0), m.group(0))), readable_times(raw))
        return readable_times(raw)

    def _known(self, field: str, action: str) -> dict[str, str]:
        known: dict[str, str] = {}
        for name in labels.value_fields_of(field):
            known.update(labels.static_value_labels(name))
        known.update(labels.static_value_labels(action) if action not in _FIELD_ACTIONS else {})
        known.update(self._looked_up.get(field, {}))
        return known

    def _structure(self, field: str, value: Any, action: str) -> str:
        if value in ({}, [], None, ""):
            return EMPTY
        if isinstance(value, dict):
            return "; ".join(_pair(labels.field_label(k), self._structure(k, v, action)) for k, v in value.items())
        if isinstance(value, list):
            return ", ".join(self._structure(field, item, action) for item in value)
        text = "true" if value is True else "false" if value is False else str(value)
        return self._value(field, text, action)

    def _signed(self, raw: str) -> str:
        match = _SIGNED.fullmatch(raw)
        if not match:
            return readable_times(raw)
        meaning = labels.static_value_labels("meaning").get(match["meaning"], labels.humanize(match["meaning"]))
        return f"{match['who']}: {meaning}, {readable_times(match['at'])}"


def _pair(label: str, value: str) -> str:
    """'Risk: High'; a question is answered after its question mark ('Does it stop production? Yes')."""
    return f"{label} {value}" if label.endswith("?") else f"{label}: {value}"


def _parts(raw: str) -> list[str]:
    return [p.strip() for p in raw.split(",")] if raw else []


def what_of(entry: Mapping[str, Any]) -> str:
    """What an entry changed: a field's label, or the action with what it acted on."""
    action, field = entry.get("action") or "", entry.get("field") or ""
    if field == "journal":
        return _("System note") if entry.get("actor") == SYSTEM_USERNAME else labels.action_label(action)
    if action in _FIELD_ACTIONS:
        return labels.field_label(field) if field else labels.action_label(action)
    if not field:
        return labels.action_label(action)
    target = labels.field_label(field) if _CODE.fullmatch(field) or ":" in field else field
    return f"{labels.action_label(action)}: {target}"


def readable_history(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each entry with `what`, `old_label` and `new_label` beside its stored values."""
    reader = ValueReader(entries)
    rows = []
    for entry in entries:
        action, field = entry.get("action") or "", entry.get("field") or ""
        if field == "journal":  # what people wrote stays as written; PlantDesk's own notes name times in ISO
            new = entry.get("new") or ""
            written_by_plantdesk = entry.get("actor") == SYSTEM_USERNAME
            label = readable_times(new) if written_by_plantdesk else new
            rows.append({**entry, "what": what_of(entry), "old_label": "", "new_label": label})
            continue
        rows.append(
            {
                **entry,
                "what": what_of(entry),
                "old_label": reader.label(field, entry.get("old") or "", action),
                "new_label": reader.label(field, entry.get("new") or "", action),
            }
        )
    return rows


def signature_text(sig: Signature) -> str:
    """A signature's manifestation as a page shows it: the meaning's label, the time in the page's zone."""
    meaning = labels.value_label("meaning", sig.meaning)
    return _("Signed by %(name)s (%(username)s) on %(when)s, meaning: %(meaning)s") % {
        "name": sig.printed_name,
        "username": sig.username,
        "when": local_datetime(sig.signed_at),
        "meaning": meaning,
    }
