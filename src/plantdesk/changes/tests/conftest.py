"""A plant ready for change enablement: a CAB, approval policies, GxP and OT CIs, a template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from plantdesk.accounts.actions import do_create_group, do_create_user
from plantdesk.accounts.models import User
from plantdesk.changes.config_actions import LevelSpec, do_create_approval_policy, do_create_template
from plantdesk.changes.models import Window, WindowCI
from plantdesk.cmdb.actions import do_create_ci
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.testing.fixtures import PASSWORD, ApiClient, Plant


@dataclass
class ChangePlant:
    plant: Plant
    carl: User  # change manager, CAB member
    cora: User  # CAB member (agent)
    cis: dict[str, ConfigurationItem]

    def api(self, user: User) -> ApiClient:
        return ApiClient(user)


@pytest.fixture
def cp(plant: Plant) -> ChangePlant:
    system = plant.system
    do_create_group("Change Advisory Board", actor=system)
    carl = do_create_user(
        "carl", role="change_manager", actor=system, password=PASSWORD, sites=["ber", "sin"],
        groups=["Change Advisory Board"], first_name="Carl", last_name="Manager",
    )  # fmt: skip
    cora = do_create_user(
        "cora", role="agent", actor=system, password=PASSWORD, sites=["ber"], groups=["Change Advisory Board"],
        first_name="Cora", last_name="Board",
    )  # fmt: skip
    cis = {
        "BER-MES-APP01": do_create_ci(
            {
                "name": "BER-MES-APP01",
                "ci_class": "application",
                "site": "ber",
                "gxp_relevant": True,
                "criticality": "high",
            },
            actor=plant.admin,
        ),
        "BER-FILE01": do_create_ci({"name": "BER-FILE01", "ci_class": "server", "site": "ber"}, actor=plant.admin),
        "BER-L3-PLC01": do_create_ci({"name": "BER-L3-PLC01", "ci_class": "plc", "site": "ber"}, actor=plant.admin),
        "SIN-FILE01": do_create_ci({"name": "SIN-FILE01", "ci_class": "server", "site": "sin"}, actor=plant.admin),
    }
    do_create_approval_policy(
        "GxP changes", [LevelSpec("Change Advisory Board"), LevelSpec("QA", rule="all")], actor=carl, order=10,
        gxp_only=True,
    )  # fmt: skip
    do_create_approval_policy("Emergency changes", [LevelSpec("Change Advisory Board")], actor=carl, order=20,
                              change_type="emergency")  # fmt: skip
    do_create_approval_policy("Normal changes", [LevelSpec("Change Advisory Board")], actor=carl, order=30)
    do_create_template(
        "Restart MES app pool", actor=carl, short_description="Restart the MES application pool",
        implementation_plan="Recycle the pool.", backout_plan="Start the old pool.", test_plan="Open a batch screen.",
    )  # fmt: skip
    return ChangePlant(plant=plant, carl=carl, cora=cora, cis=cis)


def later(days: float, hours: float = 0) -> datetime:
    """A time in the future, on the full hour (plans are made in hours)."""
    base = timezone.now().replace(minute=0, second=0, microsecond=0)
    return base + timedelta(days=days, hours=hours)


def change_body(**fields: Any) -> dict[str, Any]:
    """A complete normal change on the GxP MES server, five days out, two hours long."""
    body: dict[str, Any] = {
        "type": "normal",
        "short_description": "Patch MES app server",
        "justification": "Vendor security fix CVE-2026-1234.",
        "implementation_plan": "Install the patch, restart the service.",
        "backout_plan": "Uninstall the patch.",
        "test_plan": "Open a batch record; print a label.",
        "cis": ["BER-MES-APP01"],
        "planned_start": later(5).isoformat(),
        "planned_end": later(5, 2).isoformat(),
        "assignment_group": "MES Support",
        "assignee": "alice",
        "risk_answers": {"production_stop": False, "no_backout": False},
        "validation_impact": "minor",
        "qms_change_control_ref": "CC-2026-0042",
    }
    body.update(fields)
    return body


def make_window(kind: str, name: str, start: datetime, end: datetime, cis: list[ConfigurationItem], actor: User,
                **fields: Any) -> Window:  # fmt: skip
    """A window straight into the tables (the window actions have their own tests)."""
    now = timezone.now()
    window = Window.objects.create(
        kind=kind, name=name, start=start, end=end, last_end=end if not fields.get("rrule") else None,
        created_by=actor, created_at=now, updated_at=now, **fields,
    )  # fmt: skip
    WindowCI.objects.bulk_create(WindowCI(window=window, ci=ci) for ci in cis)
    return window
