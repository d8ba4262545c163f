"""Writes to maintenance, blackout and production-run windows (ARCHITECTURE rule 1), each audited.

Windows are planned by change managers and administrators; production runs are also imported by the MES /
ERP integration accounts, idempotently by the job order's `external_id`. A window is never deleted: it is
deactivated with a reason, and its history stays in the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from plantdesk.accounts.models import Site, User
from plantdesk.changes.choices import RunState, WindowKind
from plantdesk.changes.models import Window, WindowCI
from plantdesk.changes.queries import CHANGE_AUTHORITIES
from plantdesk.changes.window_input import (
    clean_rrule,
    clean_times,
    is_time_zone,
    name_list,
    resolve_classes,
    resolve_sites,
)
from plantdesk.cmdb.models import CIClass, ConfigurationItem
from plantdesk.cmdb.queries import find_visible_ci
from plantdesk.cmdb.references import cis_named
from plantdesk.core import audit
from plantdesk.core.errors import Conflict, FieldError, Forbidden, InvalidInput
from plantdesk.core.fields import Errors, text
from plantdesk.core.spans import clean_span, reason_text

RECORD_TYPE = "window"
FIELDS = ("kind", "name", "description", "start", "end", "rrule", "time_zone", "cis", "ci_classes", "sites",
          "run_state", "external_id")  # fmt: skip


def can_plan_windows(user: User) -> bool:
    return user.role in CHANGE_AUTHORITIES


def require_planner(actor: User) -> None:
    if not can_plan_windows(actor):
        raise Forbidden("Windows are planned by change managers and administrators.")


@dataclass
class WindowValues:
    """A window's validated content; scopes as model rows, ready to store."""

    kind: str
    name: str
    description: str
    start: datetime
    end: datetime
    rrule: str
    time_zone: str
    last_end: datetime | None
    run_state: str
    external_id: str
    cis: list[ConfigurationItem] = field(default_factory=list)
    ci_classes: list[CIClass] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)

    def audit_text(self) -> dict[str, str]:
        plain = {name: audit.as_text(getattr(self, name)) for name in FIELDS[:7] + FIELDS[-2:]}
        return plain | {
            "cis": ", ".join(sorted(ci.name for ci in self.cis)),
            "ci_classes": ", ".join(sorted(c.name for c in self.ci_classes)),
            "sites": ", ".join(sorted(s.code for s in self.sites)),
        }


def values_of(window: Window) -> WindowValues:
    """The stored window as WindowValues (its scopes read through prefetches where the caller made them)."""
    return WindowValues(
        kind=window.kind, name=window.name, description=window.description, start=window.start, end=window.end,
        rrule=window.rrule, time_zone=window.time_zone, last_end=window.last_end, run_state=window.run_state,
        external_id=window.external_id, cis=list(window.cis.all()), ci_classes=list(window.ci_classes.all()),
        sites=list(window.sites.all()),
    )  # fmt: skip


def _default_zone(cis: list[ConfigurationItem], sites: list[Site]) -> str:
    """The zone of the sites in scope when they agree (a Berlin blackout recurs on Berlin time), else UTC."""
    zones = {s.time_zone for s in sites} | {ci.site.time_zone for ci in cis if ci.site is not None}
    return zones.pop() if len(zones) == 1 else "UTC"


