"""Change enumerations with stable string values (the API, the audit trail and signatures store these)."""

from django.db import models


class ChangeType(models.TextChoices):
    STANDARD = "standard", "Standard (pre-approved template)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class State(models.TextChoices):
    NEW = "new", "New"
    ASSESS = "assess", "Assess"
    AUTHORIZE = "authorize", "Authorize"
    SCHEDULED = "scheduled", "Scheduled"
    IMPLEMENT = "implement", "Implement"
    REVIEW = "review", "Review"
    CLOSED = "closed", "Closed"
    CANCELED = "canceled", "Canceled"


# States in which a change holds its planned window (conflicts are computed against these).
ACTIVE_STATES = ("new", "assess", "authorize", "scheduled", "implement")
FINAL_STATES = frozenset({State.CLOSED, State.CANCELED})


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


RISK_ORDER: list[str] = [Risk.LOW, Risk.MODERATE, Risk.HIGH, Risk.VERY_HIGH]


class ValidationImpact(models.TextChoices):
    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"


class ReviewOutcome(models.TextChoices):
    SUCCESSFUL = "successful", "Successful"
    SUCCESSFUL_WITH_ISSUES = "successful_with_issues", "Successful with issues"
    FAILED = "failed", "Failed"
    BACKED_OUT = "backed_out", "Backed out"


class ApprovalRule(models.TextChoices):
    ANY = "any", "Any one member"
    ALL = "all", "Every member"
    PERCENTAGE = "percentage", "A percentage of the members"


class ApprovalState(models.TextChoices):
    """Of one approver's approval, of a level and of the change as a whole."""

    NOT_REQUESTED = "not_requested", "Not yet requested"
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    NOT_REQUIRED = "not_required", "No longer required"


class WindowKind(models.TextChoices):
    MAINTENANCE = "maintenance", "Maintenance window (changes allowed, alarms expected)"
    BLACKOUT = "blackout", "Blackout (no changes)"
    PRODUCTION_RUN = "production_run", "Production run"


class RunState(models.TextChoices):
    """A production run's state as the MES / ERP reports it; running and held runs block changes."""

    PLANNED = "planned", "Planned"
    RUNNING = "running", "Running"
    HELD = "held", "Held"
    COMPLETED = "completed", "Completed"
    CANCELED = "canceled", "Canceled"


BLOCKING_RUN_STATES = ("planned", "running", "held")


class ConflictKind(models.TextChoices):
    BLACKOUT = "blackout", "Blackout window"
    PRODUCTION_RUN = "production_run", "Production run"
    OUTSIDE_MAINTENANCE_WINDOW = "outside_maintenance_window", "Outside every maintenance window"
    CI_OVERLAP = "ci_overlap", "Another change on the same or a related CI"
    ASSIGNEE_OVERLAP = "assignee_overlap", "Assignee double-booked"


class TaskState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class SignaturePurpose(models.TextChoices):
    """What a signature on a change stands for; the guards look for these."""

    APPROVAL = "approval", "Approval decision"
    QA_PRE_IMPLEMENT = "qa_pre_implement", "QA approval before implementation"
    QA_CLOSE = "qa_close", "QA verification before closure"
    QA_RETROSPECTIVE = "qa_retrospective", "Retrospective QA approval (emergency change)"
    CONFLICT_OVERRIDE = "conflict_override", "Override of schedule conflicts"


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
RISK_QUESTIONS: dict[str, tuple[str, int]] = {
    "production_stop": ("Does the change stop or slow production?", 3),
    "no_backout": ("Is a back-out impossible or untested?", 3),
    "untested": ("Has the change not been tested in a non-production environment?", 2),
    "many_users": ("Does it affect more than one line or site?", 2),
    "vendor_needed": ("Does it need vendor or OEM presence?", 1),
    "first_time": ("Is this the first change of its kind here?", 1),
}
