"""Labels for stored values that name rows of a table: site codes, usernames, option values.

Each takes the values that occur on one page and answers with one query (no query per history row).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from plantdesk.accounts.models import Site, User
from plantdesk.core.models import ChoiceOption
from plantdesk.ui import labels

# Fields whose values are usernames, whatever record they are on.
USER_FIELDS = (
    "caller", "assignee", "requested_by", "major_incident_owner", "qa_owner", "owner", "resolved_by", "manager",
)  # fmt: skip


def site_names(codes: Iterable[str]) -> Mapping[str, str]:
    return {s.code: f"{s.name} ({s.code})" for s in Site.objects.filter(code__in=set(codes))}


def printed_names(usernames: Iterable[str]) -> Mapping[str, str]:
    users = User.objects.filter(username__in=set(usernames)).only("username", "first_name", "last_name")
    return {u.username: u.printed_name for u in users}


def option_labels(*choice_sets: str) -> Callable[[Iterable[str]], Mapping[str, str]]:
    """Every option of the sets, retired ones too: the history keeps values that are no longer offered. (One
    field name may draw on several sets: incidents and problems both have a `resolution_code`.)"""

    def lookup(values: Iterable[str]) -> Mapping[str, str]:
        rows = ChoiceOption.objects.filter(choice_set__in=choice_sets, value__in=set(values)).order_by("-choice_set")
        return dict(rows.values_list("value", "label"))

    return lookup


def register() -> None:
    labels.register_value_lookup("site", site_names)
    labels.register_value_lookup("sites", site_names)
    for field in USER_FIELDS:
        labels.register_value_lookup(field, printed_names)
