"""The demo plant's change enablement: a CAB and QA approval policies, a standard-change catalog, a
production-run calendar for the Berlin lines, a Saturday-night maintenance window on line 3, a year-end
blackout, and changes in every state (created through the real actions, approvals signed)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.changes import actions, signing
from plantdesk.changes.choices import ApprovalState
from plantdesk.changes.config_actions import LevelSpec, do_create_approval_policy, do_create_template
from plantdesk.changes.models import ApprovalPolicy, ChangeRequest
from plantdesk.changes.window_actions import do_create_window, do_import_production_runs

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PASSWORD = "plantdesk-demo"  # noqa: S105 - the demo users' password (composition.demo.DEMO_PASSWORD)
LINES = ["BER-L1", "BER-L2", "BER-L3", "BER-L4"]
RUN_DAYS = 14


def load_demo_changes(admin: User) -> None:
    if ApprovalPolicy.objects.exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["jwagner", "kschmidt", "aweber", "mmueller"])}
    chair, agent = users["jwagner"], users["mmueller"]
    _policies(chair)
    _templates(chair)
    _windows(chair)
    today = timezone.localdate(timezone=BERLIN)
    _changes(today, agent=agent, manager=users["kschmidt"], qa=users["aweber"])


def _policies(chair: User) -> None:
    do_create_approval_policy(
        "GxP changes: CAB, then QA", [LevelSpec("Change Advisory Board"), LevelSpec("QA", rule="all")], actor=chair,
        order=10, gxp_only=True,
    )  # fmt: skip
    do_create_approval_policy("Emergency changes: ECAB", [LevelSpec("Change Advisory Board")], actor=chair, order=20,
                              change_type="emergency")  # fmt: skip
    do_create_approval_policy(
        "High-risk changes: whole CAB", [LevelSpec("Change Advisory Board", rule="all")], actor=chair, order=30,
        min_risk="high",
    )  # fmt: skip
    do_create_approval_policy("Normal changes: CAB", [LevelSpec("Change Advisory Board")], actor=chair, order=40)


def _templates(chair: User) -> None:
    do_create_template(
        "Restart MES application pool", actor=chair, short_description="Restart the MES application pool",
        implementation_plan="Drain the node from the load balancer, recycle the pool, add it back.",
        backout_plan="Start the previous pool.", test_plan="Open a batch record; print a label.",
    )  # fmt: skip
    do_create_template(
        "Replace HMI touch panel (like for like)", actor=chair, ot_tasks=True,
        short_description="Replace an HMI touch panel with an identical spare",
        implementation_plan="Swap the panel, load the project backup, check the screens.",
        backout_plan="Refit the old panel.", test_plan="Operator walks through every screen.",
    )  # fmt: skip


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def _windows(chair: User) -> None:
    today = timezone.localdate(timezone=BERLIN)
    year_end = date(today.year if today.month < 12 or today.day < 27 else today.year + 1, 12, 20)
    do_create_window(
        {"kind": "blackout", "name": f"Year-end closing {year_end.year}", "start": _local(year_end, 0).isoformat(),
         "end": _local(year_end + timedelta(days=14), 0).isoformat(), "sites": ["ber", "sin"],
         "time_zone": "Europe/Berlin", "description": "Inventory, financial closing and the annual audit."},
        actor=chair,
    )  # fmt: skip
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    do_create_window(
        {"kind": "maintenance", "name": "Line 3 Saturday night", "start": _local(saturday, 22).isoformat(),
         "end": _local(saturday + timedelta(days=1), 6).isoformat(), "rrule": "FREQ=WEEKLY;BYDAY=SA",
         "time_zone": "Europe/Berlin", "cis": ["BER-L3"]},
        actor=chair,
    )  # fmt: skip
    runs: list[dict[str, Any]] = []
    for offset in range(RUN_DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for n, line in enumerate(LINES):
            state = "running" if offset == 0 else "planned"
            order = 4711 + 10 * offset + n
            runs.append({
                "equipment": line, "external_id": f"MES-BER:{day:%Y%m%d}-{line}", "name": f"Order {order}",
                "start": _local(day, 6).isoformat(), "end": _local(day, 22).isoformat(), "state": state,
            })  # fmt: skip
    do_import_production_runs(runs, actor=chair)


def _next_saturday(after: date) -> date:
    return after + timedelta(days=(5 - after.weekday()) % 7 or 7)


def _changes(today: date, *, agent: User, manager: User, qa: User) -> None:
    """`agent` works in Berlin; the manager, at both sites, raises the Singapore changes."""

    def create(actor: User = agent, **fields: Any) -> ChangeRequest:
        base = {"type": "normal", "assignment_group": "MES Support", "justification": "See the vendor notice.",
                "implementation_plan": "Follow the vendor runbook.", "backout_plan": "Restore the snapshot.",
                "test_plan": "Smoke test with the shift lead.", "risk_answers": {"production_stop": False}}  # fmt: skip
        return actions.do_create_change({**base, **fields}, actor=actor)

    def move(change: ChangeRequest, *states: str, **kwargs: Any) -> ChangeRequest:
        for state in states:
            change = actions.do_transition_change(change, state, actor=manager, **kwargs)
            if state == "authorize":
                _approve(change)
        return change

    create(short_description="Upgrade the historian to 2026 R2", cis=["BER-HIST01"],
           planned_start=_local(today + timedelta(days=10), 20).isoformat(),
           planned_end=_local(today + timedelta(days=10), 23).isoformat())  # fmt: skip
    create(short_description="Migrate the MES database before year end", cis=["BER-MES-DB01"],
           planned_start=_local(date(today.year, 12, 28), 9).isoformat() if today.month < 12 else None,
           planned_end=_local(date(today.year, 12, 28), 12).isoformat() if today.month < 12 else None,
           validation_impact="major", qms_change_control_ref="CC-2026-0188")  # fmt: skip
    move(create(manager, short_description="Replace the core switch line cards", cis=["SIN-SW-CORE1"], site="sin",
                planned_start=_local(today + timedelta(days=12), 2).isoformat(),
                planned_end=_local(today + timedelta(days=12), 5).isoformat()), "assess")  # fmt: skip
    awaiting = create(short_description="Patch the MES application server", cis=["BER-MES-APP01"],
                      planned_start=_local(today + timedelta(days=5), 23).isoformat(),
                      planned_end=_local(today + timedelta(days=6), 1).isoformat(),
                      validation_impact="minor", qms_change_control_ref="CC-2026-0175")  # fmt: skip
    actions.do_transition_change(awaiting, "assess", actor=manager)
    actions.do_transition_change(awaiting, "authorize", actor=manager)  # left for the CAB agenda
    saturday = _next_saturday(today + timedelta(days=3))
    plc = create(short_description="Firmware update of the line 3 filler PLC", cis=["BER-L3-PLC01"],
                 assignment_group="OT Engineering", planned_start=_local(saturday, 23).isoformat(),
                 planned_end=_local(saturday + timedelta(days=1), 2).isoformat())  # fmt: skip
    move(plc, "assess", "authorize", "scheduled")
    now = timezone.now().astimezone(BERLIN).replace(minute=0, second=0, microsecond=0)

    def standard(start: datetime, hours: int) -> ChangeRequest:
        return actions.do_create_change(
            {"type": "standard", "template": "Restart MES application pool", "assignment_group": "MES Support",
             "cis": ["SIN-MES-APP01"], "site": "sin", "planned_start": start.isoformat(),
             "planned_end": (start + timedelta(hours=hours)).isoformat(), "validation_impact": "none"},
            actor=manager,
        )  # fmt: skip

    def qa_sign(change: ChangeRequest, purpose: str) -> None:
        signing.do_sign_change(change, purpose, actor=qa, password=PASSWORD, comment="Demo plant QA.")

    running = standard(now, 2)
    qa_sign(running, "qa_pre_implement")
    move(running, "scheduled", "implement")
    done = standard(now - timedelta(days=3), 1)
    qa_sign(done, "qa_pre_implement")
    move(done, "scheduled", "implement", "review")
    evidence = {"review_outcome": "successful", "verification_evidence": "Batch screens and label print checked."}
    actions.do_update_change(done, evidence, actor=manager)
    qa_sign(done, "qa_close")
    move(done, "closed")
    hmi = actions.do_create_change(
        {"type": "emergency", "short_description": "Replace the failed HMI power supply on line 2",
         "cis": ["BER-L2-HMI01"], "assignment_group": "OT Engineering", "justification": "Line 2 stopped.",
         "implementation_plan": "Swap the power supply.", "backout_plan": "None needed: the old one is dead.",
         "test_plan": "HMI boots, operator logs in.", "planned_start": (now - timedelta(hours=4)).isoformat(),
         "planned_end": (now - timedelta(hours=3)).isoformat()}, actor=agent,
    )  # fmt: skip
    move(hmi, "authorize", "scheduled", "implement")
    for task in hmi.tasks.all():
        actions.do_update_task(task, "done", actor=manager)
    move(hmi, "review")
    canceled = create(short_description="Move the label printers to the new VLAN", cis=["BER-L1-PRN01"],
                      planned_start=_local(today + timedelta(days=8), 20).isoformat(),
                      planned_end=_local(today + timedelta(days=8), 21).isoformat())  # fmt: skip
    move(canceled, "canceled", reason="Superseded by the network refresh project.")


def _approve(change: ChangeRequest) -> None:
    """Every requested approval, level by level, decided (and signed where needed) by its approver."""
    for _ in range(5):
        change.refresh_from_db()
        if change.approval != ApprovalState.REQUESTED:
            return
        approval = change.approvals.filter(state=ApprovalState.REQUESTED).select_related("approver", "change").first()
        if approval is None:
            return
        signing.do_decide_approval(approval, "approve", actor=approval.approver, password=PASSWORD,
                                   comment="Agreed at the CAB.")  # fmt: skip
