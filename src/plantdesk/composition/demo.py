"""The demo plant: Berlin and Singapore, their groups and people, and a believable incident history."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from plantdesk.accounts.actions import do_create_group, do_create_site, do_create_user, get_system_user
from plantdesk.accounts.models import AssignmentGroup, Site, User
from plantdesk.changes.demo import load_demo_changes
from plantdesk.cmdb.demo import load_demo_cmdb
from plantdesk.events.models import AlertRule
from plantdesk.events.rule_actions import do_create_alert_rule
from plantdesk.incidents.actions import (
    do_add_comment,
    do_create_assignment_rule,
    do_create_incident,
    do_transition_incident,
    do_update_incident,
)
from plantdesk.incidents.models import AssignmentRule, Incident
from plantdesk.problems.demo import load_demo_problems
from plantdesk.problems.knowledge.demo import load_demo_articles
from plantdesk.requests.demo import CONSUMABLES, load_demo_catalog
from plantdesk.slas.demo import load_demo_slas
from plantdesk.slas.models import SLAClock

# Shown by `make run`; a demo database is not a place for real credentials.
DEMO_PASSWORD = "plantdesk-demo"  # noqa: S105

SITES = [("ber", "Berlin plant", "Europe/Berlin"), ("sin", "Singapore plant", "Asia/Singapore")]
GROUPS = [
    ("Service Desk", "First line for every plant user"),
    ("MES Support", "MES, batch recording, eBR and LIMS interfaces"),
    ("Network", "Plant and office networks, firewalls, OT DMZ"),
    ("OT Engineering", "PLCs, HMIs, SCADA, historians, OT gateways"),
    ("QA", "Quality assurance: GxP decisions and approvals"),
    ("Change Advisory Board", "Authorises normal and emergency changes"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first: str
    last: str
    sites: tuple[str, ...]
    groups: tuple[str, ...]
    note: str


DEMO_USERS = [
    DemoUser("admin", "admin", "Ada", "Admin", ("ber", "sin"), (), "administrator"),
    DemoUser("mmueller", "agent", "Martina", "Müller", ("ber",), ("Service Desk", "MES Support"),
             "agent, Berlin: Service Desk + MES Support"),
    DemoUser("okoch", "agent", "Oliver", "Koch", ("ber",), ("OT Engineering",), "agent, Berlin: OT Engineering"),
    DemoUser("tlim", "agent", "Wei", "Lim", ("sin",), ("Service Desk", "Network"),
             "agent, Singapore: Service Desk + Network"),
    DemoUser("kschmidt", "manager", "Katrin", "Schmidt", ("ber", "sin"),
             ("Service Desk", "MES Support", "Network", "OT Engineering", "Change Advisory Board"),
             "manager, both sites, CAB member"),
    DemoUser("jwagner", "change_manager", "Jonas", "Wagner", ("ber", "sin"), ("MES Support", "Change Advisory Board"),
             "change manager, chairs the CAB"),
    DemoUser("aweber", "qa", "Anna", "Weber", ("ber", "sin"), ("QA",), "QA"),
    DemoUser("jdoe", "requester", "John", "Doe", ("ber",), (), "requester: line 3 operator, Berlin"),
    DemoUser("slee", "requester", "Siew", "Lee", ("sin",), (), "requester: lab analyst, Singapore"),
]  # fmt: skip

# (short description, category, ci, group, impact, urgency, site)
SCENARIOS = [
    ("Line 3 MES batch screen frozen", "software", "BER-MES-APP01", "MES Support", 2, 1, "ber"),
    ("Filler PLC on line 3 not reachable from SCADA", "ot_equipment", "BER-L3-PLC01", "OT Engineering", 1, 1, "ber"),
    ("HMI touch panel on cell 2 unresponsive", "ot_equipment", "BER-L2-HMI01", "OT Engineering", 2, 2, "ber"),
    ("Cannot print batch labels on packaging line 1", "hardware", "BER-L1-PRN01", "Service Desk", 2, 2, "ber"),
    ("LIMS results not transferred to MES", "software", "BER-LIMS-APP01", "MES Support", 1, 2, "ber"),
    ("Historian gaps for line 2 temperatures", "software", "BER-HIST01", "OT Engineering", 2, 3, "ber"),
    ("Password reset for shared shop-floor terminal", "access", "BER-WS-L3-01", "Service Desk", 3, 2, "ber"),
    ("Wi-Fi drops in warehouse scanners", "network", "BER-WLC01", "Network", 2, 2, "ber"),
    ("ERP goods receipt posting slow", "software", "ERP-PRD", "Service Desk", 3, 3, "ber"),
    ("eBR signature dialog throws an error", "software", "BER-MES-APP01", "MES Support", 1, 2, "ber"),
    ("OT gateway lost MQTT connection to broker", "network", "BER-OTGW01", "OT Engineering", 2, 1, "ber"),
    ("Cleanroom particle counter values missing", "ot_equipment", "BER-CR-PC03", "OT Engineering", 2, 2, "ber"),
    ("Tablet press recipe download failed", "software", "SIN-L1-PLC01", "OT Engineering", 1, 1, "sin"),
    ("Chromatography data system login fails", "access", "SIN-CDS-APP01", "Service Desk", 2, 1, "sin"),
    ("Firewall blocks historian replication to site DMZ", "network", "SIN-FW-OT1", "Network", 2, 2, "sin"),
    ("Lab balance not sending weights to LIMS", "ot_equipment", "SIN-LAB-BAL07", "Service Desk", 2, 2, "sin"),
    ("Vision system on line 1 rejects good cartons", "ot_equipment", "SIN-L1-VIS01", "OT Engineering", 1, 2, "sin"),
    ("SCADA alarm list not refreshing", "software", "SIN-SCADA01", "OT Engineering", 2, 2, "sin"),
    ("New starter needs MES operator account", "access", "SIN-MES-APP01", "Service Desk", 3, 3, "sin"),
    ("Core switch port flapping in building B", "network", "SIN-SW-CORE1", "Network", 2, 1, "sin"),
    ("Mouse and keyboard missing at QC desk 4", "hardware", "SIN-WS-QC04", "Service Desk", 3, 3, "sin"),
    ("Environmental monitoring dashboard shows stale data", "software", "SIN-EMS01", "MES Support", 2, 3, "sin"),
    ("Backup of MES database failed last night", "database", "BER-MES-DB01", "MES Support", 2, 2, "ber"),
    ("Autoclave cycle report not generated", "software", "SIN-AUTOCLAVE01", "OT Engineering", 2, 2, "sin"),
    ("Question: how to export batch genealogy report", "inquiry", "BER-MES-APP01", "Service Desk", 3, 3, "ber"),
]  # fmt: skip

WORK_NOTES = [
    "Checked the application log: repeated timeouts towards the database.",
    "Remote session with the operator; screen reproduces after login.",
    "Vendor ticket opened, reference VND-{n}.",
    "Restarted the service in agreement with the shift lead.",
    "Network trace shows retransmissions on the uplink.",
]
COMMENTS = [
    "The line is running in manual mode for now.",
    "Issue still there after the shift change.",
    "Thanks, we can work again.",
    "Attached a photo of the error message to the shift log.",
]
RESOLUTIONS = [
    ("solved_fix", "Replaced the failed component and verified with the shift lead."),
    ("solved_workaround", "Cleared the stuck queue; problem record to follow for the root cause."),
    ("user_error", "Walked the operator through the correct sequence."),
    ("vendor_fix", "Vendor hotfix applied in the maintenance window."),
]

# (name, order, group, conditions): how the desk routes what arrives without a group.
ASSIGNMENT_RULES = [
    ("MES applications, Berlin", 10, "MES Support", {"ci_prefix": "BER-MES-"}),
    ("MES applications, Singapore", 11, "MES Support", {"ci_prefix": "SIN-MES-"}),
    ("OT equipment", 20, "OT Engineering", {"category": "ot_equipment"}),
    ("Network", 30, "Network", {"category": "network"}),
]

INCIDENT_COUNT = 50


def load_demo(seed: int = 42) -> int:
    """Create whatever of the demo plant is missing; returns the number of incidents created."""
    system = get_system_user()
    with transaction.atomic():
        for code, name, zone in SITES:
            if not Site.objects.filter(code=code).exists():
                do_create_site(code, name, zone, actor=system)
        for name, description in GROUPS:
            if not AssignmentGroup.objects.filter(name=name).exists():
                do_create_group(name, description=description, actor=system)
        for u in DEMO_USERS:
            if not User.objects.filter(username=u.username).exists():
                do_create_user(
                    u.username, role=u.role, actor=system, password=DEMO_PASSWORD,
                    first_name=u.first, last_name=u.last, email=f"{u.username}@plant.example",
                    sites=u.sites, groups=u.groups,
                )  # fmt: skip
        admin = User.objects.get(username="admin")
        for name, order, group, conditions in ASSIGNMENT_RULES:
            if not AssignmentRule.objects.filter(name=name).exists():
                do_create_assignment_rule(name, group=group, order=order, actor=admin, **conditions)
        load_demo_cmdb(admin)
        load_demo_slas(admin)
        created = 0 if Incident.objects.exists() else _load_incidents(random.Random(seed))
        load_demo_changes(admin)
        load_demo_problems(admin)  # after incidents and changes: its incidents come after the history
        load_demo_articles(admin)
        if load_demo_catalog(admin) and not AlertRule.objects.filter(action=AlertRule.OPEN_REQUEST).exists():
            # The printers' monitor reports toner low as a warning: consumables are ordered, not an incident.
            do_create_alert_rule(
                {"position": 10, "name": "Printer toner low orders consumables", "severities": ["warning"],
                 "sources": ["printer-mon"], "action": AlertRule.OPEN_REQUEST, "catalog_item": CONSUMABLES},
                actor=admin,
            )  # fmt: skip
        return created


def _load_incidents(rng: random.Random) -> int:
    users = {u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_USERS])}
    agents: dict[tuple[str, str], list[User]] = {}  # (group, site) -> people who can work it
    for d in DEMO_USERS:
        for g in d.groups:
            for site_code in d.sites:
                if d.role in ("agent", "manager"):
                    agents.setdefault((g, site_code), []).append(users[d.username])
    callers = {"ber": users["jdoe"], "sin": users["slee"]}
    now = timezone.now()
    created: list[Incident] = []
    for n in range(INCIDENT_COUNT):
        short, category, ci, group, impact, urgency, site = SCENARIOS[n % len(SCENARIOS)]
        caller = callers[site]
        opened_at = now - timedelta(hours=rng.randint(1, 24 * 20), minutes=rng.randint(0, 59))
        agent = rng.choice(agents.get((group, site), [users["kschmidt"]]))
        data = {
            "short_description": short if n < len(SCENARIOS) else f"{short} (again)",
            "description": f"Reported by {caller.get_full_name()} from {ci}.",
            "category": category, "ci": ci, "assignment_group": group, "impact": impact, "urgency": urgency,
            "caller": caller.username, "source": rng.choice(["phone", "portal", "email", "walk_in"]),
            "site": site,
        }  # fmt: skip
        if n % 4 != 0:
            data["assignee"] = agent.username
        if n % 3 == 0:
            # Raised on the portal by the caller; the desk routes it afterwards.
            portal = {k: data[k] for k in ("short_description", "description", "category", "ci", "impact", "urgency")}
            incident = do_create_incident(portal, actor=caller, opened_at=opened_at)
            routing = {
                "assignment_group": group,
                **({"assignee": data["assignee"]} if "assignee" in data else {}),
            }
            incident = do_update_incident(incident, routing, actor=users["kschmidt"])
        else:
            incident = do_create_incident(data, actor=agent, opened_at=opened_at)
        created.append(incident)
        _play_history(rng, incident, agent=agent, caller=caller, step=n)
    # Two children under the first critical incident: one outage, many callers.
    parent = created[1]
    for child in created[26:28]:
        if child.is_open:
            do_update_incident(child, {"parent": parent.number}, actor=users["kschmidt"])
    _spread_clock_outcomes(rng, created)
    return len(created)


def _spread_clock_outcomes(rng: random.Random, incidents: list[Incident]) -> None:
    """The history above is played in seconds, so every clock of an incident opened days ago would end
    breached. Give the ended clocks of the demo the outcomes a desk has: about 85 % met, stopped within
    (or, when breached, somewhat after) their target, so that the attainment report reads like a plant's."""
    ended = SLAClock.objects.filter(
        record_type="incident", record_id__in=[i.pk for i in incidents], stage="stopped"
    ).select_related("definition")
    for clock in ended:
        met = rng.random() < 0.85
        share = rng.uniform(0.2, 0.95) if met else rng.uniform(1.05, 1.6)
        clock.elapsed_us = int(clock.duration_us * share)
        clock.stopped_at = clock.started_at + timedelta(microseconds=clock.elapsed_us)
        clock.breached_at = None if met else clock.started_at + timedelta(microseconds=clock.duration_us)
        clock.warnings_fired = sum(1 for w in clock.definition.warnings if share * 100 >= w) + (0 if met else 1)
        clock.save(update_fields=["elapsed_us", "stopped_at", "breached_at", "warnings_fired"])


