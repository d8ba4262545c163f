"""Configurable enumerations (rule 7): read through here so every caller sees the same active set."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from plantdesk.core.config_cache import config_cache
from plantdesk.core.models import ChoiceOption


def _load_active() -> dict[str, list[tuple[str, str]]]:
    options: dict[str, list[tuple[str, str]]] = {}
    for choice_set, value, label in (
        ChoiceOption.objects.filter(active=True).order_by("order", "value").values_list("choice_set", "value", "label")
    ):
        options.setdefault(choice_set, []).append((value, label))
    return options


_active = config_cache(_load_active)


def active_options(choice_set: str) -> list[tuple[str, str]]:
    return list(_active.get().get(choice_set, []))


def is_active_option(choice_set: str, value: str) -> bool:
    if any(v == value for v, _ in _active.get().get(choice_set, [])):
        return True
    return ChoiceOption.objects.filter(choice_set=choice_set, value=value, active=True).exists()


class Level(models.IntegerChoices):
    """Impact and urgency: 1 is the highest."""

    HIGH = 1, _("1 - High")
    MEDIUM = 2, _("2 - Medium")
    LOW = 3, _("3 - Low")


class Priority(models.IntegerChoices):
    """Priority from impact x urgency (the matrix is configurable; these are its ITIL names)."""

    CRITICAL = 1, _("1 - Critical")
    HIGH = 2, _("2 - High")
    MODERATE = 3, _("3 - Moderate")
    LOW = 4, _("4 - Low")
    PLANNING = 5, _("5 - Planning")


class SignatureMeaning(models.TextChoices):
    """The controlled list of meanings of an electronic signature (DOMAIN.md section 8), for every record."""

    AUTHORED = "authored", _("Authored")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    QA_APPROVED = "qa_approved", _("QA approved")
    IMPLEMENTED = "implemented", _("Implemented")
    VERIFIED = "verified", _("Verified")
