"""Knowledge article enumerations (stable string values: the API and the audit trail store these)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("Review")  # the label changes use for the same state
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
