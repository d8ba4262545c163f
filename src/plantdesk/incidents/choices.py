"""Incident enumerations with stable string values (the API and the audit trail store these)."""

from django.db import models

# Impact, urgency and priority are the shared ITIL scales (problems use them too).
from plantdesk.core.choices import Level as Level
from plantdesk.core.choices import Priority as Priority


class State(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELED = "canceled", "Canceled"


OPEN_STATES = frozenset({State.NEW, State.IN_PROGRESS, State.ON_HOLD})


class HoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", "Awaiting caller"
    AWAITING_VENDOR = "awaiting_vendor", "Awaiting vendor"
    AWAITING_CHANGE = "awaiting_change", "Awaiting change"
    AWAITING_PROBLEM = "awaiting_problem", "Awaiting problem"


class Source(models.TextChoices):
    PORTAL = "portal", "Portal"
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    WALK_IN = "walk_in", "Walk-in"
    EVENT = "event", "Event (monitoring / MES)"
    API = "api", "API"


# Names of the configurable option sets (core.ChoiceOption.choice_set).
CATEGORY_SET = "incident_category"
RESOLUTION_CODE_SET = "incident_resolution_code"
