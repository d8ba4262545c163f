"""Small builders for the conflict tests: CIs and relationships through the CMDB actions, changes and windows
through the ORM with the same derived columns the change and window actions keep (ChangeCI's copies of the
change's interval and state, a window's `last_end`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import timezone

from plantdesk.accounts.models import Site, User
from plantdesk.changes.choices import ACTIVE_STATES, ChangeType, WindowKind
from plantdesk.changes.models import ChangeCI, ChangeRequest, Window, WindowCI
from plantdesk.changes.windows import last_end
from plantdesk.cmdb.actions import do_create_ci, do_create_relationship
from plantdesk.cmdb.models import CIClass, ConfigurationItem


def at(text: str) -> datetime:
    """'2026-04-04 20:15' read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_ci(actor: User, name: str, ci_class: str, site: str | None = "ber") -> ConfigurationItem:
    fields: dict[str, object] = {"name": name, "ci_class": ci_class}
    if site:
        fields["site"] = site
    return do_create_ci(fields, actor=actor)


def relate(actor: User, source: ConfigurationItem, type_name: str, target: ConfigurationItem) -> None:
    do_create_relationship(source.name, type_name, target.name, actor=actor)


def make_change(
    actor: User,
    cis: Iterable[ConfigurationItem],
    start: datetime,
    end: datetime,
    *,
    state: str = "scheduled",
    assignee: User | None = None,
) -> ChangeRequest:
    now = timezone.now()
    number = f"CHG{ChangeRequest.objects.count() + 1:07d}"
    change = ChangeRequest.objects.create(
        number=number,
        type=ChangeType.NORMAL,
        state=state,
        short_description=f"Test change {number}",
        requested_by=actor,
        assignee=assignee,
        planned_start=start,
        planned_end=end,
        opened_at=now,
        updated_at=now,
    )
    ChangeCI.objects.bulk_create(
        ChangeCI(change=change, ci=ci, planned_start=start, planned_end=end, active=state in ACTIVE_STATES)
        for ci in cis
    )
    return change


def make_window(
    actor: User,
    kind: WindowKind,
    start: datetime,
    end: datetime,
    *,
    cis: Iterable[ConfigurationItem] = (),
    classes: Iterable[str] = (),
    sites: Iterable[str] = (),
    rrule: str = "",
    time_zone: str = "UTC",
    run_state: str = "",
    active: bool = True,
    name: str = "",
) -> Window:
    now = timezone.now()
    window = Window.objects.create(
        kind=kind,
        name=name or f"{kind} {start:%Y-%m-%d %H:%M}",
        start=start,
        end=end,
        rrule=rrule,
        time_zone=time_zone,
        last_end=last_end(start, end, rrule, time_zone),
        run_state=run_state,
        created_by=actor,
        created_at=now,
        updated_at=now,
        active=active,
    )
    WindowCI.objects.bulk_create(WindowCI(window=window, ci=ci) for ci in cis)
    window.ci_classes.set(CIClass.objects.filter(name__in=list(classes)))
    window.sites.set(Site.objects.filter(code__in=list(sites)))
    return window
