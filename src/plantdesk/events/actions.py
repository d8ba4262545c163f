"""Writes people make to the event side (ARCHITECTURE rule 1): acknowledging alerts, silences, mapping and
alert rules, and replaying dead letters. Each is audited. (Maintenance is change enablement's window:
`changes.window_actions.do_put_in_maintenance`.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from plantdesk.accounts.models import Site, User
from plantdesk.accounts.permissions import restrict, user_site_ids
from plantdesk.core import audit
from plantdesk.core.errors import Conflict, FieldError, Forbidden, InvalidInput
from plantdesk.core.spans import clean_span, reason_text
from plantdesk.events.channels import normalise
from plantdesk.events.ingest import dedup_key_of
from plantdesk.events.models import Alert, InboxEvent, Silence
from plantdesk.events.noise import MATCHABLE

MAX_REPLAY = 500


def _require_fulfiller(actor: User) -> None:
    if not actor.is_fulfiller:
        raise Forbidden("Alerts are handled by agents and administrators.")


def _audit(actor: User, record_type: str, obj: Any, action: str, label: str, **changes: Any) -> None:
    audit.record(actor=actor, record_type=record_type, record_id=obj.pk, record_label=label, action=action,
                 **changes)  # fmt: skip


def do_acknowledge_alert(alert: Alert, *, actor: User) -> Alert:
    _require_fulfiller(actor)
    with audit.action_transaction():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.state != Alert.OPEN:
            raise Conflict("Only an open alert can be acknowledged.")
        if locked.acknowledged_at is None:
            locked.acknowledged_at, locked.acknowledged_by = timezone.now(), actor
            locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
            _audit(actor, "alert", locked, "acknowledged", locked.dedup_key)
    return locked


def do_create_silence(data: Mapping[str, Any], *, actor: User) -> Silence:
    """Matchers: {field: shell-style pattern} over source, node, resource, type, metric, severity, dedup_key,
    area, ci (name) and site (code); every matcher must match."""
    _require_fulfiller(actor)
    errors: list[FieldError] = []
    matchers = data.get("matchers")
    if not isinstance(matchers, dict) or not matchers:
        errors.append(FieldError("matchers", "At least one field: pattern pair."))
    else:
        unknown = sorted(set(matchers) - set(MATCHABLE))
        if unknown:
            errors.append(FieldError("matchers", f"{unknown[0]}: unknown field; one of {', '.join(MATCHABLE)}."))
        if any(not isinstance(v, str) or not v or len(v) > 255 for v in matchers.values()):
            errors.append(FieldError("matchers", "Each pattern is text of 1 to 255 characters."))
    site = _silence_site(matchers if isinstance(matchers, dict) else {}, actor, errors)
    starts, ends = clean_span(data, errors)
    comment = reason_text(data, "comment", errors)
    if errors:
        raise InvalidInput.for_fields(errors)
    assert isinstance(matchers, dict) and starts and ends
    with audit.action_transaction():
        silence = Silence.objects.create(matchers=matchers, site=site, starts_at=starts, ends_at=ends, comment=comment,
                                         created_by=actor, created_at=timezone.now())  # fmt: skip
        _audit(
            actor,
            "silence",
            silence,
            "created",
            str(silence),
            new=f"{matchers} {starts:%Y-%m-%d %H:%M}-{ends:%Y-%m-%d %H:%M} UTC",
        )
    return silence


def _silence_site(matchers: dict[str, Any], actor: User, errors: list[FieldError]) -> Site | None:
    """The site a `site` matcher names exactly; agents must name one of theirs, administrators may silence
    across sites."""
    code = matchers.get("site")
    site = Site.objects.filter(code=code).first() if isinstance(code, str) else None
    if actor.is_plantdesk_admin:
        return site
    if site is None or site.pk not in user_site_ids(actor):
        mine = ", ".join(sorted(actor.sites.values_list("code", flat=True))) or "none"
        errors.append(FieldError("matchers", f"site: name one of your sites exactly ({mine})."))
        return None
    return site


def do_expire_silence(silence: Silence, *, actor: User) -> Silence:
    _require_fulfiller(actor)
    if not restrict(actor, "change", Silence).filter(pk=silence.pk).exists():
        raise Forbidden("Only silences of your own sites can be ended by you.")
    with audit.action_transaction():
        now = timezone.now()
        if silence.expired_early_at is None and silence.ends_at > now:
            silence.expired_early_at = now
            silence.save(update_fields=["expired_early_at"])
            _audit(actor, "silence", silence, "expired", str(silence))
    return silence


MAX_ID = 2**63 - 1  # the largest primary key the databases store


def do_replay_dead_letters(ids: list[int], *, actor: User) -> dict[str, list[dict[str, Any]]]:
    """Read each dead letter again as its channel reads today (after a mapping or adapter fix); the ones
    that now read become accepted events for the processor, the others keep their (updated) reason."""
    _require_fulfiller(actor)
    if not ids or len(ids) > MAX_REPLAY:
        raise InvalidInput.for_field("ids", f"1 to {MAX_REPLAY} dead-letter ids.")
    if not all(type(i) is int and 1 <= i <= MAX_ID for i in ids):  # not bool, which is an int to Python
        raise InvalidInput.for_field("ids", "Dead-letter ids are whole numbers from 1.")
    replayed: list[dict[str, Any]] = []
    still_dead: list[dict[str, Any]] = []
    with audit.action_transaction():
        rows = InboxEvent.objects.select_for_update().filter(pk__in=ids, status=InboxEvent.DEAD)
        for row in rows:
            try:
                event = normalise(row.channel, row.payload)
            except ValueError as exc:
                row.reason = str(exc)
                row.save(update_fields=["reason"])
                still_dead.append({"id": row.pk, "reason": row.reason})
                continue
            row.event, row.dedup_key, row.status, row.reason = event, dedup_key_of(event), InboxEvent.ACCEPTED, ""
            row.save(update_fields=["event", "dedup_key", "status", "reason"])
            _audit(actor, "inbox_event", row, "replayed", f"{row.source} #{row.pk}")
            replayed.append({"id": row.pk, "dedup_key": row.dedup_key})
    return {"replayed": replayed, "still_dead": still_dead}
