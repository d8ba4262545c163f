"""Problem enumerations with stable string values (the API and the audit trail store these)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from plantdesk.core.choices import Level as Level
from plantdesk.core.choices import Priority as Priority


class State(models.TextChoices):
    NEW = "new", _("New")
    ASSESS = "assess", _("Assess")
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", _("Root cause analysis")
    FIX_IN_PROGRESS = "fix_in_progress", _("Fix in progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELED = "canceled", _("Canceled")


OPEN_STATES = frozenset({State.NEW, State.ASSESS, State.ROOT_CAUSE_ANALYSIS, State.FIX_IN_PROGRESS})
FINAL_STATES = frozenset({State.CLOSED, State.CANCELED})

# Problems are categorised like the incidents they collect (one option list, admins keep it).
CATEGORY_SET = "incident_category"
RESOLUTION_CODE_SET = "problem_resolution_code"

# The defaults of CONTRACT.md section 8 (seeded by migration 0001; admins may add, rename and retire).
DEFAULT_RESOLUTION_CODES = [
    ("fix_applied", "Fix applied"),
    ("workaround_permanent", "Workaround made permanent"),
    ("cannot_reproduce", "Cannot reproduce"),
    ("duplicate", "Duplicate"),
    ("risk_accepted", "Risk accepted"),
]


class CapaDecision(models.TextChoices):
    """GxP: the CAPA question a problem on a GxP-relevant CI answers when it is resolved (the reference to
    the QMS record itself comes with the quality boundary)."""

    REQUIRED = "required", _("CAPA required (raised in the QMS)")
    NOT_REQUIRED = "not_required", _("No CAPA required")
