"""The event inbox (ARCHITECTURE rule 10) and what the processor makes of it: alerts, and the noise controls
(silences, floods; maintenance is change enablement's window) and rules that decide whether an alert becomes
an incident."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.models import Site


class InboxEvent(models.Model):
    """One event as received: its raw payload and SHA-256, idempotent on (source, key), where the key is the
    sender's event id when it gives one, else the payload's hash, so a redelivery is recognised."""

    ACCEPTED, PROCESSED, DEAD = "accepted", "processed", "dead"
    STATUSES = [(ACCEPTED, _("Accepted")), (PROCESSED, _("Processed")), (DEAD, _("Dead letter"))]

    channel = models.CharField(max_length=20)  # rest, mqtt, alertmanager, pagerduty, sparkplug
    source = models.CharField(max_length=100)
    idempotency_key = models.CharField(max_length=128)
    dedup_key = models.CharField(max_length=255, blank=True)
    payload = models.TextField()  # verbatim (binary payloads such as Sparkplug's protobuf: base64)
    sha256 = models.CharField(max_length=64)
    # The native event an adapter made of `payload`; null when the payload is itself a native event.
    event = models.JSONField(null=True, blank=True)
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=ACCEPTED)
    reason = models.TextField(blank=True)  # why a dead letter is dead, or why a processed event changed nothing
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "idempotency_key"], name="inbox_event_once")]
        indexes = [
            # The processor's queue and the dead-letter list: small partial indexes, not the whole inbox.
            models.Index(fields=["id"], name="inbox_accepted_idx", condition=models.Q(status="accepted")),
            models.Index(fields=["-received_at"], name="inbox_dead_idx", condition=models.Q(status="dead")),
            # The raw events of an alert: its key between its first and last event id.
            models.Index(fields=["dedup_key", "id"], name="inbox_dedup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.idempotency_key[:12]} {self.status}"


class Alert(models.Model):
    """The deduplicated state of one dedup key: repeats raise `count`; a clear closes it; a trigger within
    the reopen window reopens it, a later one starts a new alert (so a key has at most one open alert)."""

    OPEN, CLOSED = "open", "closed"
    STATES = [(OPEN, "Open"), (CLOSED, "Closed")]

    dedup_key = models.CharField(max_length=255)
    source = models.CharField(max_length=100)
    node = models.CharField(max_length=255, blank=True)
    resource = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=100, blank=True)
    metric = models.CharField(max_length=255, blank=True)
    message = models.TextField(blank=True)
    severity = models.CharField(max_length=10)
    state = models.CharField(max_length=10, choices=STATES, default=OPEN)
    ci = models.ForeignKey("cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=255, blank=True)  # the line or area a flood is counted in
    count = models.PositiveIntegerField(default=1)
    severity_changes = models.PositiveIntegerField(default=0)
    reopen_count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    opened_at = models.DateTimeField()  # the start of the current episode (differs from first_seen once reopened)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_occurred_at = models.DateTimeField(null=True, blank=True)  # the sender's clock, for display only
    first_event_id = models.BigIntegerField()
    last_event_id = models.BigIntegerField()
    state_changes = models.JSONField(default=list, blank=True)  # recent open/close times, for flapping
    flapping = models.BooleanField(default=False)
    suppressed = models.CharField(max_length=20, blank=True)  # why no incident: maintenance, silenced, ...
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="secondaries", db_index=False
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    opened_incident = models.BooleanField(default=False)  # this alert created `incident` (a clear may resolve it)
    # The request an `open_request` rule opened for it (toner low, disk filling: not a fault).
    request_item = models.ForeignKey(
        "requests.RequestItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dedup_key"], condition=models.Q(state="open"), name="alert_open_once")
        ]
        indexes = [
            models.Index(fields=["dedup_key", "-id"], name="alert_key_idx"),
            # Nothing a repeat writes (count, last_seen, ...) is indexed, so PostgreSQL updates repeats in place
            # (HOT). Open alerts are few and sorted in memory; closed ones are listed by when they closed.
            models.Index(fields=["-closed_at"], name="alert_closed_idx", condition=models.Q(state="closed")),
            models.Index(fields=["area", "opened_at"], name="alert_area_idx"),
            models.Index(fields=["ci", "state"], name="alert_ci_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dedup_key} {self.state} x{self.count}"

    @property
    def audit_label(self) -> str:
        return self.dedup_key


class MappingRule(models.Model):
    """Binds events that carry no CI name or alias to a CI: the first rule (by position) whose field value
    matches the shell-style pattern wins."""

    FIELDS = [("node", "Node"), ("resource", "Resource"), ("source", "Source"), ("metric", "Metric")]

    position = models.PositiveIntegerField()
    field = models.CharField(max_length=20, choices=FIELDS)
    pattern = models.CharField(max_length=255)
    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.field} ~ {self.pattern} -> {self.ci_id}"


class AlertRule(models.Model):
    """Ordered alert-to-incident rules: the first rule that matches decides. Empty match lists match all."""

    OPEN_INCIDENT, OPEN_REQUEST, RECORD_ONLY = "open_incident", "open_request", "record_only"
    ACTIONS = [(OPEN_INCIDENT, _("Open an incident")), (OPEN_REQUEST, _("Open a service request")),
               (RECORD_ONLY, _("Record only"))]  # fmt: skip

    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    severities = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, blank=True)  # shell-style patterns
    ci_classes = models.JSONField(default=list, blank=True)
    sites = models.JSONField(default=list, blank=True)  # site codes
    action = models.CharField(max_length=20, choices=ACTIONS, default=OPEN_INCIDENT)
    # What an `open_request` rule orders (e.g. label-printer consumables for a toner-low alarm).
    catalog_item = models.ForeignKey(
        "requests.CatalogItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name} ({self.action})"


class Silence(models.Model):
    """Alerts matching every matcher (field -> shell-style pattern) between start and end open no incident."""

    matchers = models.JSONField()
    # The site its `site` matcher names: an agent silences the alerts of their own sites only.
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    comment = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expired_early_at = models.DateTimeField(null=True, blank=True)  # ended by hand before ends_at

    class Meta:
        indexes = [models.Index(fields=["ends_at"], name="silence_end_idx")]

    def __str__(self) -> str:
        return f"silence {self.matchers} until {self.ends_at:%Y-%m-%d %H:%M}"


class AlarmFlood(models.Model):
    """An ISA-18.2 alarm flood in one area: one incident holds the alerts that arrive while it lasts."""

    area = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    last_alert_at = models.DateTimeField()
    alert_count = models.PositiveIntegerField(default=0)
    incident = models.ForeignKey("incidents.Incident", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["area", "-last_alert_at"], name="flood_area_idx")]

    def __str__(self) -> str:
        return f"flood {self.area} since {self.started_at:%H:%M}"
