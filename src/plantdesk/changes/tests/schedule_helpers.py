"""Test data of the window and schedule tests: a change manager, an integration account, a Berlin line from
site to PLC, and changes stored as the change actions store them (their ChangeCI copies included)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plantdesk.accounts.actions import do_create_user
from plantdesk.accounts.models import Site, User
from plantdesk.changes.models import ChangeCI, ChangeRequest, Window
from plantdesk.changes.window_actions import do_create_window
from plantdesk.cmdb.actions import do_create_ci, do_create_relationship
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core import audit
from plantdesk.core.numbering import next_number
from plantdesk.testing.fixtures import Plant


def change_manager(plant: Plant) -> User:
    return do_create_user("carl", role="change_manager", actor=plant.admin, sites=["ber", "sin"],
                          groups=["MES Support"], first_name="Carl", last_name="Change")  # fmt: skip


def mes_account(plant: Plant) -> User:
    return do_create_user("mes-ber", role="requester", actor=plant.admin, sites=["ber"], is_integration=True)


# name, class, parent (contains) -- Berlin: site > area > lines 3 and 4 > cells > PLCs.
LINE_CIS = [
    ("BER-SITE", "site", None),
    ("BER-AREA-PROD", "area", "BER-SITE"),
    ("BER-L3", "line", "BER-AREA-PROD"),
    ("BER-L3-C1", "cell", "BER-L3"),
    ("BER-L3-PLC01", "plc", "BER-L3-C1"),
    ("BER-L4", "line", "BER-AREA-PROD"),
    ("BER-L4-C1", "cell", "BER-L4"),
    ("BER-L4-PLC01", "plc", "BER-L4-C1"),
]


def berlin_lines(plant: Plant, existing: dict[str, ConfigurationItem]) -> dict[str, ConfigurationItem]:
    """The Berlin plant tree on top of `plant_cis` (which holds BER-L3-PLC01), plus a workstation located in
    line 3; returns every CI by name."""
    cis = dict(existing)
    for name, ci_class, parent in LINE_CIS:
        if name not in cis:
            cis[name] = do_create_ci({"name": name, "ci_class": ci_class, "site": "ber"}, actor=plant.admin)
        if parent:
            do_create_relationship(parent, "contains", name, actor=plant.admin)
    cis["BER-WS-L3-01"] = do_create_ci({"name": "BER-WS-L3-01", "ci_class": "workstation", "site": "ber"},
                                       actor=plant.admin)  # fmt: skip
    do_create_relationship("BER-WS-L3-01", "located_in", "BER-L3", actor=plant.admin)
    return cis


def make_change(
    requester: User,
    cis: list[ConfigurationItem],
    start: datetime | None,
    end: datetime | None,
    *,
    state: str = "scheduled",
    type: str = "normal",
    assignee: User | None = None,
    short_description: str = "Patch the line",
    site: Site | None = None,
) -> ChangeRequest:
    """A change as the change actions leave it: numbered, its CIs linked with copies of the window."""
    with audit.action_transaction():
        now = datetime.now().astimezone()
        site = site or next((ci.site for ci in cis if ci.site is not None), None)
        change = ChangeRequest.objects.create(
            number=next_number("CHG"), type=type, state=state, short_description=short_description,
            requested_by=requester, assignee=assignee, planned_start=start, planned_end=end, site=site,
            opened_at=now, updated_at=now,
        )  # fmt: skip
        active = state in ("new", "assess", "authorize", "scheduled", "implement")
        ChangeCI.objects.bulk_create(
            ChangeCI(change=change, ci=ci, planned_start=start, planned_end=end, active=active) for ci in cis
        )
        audit.record(actor=requester, record_type="change", record_id=change.pk, record_label=change.number,
                     action="created")  # fmt: skip
    return change


def window(actor: User, **data: Any) -> Window:
    return do_create_window(data, actor=actor)