def clean_window(data: Mapping[str, Any], *, actor: User, current: Window | None = None) -> WindowValues:
    """Validate a whole window (a create) or `current` with `data` applied over it (an update)."""
    errors = Errors()
    for key in sorted(set(data) - set(FIELDS)):
        errors.add(key, "Unknown field.")
    before = values_of(current) if current is not None else None

    def given(name: str, default: Any = None) -> Any:
        if name in data:
            return data[name]
        return getattr(before, name) if before is not None else default

    kind = given("kind")
    if kind not in WindowKind.values:
        errors.add("kind", f"One of {', '.join(WindowKind.values)}.")
    elif before is not None and kind != before.kind:
        errors.add("kind", "A window's kind is fixed; deactivate it and create another.")
    name = text(given("name"), "name", errors, max_length=160, required=True)
    description = text(given("description", ""), "description", errors, max_length=5000)
    start, end = clean_times(given("start"), given("end"), errors)
    rrule = text(given("rrule", ""), "rrule", errors, max_length=500)
    cis, ci_classes, sites = _scope(data, before, actor, errors)
    zone = given("time_zone") or (_default_zone(cis, sites) if before is None else None)
    if not is_time_zone(zone):
        errors.add("time_zone", "An IANA time zone name, e.g. Europe/Berlin.")
        zone = None
    run_state = _run_state(kind, given("run_state", ""), before, errors)
    if kind == WindowKind.PRODUCTION_RUN:
        if rrule:
            errors.add("rrule", "A production run is one job order; it does not recur.")
        if not cis and not any(e.field == "cis" for e in errors):
            errors.add("cis", "A production run runs on equipment: name its CI.")
    elif not (cis or ci_classes or sites) and not any(e.field in ("cis", "ci_classes", "sites") for e in errors):
        errors.add("cis", "Name at least one CI, CI class or site the window applies to.")
    external_id = _external_id(given("external_id", ""), current, errors)
    last_end = clean_rrule(rrule, start, end, zone, errors)
    if errors:
        raise InvalidInput.for_fields(errors)
    assert start is not None and end is not None and zone is not None
    return WindowValues(kind=kind, name=name, description=description, start=start, end=end, rrule=rrule,
                        time_zone=zone, last_end=last_end, run_state=run_state, external_id=external_id,
                        cis=cis, ci_classes=ci_classes, sites=sites)  # fmt: skip


def _scope(
    data: Mapping[str, Any], before: WindowValues | None, actor: User, errors: Errors
) -> tuple[list[ConfigurationItem], list[CIClass], list[Site]]:
    cis = before.cis if before is not None else []
    ci_classes = before.ci_classes if before is not None else []
    sites = before.sites if before is not None else []
    if "cis" in data and (names := name_list(data["cis"], "cis", errors)) is not None:
        found = cis_named(actor, names, "cis", errors)
        cis = list({ci.pk: ci for ci in (found[n] for n in names if n in found)}.values())  # an alias may repeat
    if "ci_classes" in data and (names := name_list(data["ci_classes"], "ci_classes", errors)) is not None:
        ci_classes = resolve_classes(names, errors)
    if "sites" in data and (codes := name_list(data["sites"], "sites", errors)) is not None:
        sites = resolve_sites(codes, errors)
    return cis, ci_classes, sites


def _run_state(kind: Any, value: Any, before: WindowValues | None, errors: Errors) -> str:
    state = value.strip().lower() if isinstance(value, str) else value
    if kind != WindowKind.PRODUCTION_RUN:
        if state:
            errors.add("run_state", "Only a production run has a run state.")
        return ""
    if not state:
        return RunState.PLANNED
    if state not in RunState.values:
        errors.add("run_state", f"One of {', '.join(RunState.values)}.")
        return ""
    return str(state)


def _external_id(value: Any, current: Window | None, errors: Errors) -> str:
    external_id = text(value, "external_id", errors, max_length=120)
    if external_id and Window.objects.filter(external_id=external_id).exclude(pk=current.pk if current else 0).exists():
        errors.add("external_id", f"{external_id!r} already names another window.")
    return external_id


def _store(window: Window, values: WindowValues) -> None:
    for name in ("kind", "name", "description", "start", "end", "rrule", "time_zone", "last_end", "run_state",
                 "external_id"):  # fmt: skip
        setattr(window, name, getattr(values, name))
    window.updated_at = timezone.now()


def _set_scope(window: Window, values: WindowValues, before: WindowValues | None) -> None:
    if before is None or {c.pk for c in before.cis} != {c.pk for c in values.cis}:
        window.cis.set(values.cis)
    if before is None or {c.pk for c in before.ci_classes} != {c.pk for c in values.ci_classes}:
        window.ci_classes.set(values.ci_classes)
    if before is None or {s.pk for s in before.sites} != {s.pk for s in values.sites}:
        window.sites.set(values.sites)


