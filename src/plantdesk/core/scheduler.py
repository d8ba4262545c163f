"""Periodic jobs: every worker asks which are due; the row lock lets exactly one enqueue each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from plantdesk.core.models import PeriodicJobState


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    enqueue: Callable[[], Any]


_jobs: dict[str, PeriodicJob] = {}


def register_periodic(name: str, every: timedelta, enqueue: Callable[[], Any]) -> None:
    _jobs[name] = PeriodicJob(name, every, enqueue)


def periodic_jobs() -> list[PeriodicJob]:
    return list(_jobs.values())


def enqueue_due_jobs(now: datetime | None = None) -> list[str]:
    """Enqueue every job whose time has come and move its next run on; returns their names."""
    now = now or timezone.now()
    enqueued = []
    for job in periodic_jobs():
        with transaction.atomic():
            PeriodicJobState.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
            state = (
                PeriodicJobState.objects.select_for_update(skip_locked=True)
                .filter(name=job.name, next_run_at__lte=now)
                .first()
            )
            if state is None:
                continue
            job.enqueue()
            state.last_enqueued_at = now
            state.next_run_at = now + job.every
            state.save(update_fields=["last_enqueued_at", "next_run_at"])
            enqueued.append(job.name)
    return enqueued
