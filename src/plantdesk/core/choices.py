"""Configurable enumerations (rule 7): read through here so every caller sees the same active set."""

from __future__ import annotations

from plantdesk.core.models import ChoiceOption


def active_options(choice_set: str) -> list[tuple[str, str]]:
    return list(
        ChoiceOption.objects.filter(choice_set=choice_set, active=True)
        .order_by("order", "value")
        .values_list("value", "label")
    )


def is_active_option(choice_set: str, value: str) -> bool:
    return ChoiceOption.objects.filter(choice_set=choice_set, value=value, active=True).exists()
