"""Working-time schedules (plant calendars); SLA definitions and clocks build on them."""

from __future__ import annotations

from django.db import models


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
