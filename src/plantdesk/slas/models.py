"""Working-time schedules (plant calendars); SLA definitions and clocks build on them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.models import Site


class Schedule(models.Model):
    """Weekly working hours in an IANA zone, public holidays of a country (and subdivision), closed days.

    `hours` keeps the API form, e.g. [{"days": "mon-fri", "start": "06:00", "end": "14:00"}], validated by
    `schedules.parse_hours`; `extra_closed_days` is a list of ISO dates (plant closures).
    """

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64)
    hours = models.JSONField()
    holiday_country = models.CharField(max_length=8, blank=True)
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    extra_closed_days = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name


class LocationSchedule(models.Model):
    """A site's or a line's own working time: clocks of definitions with `use_location_schedule` run on it."""

    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="+")
    site = models.OneToOneField(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    line = models.OneToOneField(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(site__isnull=True) ^ models.Q(line__isnull=True), name="location_schedule_one_place"
            )
        ]

    def __str__(self) -> str:
        return f"{self.site_id or self.line_id}: {self.schedule_id}"


def _response_events() -> list[str]:
    return ["assignment", "public_comment"]


class SLADefinition(models.Model):
    """What a record must achieve (response or resolution) within how much working time, for which records.

    `conditions`: {field: [allowed values]} over the record's fields (`measured.MeasuredType.conditions` of
    its record type); every listed field must match, an empty dict matches every record. `pause_hold_reasons`: the hold
    reasons that pause the clock while the record is on hold (empty: every reason).
    """

    KINDS = [("sla", "SLA"), ("ola", "OLA")]
    TARGETS = [("response", "Response"), ("resolution", "Resolution")]

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=3, choices=KINDS, default="sla")
    target = models.CharField(max_length=10, choices=TARGETS)
    record_type = models.CharField(max_length=20, default="incident")
    duration = models.DurationField()
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="definitions")
    use_location_schedule = models.BooleanField(default=False)  # the line's or site's schedule, if it has one
    conditions = models.JSONField(default=dict, blank=True)
    pause_hold_reasons = models.JSONField(default=list, blank=True)
    # What meets a response target: an agent assigned, an agent's public comment (default: either).
    response_met_by = models.JSONField(default=_response_events, blank=True)
    warnings = models.JSONField(default=list, blank=True)  # percentages, ascending, e.g. [50, 75, 90]
    breach_actions = models.JSONField(default=list, blank=True)  # e.g. [{"action": "raise_priority"}]
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["record_type", "target", "name"]
        verbose_name = "SLA definition"

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name


class SLAClock(models.Model):
    """One definition's clock on one record. Times are epoch microseconds of business time where named
    `_us`; `elapsed_us` is the working time up to `segment_start` (the start of the running segment)."""

    RUNNING, PAUSED, STOPPED, CANCELED = "running", "paused", "stopped", "canceled"
    STAGES = [(RUNNING, "Running"), (PAUSED, "Paused"), (STOPPED, "Stopped"), (CANCELED, "Canceled")]

    record_type = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    definition = models.ForeignKey(SLADefinition, on_delete=models.PROTECT, related_name="+")
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=10, choices=STAGES, default=RUNNING)
    started_at = models.DateTimeField()
    duration_us = models.BigIntegerField()
    elapsed_us = models.BigIntegerField(default=0)
    segment_start = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    next_event_at = models.DateTimeField(null=True, blank=True)
    warnings_fired = models.PositiveSmallIntegerField(default=0)
    breached_at = models.DateTimeField(null=True, blank=True)
    paused_wall_us = models.BigIntegerField(default=0)  # wall-clock time spent paused (reports)
    paused_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["record_type", "record_id"], name="sla_clock_record_idx"),
            # The worker's poll: running clocks with a warning or breach due, soonest first.
            models.Index(
                fields=["next_event_at"], name="sla_clock_next_event_idx", condition=models.Q(stage="running")
            ),
            models.Index(fields=["schedule", "stage"], name="sla_clock_schedule_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id}: {self.definition_id} {self.stage}"

    @property
    def state(self) -> str:
        """CONTRACT.md section 6: running | paused | achieved | breached | canceled."""
        if self.stage == self.CANCELED:
            return "canceled"
        if self.breached_at is not None:
            return "breached"
        return "achieved" if self.stage == self.STOPPED else self.stage


# A clock's states as people read them (the badges on a record's SLA card; ui.labels, like the apps' states).
CLOCK_RECORD_TYPE = "sla_clock"
CLOCK_STATE_LABELS = {
    "running": _("Running"),
    "paused": _("Paused"),
    "achieved": _("Achieved"),
    "breached": _("Breached"),
    "canceled": _("Canceled"),
}