def _unique_race(exc: IntegrityError) -> Conflict:
    return Conflict("Another request stored a window with this external_id at the same moment; send it again.")


def do_create_window(data: Mapping[str, Any], *, actor: User) -> Window:
    require_planner(actor)
    values = clean_window(data, actor=actor)
    try:
        return _insert(values, actor)
    except IntegrityError as exc:
        raise _unique_race(exc) from exc


def _insert(values: WindowValues, actor: User) -> Window:
    with audit.action_transaction():
        now = timezone.now()
        window = Window(created_by=actor, created_at=now)
        _store(window, values)
        window.save()
        _set_scope(window, values, None)
        audit.record_changes(actor=actor, obj=window, record_type=RECORD_TYPE, before={},
                             after=values.audit_text(), action="created")  # fmt: skip
    return window


def do_put_in_maintenance(data: Mapping[str, Any], *, actor: User) -> Window:
    """The desk's "put this CI in maintenance": a one-off maintenance window on one CI the agent can see,
    `{"ci", "starts_at" (default now), "ends_at", "reason"}`. Any agent may: an OT engineer stopping a filler
    for an hour must not wait for a change manager. Recurring or wider windows, blackouts and production
    runs are planned (`do_create_window`)."""
    if not actor.is_fulfiller:
        raise Forbidden("Agents and administrators put CIs in maintenance.")
    errors: list[FieldError] = []
    ci = find_visible_ci(actor, str(data.get("ci") or ""))
    if ci is None:
        errors.append(FieldError("ci", "No CI you can see has this name or alias."))
    start, end = clean_span(data, errors)
    reason = reason_text(data, "reason", errors)
    if errors or ci is None or start is None or end is None:
        raise InvalidInput.for_fields(errors)
    zone = ci.site.time_zone if ci.site is not None else "UTC"
    values = WindowValues(kind=WindowKind.MAINTENANCE, name=f"Maintenance of {ci.name}"[:160], description=reason,
                          start=start, end=end, rrule="", time_zone=zone, last_end=end, run_state="", external_id="",
                          cis=[ci])  # fmt: skip
    return _insert(values, actor)


def can_deactivate(user: User, window: Window) -> bool:
    """Planners deactivate any window; an agent ends the maintenance they started themselves."""
    return can_plan_windows(user) or (window.kind == WindowKind.MAINTENANCE and window.created_by_id == user.pk)


def do_update_window(window: Window, data: Mapping[str, Any], *, actor: User) -> Window:
    """Change the given fields; the scope lists given replace the stored ones. No change, no write."""
    require_planner(actor)
    try:
        with audit.action_transaction():
            locked = Window.objects.select_for_update().get(pk=window.pk)
            if not locked.active:
                raise Conflict("A deactivated window is kept as it was; create a new one.")
            before = values_of(locked)
            values = clean_window(data, actor=actor, current=locked)
            changed = audit.record_changes(actor=actor, obj=locked, record_type=RECORD_TYPE,
                                           before=before.audit_text(), after=values.audit_text())  # fmt: skip
            if changed:
                _store(locked, values)
                locked.save()
                _set_scope(locked, values, before)
    except IntegrityError as exc:
        raise _unique_race(exc) from exc
    return locked


def do_deactivate_window(window: Window, *, actor: User, reason: str) -> Window:
    """Take a window out of conflict detection, alert suppression and the schedule; it stays on record with the
    reason."""
    if not can_deactivate(actor, window):
        raise Forbidden(
            "Windows are deactivated by change managers and administrators (or whoever started a maintenance)."
        )
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput.for_field("reason", "Say why the window no longer applies (kept in the audit trail).")
    if len(reason) > 1000:
        raise InvalidInput.for_field("reason", "At most 1000 characters.")
    with audit.action_transaction():
        locked = Window.objects.select_for_update().get(pk=window.pk)
        if locked.active:
            locked.active, locked.updated_at = False, timezone.now()
            locked.save(update_fields=["active", "updated_at"])
            audit.record(actor=actor, record_type=RECORD_TYPE, record_id=locked.pk, record_label=locked.audit_label,
                         action="deactivated", field="active", old=True, new=False, reason=reason)  # fmt: skip
    return locked


