"""Lists whose columns each person chooses (the incident queue): an app registers its list's optional columns
and which of them show by default; a person's choice is kept in ui.models.ListColumns.

The columns that identify a row (number, state, description) are the list's own and always shown; only the
registered optional ones can be hidden, so a list cannot be emptied into uselessness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.functional import Promise

from plantdesk.accounts.models import User
from plantdesk.ui.models import ListColumns


@dataclass(frozen=True)
class ColumnChoice:
    name: str  # e.g. "incident_queue"
    optional: tuple[tuple[str, str | Promise], ...]  # (column key, label), in display order
    default: frozenset[str]


_lists: dict[str, ColumnChoice] = {}


def register_columns(name: str, optional: Sequence[tuple[str, str | Promise]], default: Sequence[str]) -> None:
    _lists[name] = ColumnChoice(name, tuple(optional), frozenset(default))


def column_choice(name: str) -> ColumnChoice:
    return _lists[name]


def chosen_columns(user: User, name: str) -> frozenset[str]:
    """The optional columns `user` shows on the list: their saved choice, else the list's default."""
    choice = _lists[name]
    saved = ListColumns.objects.filter(user=user, list_name=name).values_list("columns", flat=True).first()
    if saved is None:
        return choice.default
    known = {key for key, _label in choice.optional}
    return frozenset(key for key in saved if key in known)


def save_columns(user: User, name: str, columns: Sequence[str]) -> frozenset[str]:
    """Keep `user`'s choice (unknown keys are dropped); an empty choice is kept too: the fixed columns stay."""
    choice = _lists[name]
    kept = [key for key, _label in choice.optional if key in set(columns)]
    ListColumns.objects.update_or_create(user=user, list_name=name, defaults={"columns": kept})
    return frozenset(kept)