def _play_history(rng: random.Random, incident: Incident, *, agent: User, caller: User, step: int) -> None:
    """Walk the incident through a state typical of its place in the list, with journal entries."""
    target = ["new", "in_progress", "on_hold", "resolved", "closed", "in_progress", "resolved", "canceled"][step % 8]
    if target == "new":
        return
    if incident.assignee is None and target != "canceled":
        do_update_incident(incident, {"assignee": agent.username}, actor=agent)
    do_add_comment(incident, rng.choice(WORK_NOTES).format(n=1000 + step), "internal", actor=agent)
    if target == "canceled":
        do_transition_incident(incident, "canceled", actor=agent, reason="Duplicate of an earlier report.")
        return
    do_transition_incident(incident, "in_progress", actor=agent)
    do_add_comment(incident, rng.choice(COMMENTS), "public", actor=caller)
    if target == "in_progress":
        return
    if target == "on_hold":
        reason = rng.choice(["awaiting_caller", "awaiting_vendor"])
        do_transition_incident(incident, "on_hold", actor=agent, hold_reason=reason)
        return
    code, notes = rng.choice(RESOLUTIONS)
    do_transition_incident(incident, "resolved", actor=agent, resolution_code=code, resolution_notes=notes)
    if target == "closed":
        do_transition_incident(incident, "closed", actor=caller)
