"""The demo plant's problem management: line 3's label printer that drops offline every few days, worked
as a problem with a published known error (its workaround posted on the open incidents), and recurring
Wi-Fi drops in the warehouse that nobody has made a problem of yet (a problem candidate).

Everything goes through the real actions; loading again adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.cmdb.actions import do_create_ci, do_create_relationship
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.incidents.actions import do_create_incident, do_transition_incident
from plantdesk.incidents.models import Incident
from plantdesk.problems.actions import do_create_problem, do_transition_problem
from plantdesk.problems.known_errors import do_set_known_error
from plantdesk.problems.models import Problem

PRINTER = "BER-L3-PRN01"
PROBLEM_TEXT = "BER-L3 label printer offline"
WORKAROUND = "Power-cycle the printer, then re-send the open labels from the MES label queue."
# (days ago, short description, where it stands now)
PRINTER_INCIDENTS = [
    (26, "Label printer on line 3 offline, no batch labels", "resolved"),
    (19, "Line 3 labels not printing, printer shows offline", "awaiting_problem"),
    (12, "BER-L3 label printer unreachable again", "awaiting_problem"),
    (5, "Packaging line 3 stopped: label printer offline", "in_progress"),
    (1, "Label printer line 3 offline after shift change", "new"),
]
CANDIDATE_CI = "BER-WLC01"
CANDIDATE_TEXT = "Handheld scanners lose Wi-Fi in the warehouse"
CANDIDATE_DAYS = (13, 7, 2)


def load_demo_problems(admin: User) -> int:
    """Create the demo problems if they are missing; returns the number of problems created."""
    users = {u.username: u for u in User.objects.filter(username__in=["mmueller", "okoch", "jdoe"])}
    if len(users) < 3 or not ConfigurationItem.objects.filter(name="BER-L3").exists():
        return 0  # not the demo plant
    agent, caller = users["mmueller"], users["jdoe"]
    _printer_ci(admin)
    if not Incident.objects.filter(short_description=CANDIDATE_TEXT).exists():
        for days in CANDIDATE_DAYS:
            _incident(CANDIDATE_TEXT, CANDIDATE_CI, "network", days, caller=caller, agent=agent, group="Network")
    if Problem.objects.filter(short_description=PROBLEM_TEXT).exists():
        return 0
    incidents = []
    for days, text, stands in PRINTER_INCIDENTS:
        incident = _incident(text, PRINTER, "hardware", days, caller=caller, agent=agent, group="Service Desk")
        if stands != "new":
            do_transition_incident(incident, "in_progress", actor=agent)
        if stands == "awaiting_problem":
            do_transition_incident(incident, "on_hold", actor=agent, hold_reason="awaiting_problem")
        if stands == "resolved":
            do_transition_incident(incident, "resolved", actor=agent, resolution_code="solved_workaround",
                                   resolution_notes="Power-cycled the printer; labels re-sent.")  # fmt: skip
        incidents.append(incident.number)
    problem = do_create_problem(
        {"short_description": PROBLEM_TEXT, "ci": PRINTER, "category": "hardware", "impact": 2, "urgency": 2,
         "description": "The line 3 label printer drops off the network every few days and stops packaging "
                        "until someone power-cycles it.",
         "assignment_group": "Service Desk", "assignee": agent.username, "incidents": incidents},
        actor=agent,
    )  # fmt: skip
    for state in ("assess", "root_cause_analysis"):
        problem = do_transition_problem(problem, state, actor=agent)
    do_set_known_error(
        problem,
        {
            "symptom": "The line 3 label printer shows offline; batch labels stay in the MES label queue.",
            "root_cause": "The printer's network card firmware drops its DHCP lease after the switch port "
            "renegotiates; it does not ask for a new one.",
            "workaround": WORKAROUND,
            "vendor": "Zebra",
            "product_model": "ZT610",
            "cis": [PRINTER],
            "publish": True,
        },
        actor=agent,
    )
    return 1


def _printer_ci(admin: User) -> None:
    if not ConfigurationItem.objects.filter(name=PRINTER).exists():
        do_create_ci({"name": PRINTER, "ci_class": "instrument", "site": "ber", "support_group": "Service Desk",
                      "description": "Batch label printer, packaging line 3",
                      "attributes": {"vendor": "Zebra", "model": "ZT610"}}, actor=admin)  # fmt: skip
    related = set(Relationship.objects.filter(source__name__in=[PRINTER, "BER-L3"]).values_list(
        "source__name", "type__name", "target__name"))  # fmt: skip
    for rel in ((PRINTER, "located_in", "BER-L3"), ("BER-L3", "depends_on", PRINTER)):
        if rel not in related:
            do_create_relationship(*rel, actor=admin)


def _incident(text: str, ci: str, category: str, days: int, *, caller: User, agent: User, group: str) -> Incident:
    opened_at = timezone.now() - timedelta(days=days, hours=3)
    data = {"short_description": text, "description": f"Reported by {caller.get_full_name()} from {ci}.",
            "category": category, "ci": ci, "impact": 2, "urgency": 2, "caller": caller.username,
            "assignment_group": group, "assignee": agent.username if group == "Service Desk" else None,
            "source": "phone", "site": "ber"}  # fmt: skip
    return do_create_incident({k: v for k, v in data.items() if v is not None}, actor=agent, opened_at=opened_at)
