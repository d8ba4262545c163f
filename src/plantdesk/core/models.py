"""Shared building blocks of every record app: timestamps, numbering, journal, audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class NumberCounter(models.Model):
    """The last number handed out per prefix (INC, PRB, CHG, ...); rows are locked while incremented."""

    prefix = models.CharField(max_length=8, primary_key=True)
    last_value = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.prefix}{self.last_value}"


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")


class JournalKind(models.TextChoices):
    NOTE = "note", _("Comment or work note")
    COMMUNICATION = "communication", _("Major-incident communication")
    # Written by PlantDesk itself (SLA warnings, breach actions): shown one line each, behind people's notes.
    SYSTEM = "system", _("System note")


class JournalEntry(models.Model):
    """A comment (seen by the caller), a work note (agents only), or a major-incident communication
    (a public status update for everyone affected) on any record."""

    record_type = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    kind = models.CharField(max_length=20, choices=JournalKind.choices, default=JournalKind.NOTE)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["record_type", "record_id", "created_at"], name="journal_record_idx")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.record_type}:{self.record_id} {self.visibility}"


class AuditChainHead(models.Model):
    """One row: the sequence and hash of the newest audit entry. Locked by every writer of the chain.

    Keeping the head apart from the entries also makes the deletion of the newest entries detectable.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head {self.last_seq}"


class AuditEntry(models.Model):
    """Append-only, hash-chained record of one change (database triggers refuse UPDATE and DELETE)."""

    # The chain position is the key: one index fewer to maintain on every audited write.
    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept verbatim so the entry stays meaningful (and its hash verifiable) whatever happens to the user.
    actor_username = models.CharField(max_length=150)
    actor_name = models.CharField(max_length=300)
    record_type = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    record_label = models.CharField(max_length=64)
    action = models.CharField(max_length=40)
    field = models.CharField(max_length=64, blank=True)
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["record_type", "record_id", "seq"], name="audit_record_idx")]
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.record_label} {self.action} {self.field}"


class ChoiceOption(models.Model):
    """A configurable enumeration value (categories, resolution codes, ...) with a stable string value.

    Seeded with ITIL defaults by migrations; admins add or deactivate options, never rename values.
    """

    choice_set = models.CharField(max_length=40)
    value = models.SlugField(max_length=40)
    label = models.CharField(max_length=100)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["choice_set", "value"], name="choice_option_unique")]
        ordering = ["choice_set", "order", "value"]

    def __str__(self) -> str:
        return f"{self.choice_set}:{self.value}"


class PeriodicJobState(models.Model):
    """When each periodic job is next due; the row lock makes one worker enqueue it, however many run."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} due {self.next_run_at}"


class Signature(models.Model):
    """An electronic signature (21 CFR Part 11.50/.70): who, printed name, meaning, UTC time, and the hash of
    the signed version of the record. `manifest_hash` covers the record's identity too, so a signature copied
    to another record no longer verifies; database triggers refuse rewriting the binding or deleting a row.
    Invalidation (a signed field changed) is the only update allowed."""

    record_type = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    record_label = models.CharField(max_length=64)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(max_length=150)
    printed_name = models.CharField(max_length=300)
    meaning = models.CharField(max_length=30)
    purpose = models.CharField(max_length=30)
    comment = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    signed_fields = models.JSONField(default=list)
    record_hash = models.CharField(max_length=64)
    manifest_hash = models.CharField(max_length=64)
    valid = models.BooleanField(default=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidated_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["record_type", "record_id", "signed_at"], name="signature_record_idx")]
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.printed_name} ({self.meaning}) {self.record_label}"


class DomainEvent(models.Model):
    """What an action recorded as having happened (`incident.assigned`, `change.state_changed`...), written in
    the action's own transaction: it exists if and only if the change committed (ARCHITECTURE rule 3).

    `changes` holds the changed fields as {field: {"old": text, "new": text}} in the audit trail's text form;
    `data` what else a consumer needs (a definition's name, a journal entry's visibility)."""

    name = models.CharField(max_length=64)
    record_type = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    record_label = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150)
    changes = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["record_type", "record_id", "id"], name="domain_event_record_idx"),
            models.Index(fields=["occurred_at"], name="domain_event_occurred_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name} {self.record_label}"


class OutboxPartition(models.Model):
    """One of the fixed partitions of the outbox. A worker leases partitions (claimed with FOR UPDATE SKIP
    LOCKED) and alone dispatches their deliveries while its lease runs: the events of one record always
    fall into one partition, so each consumer sees them in order, however many workers share the work."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # least recently served first: no partition starves

    def __str__(self) -> str:
        return f"outbox partition {self.pk} ({self.owner or 'free'})"


class EventDelivery(models.Model):
    """One consumer's progress on one event: pending until the consumer has handled it (then done, committed
    with what the consumer wrote), retried with backoff while it fails, failed once it gave up."""

    PENDING, DONE, FAILED = "pending", "done", "failed"
    STATES = [(PENDING, "Pending"), (DONE, "Done"), (FAILED, "Failed")]

    event = models.ForeignKey(DomainEvent, on_delete=models.CASCADE, related_name="deliveries")
    consumer = models.CharField(max_length=100)
    stream = models.CharField(max_length=64)  # "<record_type>:<record_id>": the unit of order
    partition = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField()  # not tried before (backoff)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "consumer"], name="delivery_once_per_consumer")]
        indexes = [
            # The dispatcher's read: a partition's pending deliveries in order.
            models.Index(fields=["partition", "id"], name="delivery_pending_idx", condition=models.Q(state="pending")),
            # Order per record: is an earlier delivery of this stream waiting for its retry? Only a delivery that
            # failed before (attempts > 0) can: a tiny index, however long the backlog.
            models.Index(
                fields=["consumer", "stream", "id"],
                name="delivery_retry_idx",
                condition=models.Q(state="pending", attempts__gt=0),
            ),
            models.Index(fields=["done_at"], name="delivery_done_idx", condition=models.Q(state="done")),
        ]

    def __str__(self) -> str:
        return f"{self.consumer} <- event {self.event_id} ({self.state})"
