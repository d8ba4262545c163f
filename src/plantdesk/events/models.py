"""The event inbox (ARCHITECTURE rule 10): every accepted event, verbatim, before anything is done with it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class InboxEvent(models.Model):
    """One event as received: its raw payload and SHA-256, idempotent on (source, key), where the key is the
    sender's event id when it gives one, else the payload's hash, so a redelivery is recognised."""

    ACCEPTED, PROCESSED, DEAD = "accepted", "processed", "dead"
    STATUSES = [(ACCEPTED, "Accepted"), (PROCESSED, "Processed"), (DEAD, "Dead letter")]

    channel = models.CharField(max_length=20)  # rest, mqtt, alertmanager, pagerduty, sparkplug
    source = models.CharField(max_length=100)
    idempotency_key = models.CharField(max_length=128)
    dedup_key = models.CharField(max_length=255, blank=True)
    payload = models.TextField()
    sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=ACCEPTED)
    reason = models.TextField(blank=True)  # why a dead letter is dead
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "idempotency_key"], name="inbox_event_once")]
        indexes = [
            # The processor's queue and the dead-letter list: small partial indexes, not the whole inbox.
            models.Index(fields=["id"], name="inbox_accepted_idx", condition=models.Q(status="accepted")),
            models.Index(fields=["-received_at"], name="inbox_dead_idx", condition=models.Q(status="dead")),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.idempotency_key[:12]} {self.status}"
