"""States, question types and sources of service requests (CONTRACT.md section 9): stable string values."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_APPROVAL = "in_approval", _("In approval")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    CANCELED = "canceled", _("Canceled")


class ItemState(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    APPROVED = "approved", _("Approved")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    FULFILLED = "fulfilled", _("Fulfilled")
    REJECTED = "rejected", _("Rejected")
    CANCELED = "canceled", _("Canceled")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED_COMPLETE = "closed_complete", _("Closed complete")
    CLOSED_SKIPPED = "closed_skipped", _("Closed skipped")


class TaskPurpose(models.TextChoices):
    FULFIL = "fulfil", _("Fulfilment")
    REVOKE = "revoke", _("Revoke access")


class GrantState(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class QuestionType(models.TextChoices):
    TEXT = "text", _("Text")
    TEXTAREA = "textarea", _("Long text")
    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Yes / no")
    CHOICE = "choice", _("Choice")
    MULTICHOICE = "multichoice", _("Several choices")
    DATE = "date", _("Date")
    USER = "user", _("Person")
    CI = "ci", _("Configuration item")
    GROUP = "group", _("Group")


class Source(models.TextChoices):
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    EVENT = "event", _("Event")


ITEM_FINAL = frozenset({ItemState.FULFILLED, ItemState.REJECTED, ItemState.CANCELED})
ITEM_OPEN = frozenset(ItemState.values) - ITEM_FINAL
REQUEST_FINAL = frozenset({RequestState.COMPLETED, RequestState.REJECTED, RequestState.CANCELED})
TASK_CLOSED = frozenset({TaskState.CLOSED_COMPLETE, TaskState.CLOSED_SKIPPED})
TASK_OPEN = frozenset({TaskState.OPEN, TaskState.IN_PROGRESS})
# An item waiting for its approvers "holds" its fulfilment clock where a definition pauses for it.
AWAITING_APPROVAL = "awaiting_approval"