# -- production runs imported from the MES / ERP ------------------------------------------------------

MAX_IMPORT_ROWS = 5000
RUN_FIELDS = ("equipment", "start", "end", "state", "external_id", "name")
RUN_UPDATE_FIELDS = ["name", "start", "end", "last_end", "run_state", "time_zone", "updated_at"]


def can_import_runs(user: User) -> bool:
    return can_plan_windows(user) or user.is_integration


@dataclass(frozen=True)
class RunResult:
    external_id: str
    window_id: int
    result: str  # created | updated | unchanged


@dataclass
class _Run:
    index: int
    external_id: str
    equipment: str
    name: str
    start: datetime
    end: datetime
    state: str
    ci: ConfigurationItem | None = None


def do_import_production_runs(rows: Any, *, actor: User) -> list[RunResult]:
    """Create or update one production-run window per job order, keyed by `external_id`.

    Sending the same file twice changes nothing; a later file updates the state, times, name or equipment.
    One bad row refuses the whole import (errors named `<row index>.<field>`) and nothing is written, so an
    MES never has to work out which half of a batch arrived.
    """
    if not can_import_runs(actor):
        raise Forbidden("Production runs are imported by integration accounts, change managers and administrators.")
    if not isinstance(rows, list | tuple) or not rows:
        raise InvalidInput.for_field("rows", "Send a list of at least one production run.")
    if len(rows) > MAX_IMPORT_ROWS:
        raise InvalidInput.for_field("rows", f"At most {MAX_IMPORT_ROWS} runs per import; split the file.")
    errors = Errors()
    runs = _parse_runs(rows, actor, errors)
    try:
        with audit.action_transaction():
            existing = {
                w.external_id: w
                for w in Window.objects.select_for_update()
                .filter(external_id__in=[r.external_id for r in runs])
                .prefetch_related("ci_links")
            }
            for run in runs:
                other = existing.get(run.external_id)
                if other is not None and other.kind != WindowKind.PRODUCTION_RUN:
                    errors.add(f"{run.index}.external_id", f"{run.external_id!r} names a {other.kind} window.")
            if errors:
                raise _refusal(errors, len(rows))
            return _write_runs(runs, existing, actor)
    except IntegrityError as exc:
        raise _unique_race(exc) from exc


def _refusal(errors: Errors, total: int) -> InvalidInput:
    bad_rows = {e.field.split(".", 1)[0] for e in errors}
    first = errors[0]
    return InvalidInput(
        f"The import was refused and nothing was written: {len(bad_rows)} of {total} runs have errors "
        f"(first: row {first.field}: {first.message})",
        errors,
    )


def _parse_runs(rows: list[Any] | tuple[Any, ...], actor: User, errors: Errors) -> list[_Run]:
    runs: list[_Run] = []
    first_row: dict[str, int] = {}
    for index, row in enumerate(rows):
        row_errors = Errors(prefix=f"{index}.")
        if not isinstance(row, Mapping):
            row_errors.add("row", "Each run is an object with equipment, start, end, state and external_id.")
            errors.extend(row_errors)
            continue
        for key in sorted(set(row) - set(RUN_FIELDS)):
            row_errors.add(str(key), "Unknown field.")
        external_id = text(row.get("external_id"), "external_id", row_errors, max_length=120, required=True)
        if external_id in first_row:
            row_errors.add("external_id", f"Also on row {first_row[external_id]} of this import.")
        elif external_id:
            first_row[external_id] = index
        equipment = text(row.get("equipment"), "equipment", row_errors, max_length=255, required=True)
        start, end = clean_times(row.get("start"), row.get("end"), row_errors)
        raw_state = row.get("state")
        state = raw_state.strip().lower() if isinstance(raw_state, str) else None
        if state not in RunState.values:
            row_errors.add("state", f"One of {', '.join(RunState.values)}.")
        name = text(row.get("name"), "name", row_errors, max_length=160)
        if not row_errors and start and end and state:
            runs.append(_Run(index, external_id, equipment, name, start, end, state))
        errors.extend(row_errors)
    found = cis_named(actor, sorted({r.equipment for r in runs}), "equipment", Errors())
    for run in runs:
        run.ci = found.get(run.equipment)
        if run.ci is None:
            errors.add(f"{run.index}.equipment", f"Unknown CI {run.equipment!r} (a CI name or alias you can see).")
    if errors:
        raise _refusal(errors, len(rows))
    return runs


