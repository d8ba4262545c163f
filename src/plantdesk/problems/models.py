"""Problems, the incidents linked to them and their known errors (DOMAIN.md section 2).

An incident links to at most one problem: the link lives here (the problems app sits above incidents and
may refer to them; incidents never import problems), unique on the incident.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from plantdesk.accounts.models import AssignmentGroup, Site
from plantdesk.problems.choices import CapaDecision, Level, Priority, State

RECORD_TYPE = "problem"
NUMBER_PREFIX = "PRB"
OPEN = ["new", "assess", "root_cause_analysis", "fix_in_progress"]  # choices.OPEN_STATES, for partial indexes

USER_FOREIGN_KEYS = ("opened_by", "assignee", "resolved_by")


class Problem(models.Model):
    number = models.CharField(max_length=16)
    short_description = models.CharField(max_length=160)
    description = models.TextField(blank=True, max_length=20000)
    state = models.CharField(max_length=24, choices=State.choices, default=State.NEW)
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    category = models.CharField(max_length=40, blank=True)
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    # Derived from the CI when it is set or changed: a GxP problem asks the CAPA question at resolution.
    gxp_relevant = models.BooleanField(default=False)

    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    assignment_group = models.ForeignKey(
        AssignmentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # The change that fixes it; closing that change successfully resolves a problem in fix_in_progress.
    fix_change = models.ForeignKey(
        "changes.ChangeRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="fixed_problems"
    )
    resolution_code = models.CharField(max_length=40, blank=True)
    cause_notes = models.TextField(blank=True)
    capa_decision = models.CharField(max_length=20, choices=CapaDecision.choices, blank=True)
    capa_rationale = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)

    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["number"], name="problem_number_unique")]
        indexes = [
            models.Index(
                fields=["priority", "opened_at", "id"], name="prb_open_order_idx", condition=models.Q(state__in=OPEN)
            ),
            models.Index(fields=["state", "priority", "opened_at"], name="prb_state_idx"),
            models.Index(fields=["opened_by"], name="prb_opened_by_idx"),  # "opened by me", and the scope
        ]
        ordering = ["priority", "opened_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def audit_label(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.state in (State.RESOLVED, State.CLOSED) and not (self.resolution_code and self.cause_notes.strip()):
            errors["resolution_code"] = "A resolved problem needs a resolution code and cause notes."
        if self.state in (State.RESOLVED, State.CLOSED) and self.gxp_relevant and not self.capa_decision:
            errors["capa_decision"] = "A problem on a GxP-relevant CI answers the CAPA question when resolved."
        if self.state == State.CANCELED and not self.cancel_reason.strip():
            errors["reason"] = "A canceled problem needs a reason."
        if errors:
            raise ValidationError(errors)


class ProblemIncident(models.Model):
    """An incident linked to a problem: many incidents to one problem, an incident to one problem at most."""

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="incident_links")
    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, related_name="problem_link")
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["problem", "incident"], name="prb_link_problem_idx")]

    def __str__(self) -> str:
        return f"{self.incident_id} -> {self.problem_id}"


class KnownError(models.Model):
    """What is known about a problem: symptom, root cause, workaround and what it affects (iTop's KnownError).

    `workaround_version` counts the texts of the workaround that were published: publishing posts each
    version once to every linked open incident (WorkaroundPosting), and re-publishing the same text is a
    no-op. The full-text index (symptom, root cause, workaround) is kept by the database itself."""

    problem = models.OneToOneField(Problem, on_delete=models.PROTECT, related_name="known_error")
    # The problem's site, kept equal to it by the actions: the permission scope of a search then reads a
    # column of the searched row instead of joining every candidate to its problem.
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    symptom = models.TextField(max_length=5000)
    root_cause = models.TextField(blank=True, max_length=5000)
    workaround = models.TextField(blank=True, max_length=10000)
    vendor = models.CharField(max_length=100, blank=True)
    product_model = models.CharField(max_length=100, blank=True)
    affected_version = models.CharField(max_length=60, blank=True)
    cis = models.ManyToManyField("cmdb.ConfigurationItem", through="KnownErrorCI", related_name="known_errors")
    published = models.BooleanField(default=False)
    published_workaround = models.TextField(blank=True)  # the text of the last published version
    workaround_version = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Known error of {self.problem_id}"

    @property
    def audit_label(self) -> str:
        return self.problem.number


class KnownErrorCI(models.Model):
    known_error = models.ForeignKey(KnownError, on_delete=models.CASCADE, related_name="+")
    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["known_error", "ci"], name="known_error_ci_unique")]
        indexes = [models.Index(fields=["ci", "known_error"], name="known_error_ci_idx")]

    def __str__(self) -> str:
        return f"{self.known_error_id} affects {self.ci_id}"


class WorkaroundPosting(models.Model):
    """A workaround version posted to an incident: the unique key makes publishing post it once."""

    known_error = models.ForeignKey(KnownError, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="+", db_index=False)
    version = models.PositiveIntegerField()
    posted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "known_error", "version"], name="workaround_posted_once")
        ]

    def __str__(self) -> str:
        return f"workaround v{self.version} on {self.incident_id}"

    def clean(self) -> None:
        if self.version < 1:
            raise ValidationError({"version": "Workaround versions start at 1."})
