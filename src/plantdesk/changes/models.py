"""Change requests, their approvals, tasks, windows and computed conflicts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from plantdesk.accounts.models import AssignmentGroup, Site, validate_time_zone
from plantdesk.changes.choices import (
    ApprovalRule,
    ApprovalState,
    ChangeType,
    ConflictKind,
    ReviewOutcome,
    Risk,
    RunState,
    State,
    TaskState,
    ValidationImpact,
    WindowKind,
)

RECORD_TYPE = "change"
NUMBER_PREFIX = "CHG"
ACTIVE = models.Q(state__in=["new", "assess", "authorize", "scheduled", "implement"])


class StandardChangeTemplate(models.Model):
    """A pre-approved change model of the standard-change catalog: no CAB, the plans are fixed."""

    name = models.CharField(max_length=100, unique=True)
    short_description = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    implementation_plan = models.TextField()
    backout_plan = models.TextField()
    test_plan = models.TextField()
    risk = models.CharField(max_length=20, choices=Risk.choices, default=Risk.LOW)
    ot_tasks = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name


class ChangeRequest(models.Model):
    number = models.CharField(max_length=16)
    type = models.CharField(max_length=20, choices=ChangeType.choices)
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEW)
    template = models.ForeignKey(
        StandardChangeTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    short_description = models.CharField(max_length=160)
    description = models.TextField(blank=True, max_length=20000)
    justification = models.TextField(blank=True, max_length=20000)
    implementation_plan = models.TextField(blank=True, max_length=20000)
    backout_plan = models.TextField(blank=True, max_length=20000)
    test_plan = models.TextField(blank=True, max_length=20000)

    cis = models.ManyToManyField("cmdb.ConfigurationItem", through="ChangeCI", related_name="changes")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    assignment_group = models.ForeignKey(
        AssignmentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    risk = models.CharField(max_length=20, choices=Risk.choices, default=Risk.MODERATE)
    risk_answers = models.JSONField(default=dict, blank=True)

    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)

    # GxP (DOMAIN.md section 8): derived from the affected CIs whenever they change.
    gxp_relevant = models.BooleanField(default=False)
    validation_impact = models.CharField(max_length=10, choices=ValidationImpact.choices, blank=True)
    validation_specs_affected = models.TextField(blank=True)
    validation_retest_scope = models.TextField(blank=True)
    validation_data_migration = models.BooleanField(default=False)
    validation_part11_affected = models.BooleanField(default=False)
    qms_change_control_ref = models.CharField(max_length=100, blank=True)
    verification_evidence = models.TextField(blank=True, max_length=20000)
    deviation_ref = models.CharField(max_length=100, blank=True)
    retrospective_due_at = models.DateTimeField(null=True, blank=True)

    approval = models.CharField(max_length=20, choices=ApprovalState.choices, default=ApprovalState.NOT_REQUESTED)
    approval_level = models.PositiveSmallIntegerField(default=0)
    conflicts_checked_at = models.DateTimeField(null=True, blank=True)
    # The conflict keys a signed override accepted (see Conflict.key); a new conflict is not covered.
    override_keys = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True)

    review_outcome = models.CharField(max_length=30, choices=ReviewOutcome.choices, blank=True)
    review_notes = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)
    caused_incidents = models.ManyToManyField("incidents.Incident", blank=True, related_name="caused_by_changes")

    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["number"], name="change_number_unique"),
            models.CheckConstraint(
                condition=models.Q(planned_end__isnull=True)
                | models.Q(planned_start__isnull=True)
                | models.Q(planned_end__gt=models.F("planned_start")),
                name="change_planned_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "planned_start"], name="change_state_start_idx"),
            models.Index(fields=["planned_start", "planned_end"], name="change_active_window_idx", condition=ACTIVE),
            models.Index(fields=["assignee", "planned_start"], name="change_assignee_idx", condition=ACTIVE),
            models.Index(fields=["opened_at"], name="change_opened_idx"),
        ]
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def audit_label(self) -> str:
        return self.number

    @property
    def is_final(self) -> bool:
        return self.state in (State.CLOSED, State.CANCELED)

    def clean(self) -> None:
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            raise ValidationError({"planned_end": "The planned end must be after the planned start."})


class ChangeCI(models.Model):
    """An affected CI. `planned_start/end` and `active` are copies of the change's so that the conflict
    query finds overlapping changes on a set of CIs from this table's index alone."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="ci_links")
    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.PROTECT, related_name="change_links")
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["change", "ci"], name="change_ci_unique")]
        indexes = [
            models.Index(
                fields=["ci", "planned_start"],
                name="change_ci_window_idx",
                include=["planned_end", "change"],
                condition=models.Q(active=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.change_id} -> {self.ci_id}"


class ChangeTask(models.Model):
    change = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="tasks")
    order = models.PositiveSmallIntegerField()
    short_description = models.CharField(max_length=160)
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    notes = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["change", "order"]

    def __str__(self) -> str:
        return f"{self.order}. {self.short_description}"


class ApprovalPolicy(models.Model):
    """Chooses who authorises a change: the first active policy (by `order`) whose every given condition
    matches. Empty conditions match anything; `min_risk` matches that risk and above."""

    order = models.PositiveIntegerField(default=100)
    name = models.CharField(max_length=100, unique=True)
    change_type = models.CharField(max_length=20, choices=ChangeType.choices, blank=True)
    min_risk = models.CharField(max_length=20, choices=Risk.choices, blank=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    gxp_only = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "approval policies"

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name


class ApprovalPolicyLevel(models.Model):
    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField()
    group = models.ForeignKey(AssignmentGroup, on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(max_length=20, choices=ApprovalRule.choices, default=ApprovalRule.ANY)
    percentage = models.PositiveSmallIntegerField(default=50)
    signature_required = models.BooleanField(default=False)

    class Meta:
        ordering = ["policy", "level"]
        constraints = [models.UniqueConstraint(fields=["policy", "level"], name="approval_policy_level_unique")]

    def __str__(self) -> str:
        return f"{self.policy} L{self.level} {self.group} ({self.rule})"


class Approval(models.Model):
    """One approver's approval of one level of one record (decided by POST /approvals/{id}/decision).

    A change's approvals name it in `change`; another record app's (a request item's) name their record in
    `record_type` / `record_id` / `record_label` and decide through the record's registered decider
    (`changes.approval_records`): one table, one list of "my approvals", one decision endpoint."""

    change = models.ForeignKey(ChangeRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="approvals")
    record_type = models.CharField(max_length=20, default=RECORD_TYPE)
    record_id = models.BigIntegerField(null=True, blank=True)
    record_label = models.CharField(max_length=16, blank=True)
    level = models.PositiveSmallIntegerField()
    # What the level asks: a group's members, a person's manager, QA ("group:MES Admins", "manager", "qa").
    step = models.CharField(max_length=120, blank=True)
    group = models.ForeignKey(
        AssignmentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    rule = models.CharField(max_length=20, choices=ApprovalRule.choices)
    percentage = models.PositiveSmallIntegerField(default=50)
    signature_required = models.BooleanField(default=False)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=ApprovalState.choices, default=ApprovalState.NOT_REQUESTED)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    signature = models.ForeignKey(
        "core.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    round = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["change", "round", "level", "id"]
        indexes = [
            models.Index(fields=["approver", "state"], name="approval_approver_idx"),
            models.Index(fields=["record_type", "record_id"], name="approval_record_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.record} L{self.level} {self.approver_id} {self.state}"

    @property
    def record(self) -> str:
        """The number of the record approved (CHG... or RITM...)."""
        return self.change.number if self.change is not None else self.record_label


class Window(models.Model):
    """A maintenance, blackout or production-run window, one-off or recurring (RFC 5545 RRULE in an IANA
    zone: occurrences keep their wall-clock time across DST). `start`/`end` are the first occurrence;
    `last_end` the end of the last one (null: recurs for ever), so SQL can skip windows that cannot overlap.
    Scope: CIs (a line or site CI covers what it contains), CI classes, sites."""

    kind = models.CharField(max_length=20, choices=WindowKind.choices)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    rrule = models.CharField(max_length=500, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    last_end = models.DateTimeField(null=True, blank=True)
    cis = models.ManyToManyField("cmdb.ConfigurationItem", blank=True, related_name="+", through="WindowCI")
    ci_classes = models.ManyToManyField("cmdb.CIClass", blank=True, related_name="+")
    sites = models.ManyToManyField(Site, blank=True, related_name="+")
    run_state = models.CharField(max_length=20, choices=RunState.choices, blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="window_end_after_start"),
            models.UniqueConstraint(
                fields=["external_id"], condition=~models.Q(external_id=""), name="window_external_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["kind", "start"], name="window_kind_start_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @property
    def audit_label(self) -> str:
        return self.name[:64]


class WindowCI(models.Model):
    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="ci_links")
    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.PROTECT, related_name="window_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ci", "window"], name="window_ci_unique")]

    def __str__(self) -> str:
        return f"{self.window_id} -> {self.ci_id}"


class Conflict(models.Model):
    """A conflict found by the last check of a change (replaced on every check)."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="conflicts")
    kind = models.CharField(max_length=30, choices=ConflictKind.choices)
    detail = models.CharField(max_length=500)
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    other_change = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=200)  # kind:ci:window|change, what a signed override covers

    class Meta:
        ordering = ["change", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"
