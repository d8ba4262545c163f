"""Change enumerations with stable string values (the API, the audit trail and signatures store these)."""

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ChangeType(models.TextChoices):
    STANDARD = "standard", _("Standard (pre-approved template)")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


class State(models.TextChoices):
    NEW = "new", _("New")
    ASSESS = "assess", _("Assess")
    AUTHORIZE = "authorize", _("Authorize")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENT = "implement", _("Implement")
    REVIEW = "review", _("Review")
    CLOSED = "closed", _("Closed")
    CANCELED = "canceled", _("Canceled")


# States in which a change holds its planned window (conflicts are computed against these).
ACTIVE_STATES = ("new", "assess", "authorize", "scheduled", "implement")
FINAL_STATES = frozenset({State.CLOSED, State.CANCELED})


class Risk(models.TextChoices):
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


RISK_ORDER: list[str] = [Risk.LOW, Risk.MODERATE, Risk.HIGH, Risk.VERY_HIGH]


class ValidationImpact(models.TextChoices):
    NONE = "none", _("None")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")


class ReviewOutcome(models.TextChoices):
    SUCCESSFUL = "successful", _("Successful")
    SUCCESSFUL_WITH_ISSUES = "successful_with_issues", _("Successful with issues")
    FAILED = "failed", _("Failed")
    BACKED_OUT = "backed_out", _("Backed out")


class ApprovalRule(models.TextChoices):
    ANY = "any", _("Any one member")
    ALL = "all", _("Every member")
    PERCENTAGE = "percentage", _("A percentage of the members")


class ApprovalState(models.TextChoices):
    """Of one approver's approval, of a level and of the change as a whole."""

    NOT_REQUESTED = "not_requested", _("Not yet requested")
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    NOT_REQUIRED = "not_required", _("No longer required")


class WindowKind(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance window (changes allowed, alarms expected)")
    BLACKOUT = "blackout", _("Blackout (no changes)")
    PRODUCTION_RUN = "production_run", _("Production run")


class RunState(models.TextChoices):
    """A production run's state as the MES / ERP reports it; running and held runs block changes."""

    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    HELD = "held", _("Held")
    COMPLETED = "completed", _("Completed")
    CANCELED = "canceled", _("Canceled")


BLOCKING_RUN_STATES = ("planned", "running", "held")


class ConflictKind(models.TextChoices):
    BLACKOUT = "blackout", _("Blackout window")
    PRODUCTION_RUN = "production_run", _("Production run")
    OUTSIDE_MAINTENANCE_WINDOW = "outside_maintenance_window", _("Outside every maintenance window")
    CI_OVERLAP = "ci_overlap", _("Another change on the same or a related CI")
    ASSIGNEE_OVERLAP = "assignee_overlap", _("Assignee double-booked")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class SignaturePurpose(models.TextChoices):
    """What a signature on a change stands for; the guards look for these."""

    APPROVAL = "approval", _("Approval decision")
    QA_PRE_IMPLEMENT = "qa_pre_implement", _("QA approval before implementation")
    QA_CLOSE = "qa_close", _("QA verification before closure")
    QA_RETROSPECTIVE = "qa_retrospective", _("Retrospective QA approval (emergency change)")
    CONFLICT_OVERRIDE = "conflict_override", _("Override of schedule conflicts")


# The OT change-task template (DOMAIN.md section 3).
OT_TASKS = [
    "Stop the function (production informed, line stopped or bypassed)",
    "Lock-out / tag-out",
    "Perform the change",
    "Post-check: electrical",
    "Post-check: network",
    "Post-check: quality",
    "Post-check: safety",
    "Release to production",
]

# The risk questionnaire: question key -> (text, weight). The score plus the highest CI criticality
# gives the risk (see risk.py).
RISK_QUESTIONS: "dict[str, tuple[StrOrPromise, int]]" = {
    "production_stop": (_("Does the change stop or slow production?"), 3),
    "no_backout": (_("Is a back-out impossible or untested?"), 3),
    "untested": (_("Has the change not been tested in a non-production environment?"), 2),
    "many_users": (_("Does it affect more than one line or site?"), 2),
    "vendor_needed": (_("Does it need vendor or OEM presence?"), 1),
    "first_time": (_("Is this the first change of its kind here?"), 1),
}