def _zone_of(ci: ConfigurationItem) -> str:
    return ci.site.time_zone if ci.site is not None else "UTC"


def _write_runs(runs: list[_Run], existing: dict[str, Window], actor: User) -> list[RunResult]:
    now = timezone.now()
    results: dict[int, RunResult] = {}
    new: list[tuple[_Run, Window]] = []
    changed: list[Window] = []
    relinked: list[tuple[Window, ConfigurationItem]] = []
    for run in runs:
        assert run.ci is not None
        window = existing.get(run.external_id)
        if window is None:
            window = Window(kind=WindowKind.PRODUCTION_RUN, name=run.name or f"Job order {run.external_id}",
                            start=run.start, end=run.end, last_end=run.end, time_zone=_zone_of(run.ci),
                            run_state=run.state, external_id=run.external_id, created_by=actor, created_at=now,
                            updated_at=now)  # fmt: skip
            new.append((run, window))
            continue
        fields = _apply_run(window, run, actor)
        linked = {link.ci_id for link in window.ci_links.all()}
        if linked != {run.ci.pk}:
            relinked.append((window, run.ci))
            audit.record(actor=actor, record_type=RECORD_TYPE, record_id=window.pk, record_label=window.audit_label,
                         action="imported", field="cis", old=_names_of(linked), new=run.ci.name)  # fmt: skip
        if fields:
            window.updated_at = now
            changed.append(window)
        result = "updated" if fields or linked != {run.ci.pk} else "unchanged"
        results[run.index] = RunResult(run.external_id, window.pk, result)
    created = Window.objects.bulk_create([window for _, window in new])
    links = [WindowCI(window=window, ci=run.ci) for (run, _), window in zip(new, created, strict=True)]
    if relinked:
        WindowCI.objects.filter(window__in=[w.pk for w, _ in relinked]).delete()
        links += [WindowCI(window=window, ci=ci) for window, ci in relinked]
    WindowCI.objects.bulk_create(links)
    if changed:
        Window.objects.bulk_update(changed, RUN_UPDATE_FIELDS)
    for (run, _), window in zip(new, created, strict=True):
        assert run.ci is not None and window.pk is not None
        audit.record(actor=actor, record_type=RECORD_TYPE, record_id=window.pk, record_label=window.audit_label,
                     action="imported", new=f"{run.ci.name} {audit.as_text(run.start)} - {audit.as_text(run.end)} "
                                            f"{run.state}")  # fmt: skip
        results[run.index] = RunResult(run.external_id, window.pk, "created")
    return [results[run.index] for run in runs]


def _apply_run(window: Window, run: _Run, actor: User) -> list[str]:
    """Copy the run's values onto the stored window, auditing each one that differs."""
    wanted = {"start": run.start, "end": run.end, "last_end": run.end, "run_state": run.state}
    if run.name:
        wanted["name"] = run.name
    changed = []
    for name, value in wanted.items():
        old = getattr(window, name)
        if old == value:
            continue
        changed.append(name)
        setattr(window, name, value)
        if name != "last_end":  # derived from end
            audit.record(actor=actor, record_type=RECORD_TYPE, record_id=window.pk, record_label=window.audit_label,
                         action="imported", field=name, old=old, new=value)  # fmt: skip
    return changed


def _names_of(ci_ids: set[int]) -> str:
    return ", ".join(sorted(ConfigurationItem.objects.filter(pk__in=sorted(ci_ids)).values_list("name", flat=True)))
