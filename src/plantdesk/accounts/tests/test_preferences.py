"""A person's language and date format: set through the action, audited, refused when unknown."""

from __future__ import annotations

import pytest

from plantdesk.accounts.preference_actions import do_update_preferences
from plantdesk.core.errors import InvalidInput
from plantdesk.core.models import AuditEntry
from plantdesk.testing.fixtures import Plant

pytestmark = pytest.mark.django_db


def test_a_person_sets_their_language_and_date_format_and_the_audit_trail_says_so(plant: Plant) -> None:
    alice = plant.agent
    changed = do_update_preferences(alice, actor=alice, language="de", date_format="ymd")
    assert changed == ["language", "date_format"]
    alice.refresh_from_db()
    assert (alice.language, alice.date_format) == ("de", "ymd")
    entries = AuditEntry.objects.filter(record_type="user", record_id=alice.pk, action="updated").order_by("seq")
    assert [(e.field, e.old, e.new, e.actor_username) for e in entries] == [
        ("language", "", "de", "alice"),
        ("date_format", "", "ymd", "alice"),
    ]
    assert do_update_preferences(alice, actor=alice, language="de", date_format="ymd") == []  # nothing new


@pytest.mark.parametrize(
    ("language", "date_format", "field"),
    [("fr", "", "language"), ("", "mdy", "date_format")],
)
def test_unknown_values_are_refused_naming_the_field_and_nothing_changes(
    plant: Plant, language: str, date_format: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_update_preferences(plant.agent, actor=plant.agent, language=language, date_format=date_format)
    assert [e.field for e in refused.value.errors] == [field]
    plant.agent.refresh_from_db()
    assert (plant.agent.language, plant.agent.date_format) == ("", "")
    assert not AuditEntry.objects.filter(record_type="user", record_id=plant.agent.pk, action="updated").exists()


def test_only_an_administrator_changes_another_persons_settings(plant: Plant) -> None:
    with pytest.raises(InvalidInput):
        do_update_preferences(plant.requester, actor=plant.agent, language="de", date_format="")
    assert do_update_preferences(plant.requester, actor=plant.admin, language="de", date_format="") == ["language"]
