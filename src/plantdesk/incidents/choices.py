"""Incident enumerations with stable string values (the API and the audit trail store these)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Impact, urgency and priority are the shared ITIL scales (problems use them too).
from plantdesk.core.choices import Level as Level
from plantdesk.core.choices import Priority as Priority


class State(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELED = "canceled", _("Canceled")


OPEN_STATES = frozenset({State.NEW, State.IN_PROGRESS, State.ON_HOLD})


class HoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", _("Awaiting caller")
    AWAITING_VENDOR = "awaiting_vendor", _("Awaiting vendor")
    AWAITING_CHANGE = "awaiting_change", _("Awaiting change")
    AWAITING_PROBLEM = "awaiting_problem", _("Awaiting problem")


class Source(models.TextChoices):
    PORTAL = "portal", _("Portal")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WALK_IN = "walk_in", _("Walk-in")
    EVENT = "event", _("Event (monitoring / MES)")
    API = "api", _("API")


# Names of the configurable option sets (core.ChoiceOption.choice_set).
CATEGORY_SET = "incident_category"
RESOLUTION_CODE_SET = "incident_resolution_code"
