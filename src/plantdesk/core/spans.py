"""An occasion's time span as the desk enters it (a silence, a CI put in maintenance): `starts_at` (default
now) and `ends_at`, aware, at most a year long and starting within a year of now; and the reason why."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from plantdesk.core.errors import FieldError

MAX_SPAN = timedelta(days=366)  # for an occasion, not for ever


def clean_span(data: Mapping[str, Any], errors: list[FieldError]) -> tuple[datetime | None, datetime | None]:
    now = timezone.now()
    starts, ends = data.get("starts_at") or now, data.get("ends_at")
    if not isinstance(starts, datetime) or timezone.is_naive(starts) or abs(starts - now) > MAX_SPAN:
        errors.append(FieldError("starts_at", "A time with its offset, within a year of now."))
        starts = None
    if not isinstance(ends, datetime) or timezone.is_naive(ends):
        errors.append(FieldError("ends_at", "A time with its offset is required."))
        ends = None
    if starts and ends and ends <= starts:
        errors.append(FieldError("ends_at", "Must be after starts_at."))
    elif starts and ends and ends - starts > MAX_SPAN:
        errors.append(FieldError("ends_at", "At most a year after starts_at."))
    return starts, ends


def reason_text(data: Mapping[str, Any], field: str, errors: list[FieldError]) -> str:
    text = str(data.get(field) or "").strip()
    if not text:
        errors.append(FieldError(field, "Say why (it is kept with the record)."))
    return text
