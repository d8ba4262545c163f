"""The service catalog (categories, items and their versions), requests, request items, fulfilment tasks
and the access grants they give (CONTRACT.md section 9)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plantdesk.accounts.models import AssignmentGroup, Site
from plantdesk.requests.choices import GrantState, ItemState, RequestState, Source, TaskPurpose, TaskState

RECORD_TYPE = "request"
ITEM_RECORD_TYPE = "request_item"
TASK_RECORD_TYPE = "task"
GRANT_RECORD_TYPE = "access_grant"
CATALOG_RECORD_TYPE = "catalog_item"
NUMBER_PREFIX, ITEM_PREFIX, TASK_PREFIX = "REQ", "RITM", "TASK"


class CatalogCategory(models.Model):
    name = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_label(self) -> str:
        return self.name


class CatalogItem(models.Model):
    """What people may order. Its definition (questions, approvals, tasks, access) lives in versions: an
    edit makes a new version, and every request item keeps the version it was ordered in.

    Audience: empty means everyone; else a user must match every non-empty list (a role, one of the sites,
    one of the groups)."""

    name = models.SlugField(max_length=60, unique=True)
    category = models.ForeignKey(CatalogCategory, on_delete=models.PROTECT, related_name="items")
    current = models.ForeignKey(
        "CatalogItemVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=100)
    # ",agent,qa,": a LIKE over a short text filters in SQL on every engine (JSON containment is PostgreSQL's).
    audience_roles = models.CharField(max_length=200, blank=True)
    audience_sites = models.ManyToManyField(Site, blank=True, related_name="+")
    audience_groups = models.ManyToManyField(AssignmentGroup, blank=True, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name


class CatalogItemVersion(models.Model):
    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=5000)
    gxp = models.BooleanField(default=False)
    questions = models.JSONField(default=list, blank=True)
    approval = models.JSONField(default=list, blank=True)  # ["manager", "group:MES Admins", "qa"]: sequential
    tasks = models.JSONField(default=list, blank=True)  # [{"stage", "short_description", "assignment_group"}]
    access = models.JSONField(null=True, blank=True)  # {"system", "role", "max_days", ...} or None
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "version"], name="catalog_item_version_unique")]
        ordering = ["item", "version"]

    def __str__(self) -> str:
        return f"{self.item_id} v{self.version}"


class ServiceRequest(models.Model):
    """REQ...: one order of one or more items (a cart), for the orderer or on someone's behalf."""

    number = models.CharField(max_length=16, unique=True)
    state = models.CharField(max_length=20, choices=RequestState.choices, default=RequestState.SUBMITTED)
    short_description = models.CharField(max_length=160)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_for = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PORTAL)
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["requested_for", "-opened_at"], name="req_for_idx"),
            models.Index(fields=["requested_by", "-opened_at"], name="req_by_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_label(self) -> str:
        return self.number


class RequestItem(models.Model):
    """RITM...: one catalog item of a request, with the answers given to that version's questions."""

    number = models.CharField(max_length=16, unique=True)
    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="items")
    catalog_item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="+", db_index=False)
    version = models.ForeignKey(CatalogItemVersion, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    answers = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=ItemState.choices, default=ItemState.PENDING_APPROVAL)
    approval_level = models.PositiveSmallIntegerField(default=0)
    stage = models.PositiveSmallIntegerField(default=0)  # the fulfilment stage being worked (0: none yet)
    # Copied from the request and the template: what SLA definitions select on and scopes filter by.
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assignment_group = models.ForeignKey(
        AssignmentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    gxp_relevant = models.BooleanField(default=False)
    rejection_reason = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "id"]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_label(self) -> str:
        return self.number

    @property
    def hold_reason(self) -> str:
        """Waiting for approvers is the item's hold (an SLA definition may pause for it)."""
        from plantdesk.requests.choices import AWAITING_APPROVAL

        return AWAITING_APPROVAL if self.state == ItemState.PENDING_APPROVAL else ""


class FulfilmentTask(models.Model):
    """TASK...: work for a group, from the item's template (stages in order, a stage's tasks in parallel),
    or the removal of access that expired. `active`: its stage has been reached (it shows in work lists)."""

    number = models.CharField(max_length=16, unique=True)
    request_item = models.ForeignKey(RequestItem, on_delete=models.PROTECT, related_name="tasks")
    purpose = models.CharField(max_length=10, choices=TaskPurpose.choices, default=TaskPurpose.FULFIL)
    stage = models.PositiveSmallIntegerField(default=1)
    active = models.BooleanField(default=False)
    short_description = models.CharField(max_length=160)
    state = models.CharField(max_length=20, choices=TaskState.choices, default=TaskState.OPEN)
    assignment_group = models.ForeignKey(
        AssignmentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    grant = models.ForeignKey(
        "AccessGrant", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    close_notes = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request_item", "stage", "id"]
        indexes = [
            # The agents' work lists: open tasks of a stage reached, by group / assignee, oldest first.
            models.Index(
                fields=["assignment_group", "opened_at"], name="task_group_open_idx",
                condition=models.Q(active=True, state__in=["open", "in_progress"]),
            ),
            models.Index(
                fields=["assignee", "opened_at"], name="task_assignee_open_idx",
                condition=models.Q(active=True, state__in=["open", "in_progress"]),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.number

    @property
    def audit_label(self) -> str:
        return self.number


class AccessGrant(models.Model):
    """Time-boxed access to a system (a CI) in a role, given by a fulfilled request item. At `expires_at`
    the worker ends it and opens a task to remove it; `removed_at` records that the removal was done.
    Vendor remote access names the change or incident it serves and ends when that record does."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=120)
    request_item = models.ForeignKey(RequestItem, on_delete=models.PROTECT, related_name="grants")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    state = models.CharField(max_length=10, choices=GrantState.choices, default=GrantState.ACTIVE)
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=300, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    reference_change = models.ForeignKey(
        "changes.ChangeRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reference_incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["expires_at", "id"]
        indexes = [
            models.Index(fields=["expires_at"], name="grant_due_idx", condition=models.Q(state="active")),
            models.Index(fields=["system", "state"], name="grant_system_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} on {self.system_id}"

    @property
    def audit_label(self) -> str:
        return f"{self.request_item.number} {self.role}"
