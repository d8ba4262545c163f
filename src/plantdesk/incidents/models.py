"""The incident record (the reference shape every record app copies)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from plantdesk.accounts.models import AssignmentGroup, Site
from plantdesk.incidents.choices import HoldReason, Level, Priority, Source, State

RECORD_TYPE = "incident"
NUMBER_PREFIX = "INC"


class PriorityMatrix(models.Model):
    """impact x urgency -> priority; seeded with the ITIL default of CONTRACT.md section 3."""

    impact = models.PositiveSmallIntegerField(choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_cell")]
        verbose_name_plural = "priority matrix"

    def __str__(self) -> str:
        return f"I{self.impact} x U{self.urgency} = P{self.priority}"


# Foreign keys to users (the read side loads them for a whole page in one query).
USER_FOREIGN_KEYS = ("caller", "opened_by", "assignee", "major_incident_owner", "reopened_by", "resolved_by")


OPEN = ["new", "in_progress", "on_hold"]  # the open states, for partial indexes (choices.OPEN_STATES)


class Incident(models.Model):
    number = models.CharField(max_length=16)  # unique: see Meta (a constraint adds no LIKE index)
    short_description = models.CharField(max_length=160)
    description = models.TextField(blank=True, max_length=20000)
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEW)
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    category = models.CharField(max_length=40, blank=True)
    # CIs are retired, never deleted, while records refer to them (PROTECT); the API speaks CI names.
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    # Sites are filtered through the permission scope, never on their own: no index to maintain.
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.PORTAL)

    # Users are never deleted, so the user references below need no index of their own for PROTECT;
    # every index is paid on each insert. The caller is indexed by inc_caller_idx.
    caller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    assignment_group = models.ForeignKey(
        AssignmentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    hold_reason = models.CharField(max_length=30, choices=HoldReason.choices, blank=True)
    resolution_code = models.CharField(max_length=40, blank=True)
    resolution_notes = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    major_incident = models.BooleanField(default=False)
    major_incident_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    time_worked_minutes = models.PositiveIntegerField(default=0)

    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            # The agent queue: open incidents in priority-then-age order, filtered by group and scope
            # while walking the index, so the first page needs no sort of every open incident.
            models.Index(
                fields=["priority", "opened_at", "id"],
                name="inc_open_order_idx",
                condition=models.Q(state__in=["new", "in_progress", "on_hold"]),
            ),
            # Counting the open incidents of some groups from the index alone (PostgreSQL: covering).
            models.Index(
                fields=["assignment_group", "priority", "opened_at"],
                name="inc_queue_idx",
                condition=models.Q(state__in=["new", "in_progress", "on_hold"]),
                include=["site", "caller", "opened_by", "assignee"],
            ),
            models.Index(
                fields=["assignee", "priority", "opened_at"],
                name="inc_assignee_queue_idx",
                condition=models.Q(state__in=["new", "in_progress", "on_hold"]),
            ),
            # The newest open incidents (major-incident candidates: several on one CI within minutes).
            models.Index(fields=["opened_at"], name="inc_open_recent_idx", condition=models.Q(state__in=OPEN)),
            models.Index(fields=["state", "priority", "opened_at"], name="inc_state_idx"),
            models.Index(fields=["caller", "opened_at"], name="inc_caller_idx"),
            models.Index(fields=["resolved_at"], name="inc_autoclose_idx", condition=models.Q(state="resolved")),
        ]
        constraints = [models.UniqueConstraint(fields=["number"], name="incident_number_unique")]
        ordering = ["priority", "opened_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def audit_label(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in (State.NEW, State.IN_PROGRESS, State.ON_HOLD)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.state == State.ON_HOLD and not self.hold_reason:
            errors["hold_reason"] = "An incident on hold needs a hold reason."
        if self.state in (State.RESOLVED, State.CLOSED) and not (
            self.resolution_code and self.resolution_notes.strip()
        ):
            errors["resolution_code"] = "A resolved incident needs a resolution code and notes."
        if self.state == State.CANCELED and not self.cancel_reason.strip():
            errors["reason"] = "A canceled incident needs a reason."
        if self.parent_id is not None and self.parent_id == self.pk:
            errors["parent"] = "An incident cannot be its own parent."
        if errors:
            raise ValidationError(errors)


class AssignmentRule(models.Model):
    """Routes an incident raised without a group: the first active rule (by `order`) whose every given
    condition matches wins; an empty condition matches anything. A CI's support group comes first (see
    `fields.resolve_assignment`): rules route what has no CI or a CI nobody supports."""

    order = models.PositiveIntegerField(default=100)
    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=40, blank=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ci_prefix = models.CharField(max_length=100, blank=True, help_text="e.g. BER-L3- for everything on line 3")
    group = models.ForeignKey(AssignmentGroup, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name

    def matches(self, incident: Any) -> bool:  # an incident or a problem (both are routed by these rules)
        return (
            (not self.category or self.category == incident.category)
            and (self.site_id is None or self.site_id == incident.site_id)
            and (not self.ci_prefix or (incident.ci is not None and incident.ci.name.startswith(self.ci_prefix)))
        )
