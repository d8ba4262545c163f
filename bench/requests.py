"""Service-request benchmark on PostgreSQL (issue 15): order submission with concurrent clients, the agent work
list (incidents and fulfilment tasks) and expiring 10,000 access grants at once (docs/performance.md has the
method and figures).

Creates its own database on 127.0.0.1 (default plantdesk_bench_requests), migrates it, creates people and
1,000,000 incidents with bench/incidents.py (its functions, same shape and seed; two work-list agents with a
password take the place of the first agent of Service Desk, MES Support and OT Engineering), managers, QA
people and the demo catalog through the real actions, plus one demo-like item (`shop-floor-tablet`: a few
questions, one shown only if another is answered yes, a manager approval, two fulfilment stages). Then it
generates in bulk (COPY into staging tables, then INSERT ... SELECT; fixed seed):

- 100,000 requests `REQ0001001` ... with their request items (carts of one to a few catalog items, answers
  drawn from each version's questions, `show_if` respected) and, drawn so the total comes to 500,000,
  fulfilment tasks stage by stage as the app makes them: closed for fulfilled items, the current stage active
  (open or in progress) for items in fulfilment, later stages not yet active; approvals on the shared table for
  the items' approval steps; access grants of fulfilled access items (expired ones with a closed revoke task,
  active ones expiring more than 90 days after the generated history ends);
- the REQ, RITM and TASK counters are moved past the highest generated number. Generated rows have no audit
  entries (as in bench/incidents.py).

Measured against a real `plantdesk serve` on 127.0.0.1:8660 (8661 and 8662 for the cold rounds), bearer tokens
or a session:

- work list: `GET /api/v1/work` and the page `GET /work/` (agent session) where the code has them, and always
  `GET /api/v1/tasks?mine=true` and `GET /api/v1/incidents?assignee=<me>&state=new,in_progress,on_hold`
  (an agent's my-work view); warm (n=100 after a warm-up) and cold (a new server per round, the first request
  of each, 5 rounds);
- queue: the agent's incident queue `GET /incidents/?view=my_work` (the HTML page: their open incidents and,
  in a panel, the open fulfilment tasks assigned to them or unassigned in their groups), signed in through the
  login form (session cookie); warm and cold as the work list, every page checked for the tasks panel;
- orders: `POST /api/v1/requests` of `shop-floor-tablet` from 8 client processes (8 requesters, each for
  themselves) for a fixed time; every 201 checked, and afterwards every accepted order counted in the database
  with its item and its requested manager approval;
- access expiry: 10,000 active grants with `expires_at` in the past inserted at once, then a real
  `plantdesk worker` started; the time until all 10,000 are expired and each has its revoke task (polled in
  the database), target 30 s.

    .venv/bin/python bench/requests.py --keep --json    # generate, measure, keep the database
    .venv/bin/python bench/requests.py --reuse --keep   # measure again on the kept database
    .venv/bin/python bench/requests.py --incidents 100000 --tasks 50000 --requests 10000   # quick run
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import multiprocessing
import os
import random
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

import incidents as inc
from changes import insert_select
from common import (
    BIN,
    PG_SERVER,
    RESULTS_DIR,
    admin_execute,
    code_state,
    migrate,
    percentile,
    plantdesk_env,
    report_footer,
    run_in_scratch,
    setup_django,
    standard_arguments,
    timed,
)
from knowledge import Result, _copy, _meta, _rebuilt, _weighted, print_table

TARGETS = {"orders_per_s": 100.0, "work_ms_p95": 100.0, "expiry_s": 30.0}
PORT = 8660  # this benchmark's ports are 8660-8669
T_END = datetime(2026, 11, 30, tzinfo=UTC)  # generated history ends here, so every run writes the same rows
OPEN_INCIDENTS = "new,in_progress,on_hold"
UI_PASSWORD = inc.UI_PASSWORD
# Work-list agents (username, groups, sites, the incident groups whose first agent they replace).
WORK_USERS = [("w_sd_ber", ["Service Desk"], ["ber"], ["Service Desk"]),
              ("w_mes_ot", ["MES Support", "OT Engineering"], ["ber", "sin", "chi"],
               ["MES Support", "OT Engineering"])]  # fmt: skip
ORDER_CLIENTS = [f"rq{n:04d}" for n in range(8)]  # each client orders as its own requester
ORDERED = "shop-floor-tablet"
ORDERED_ITEM: dict[str, Any] = {
    "name": ORDERED, "category": "hardware", "title": "Shop-floor tablet", "order": 20,
    "description": "A rugged tablet for a line, with the MES client; a barcode scanner sleeve if asked for.",
    "approval": ["manager"],
    "questions": [
        {"name": "model", "label": "Model", "type": "choice", "required": True,
         "choices": ["Rugged 10 inch", "Rugged 8 inch", "ATEX zone 2"]},
        {"name": "line", "label": "Line panel it replaces or joins", "type": "ci", "required": True},
        {"name": "scanner", "label": "With a barcode scanner sleeve?", "type": "boolean"},
        {"name": "symbology", "label": "Barcodes to read", "type": "choice", "required": True,
         "choices": ["GS1 DataMatrix", "Code 128", "QR"], "show_if": {"question": "scanner", "equals": True}},
        {"name": "justification", "label": "Why is it needed?", "type": "textarea", "required": True},
    ],
    "tasks": [
        {"stage": 1, "short_description": "Prepare and enrol the tablet", "assignment_group": "Service Desk"},
        {"stage": 2, "short_description": "Pair the tablet with the line's HMI", "assignment_group": "OT Engineering"},
    ],
}  # fmt: skip
# Generated carts: which catalog items people order (the demo catalog and the item above).
ITEM_SHARES = [("laptop", 0.16), ("hmi-account", 0.14), ("mes-role-access", 0.20), ("lims-account", 0.10),
               ("new-report", 0.08), ("label-printer-consumables", 0.18), ("vendor-remote-access", 0.04),
               (ORDERED, 0.10)]  # fmt: skip
CI_ANSWERS = ["BER-L2-HMI01", "BER-L3-PLC01", "BER-L1-PRN01", "BER-WS-L3-01"]
TEXT_ANSWERS = ["Needed for the new shift pattern on line 3.", "Replacement for a broken device.",
                "New colleague in packaging from Monday.", "Audit finding: personal accounts on the HMIs.",
                "Batch review backlog; a second reviewer is needed."]  # fmt: skip
GRANT_SYSTEM = "BER-MES-APP01"  # the due grants' system, supported by MES Support (their revoke tasks go there)


@dataclass
class Options:
    db: str
    incidents: int
    requests: int
    tasks: int
    due_grants: int
    seed: int
    keep: bool
    reuse: bool
    json: bool
    explain: bool
    samples: int
    cold_rounds: int
    clients: int
    order_seconds: float
    order_max: int
    server_configs: list[tuple[int, int]]
    workers: int
    port: int
    only: set[str]

    @property
    def db_url(self) -> str:
        return f"{PG_SERVER}/{self.db}"

    def incident_options(self) -> inc.Options:
        return inc.Options(self.db, self.incidents, self.seed, self.keep, self.reuse, self.json, False, 200, 500, 0,
                           0.0, 0, [(2, 1)])  # fmt: skip


def parse_args() -> Options:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    standard_arguments(p, "plantdesk_bench_requests")
    p.add_argument("--incidents", type=int, default=1_000_000)
    p.add_argument("--requests", type=int, default=100_000, help="generated requests (with their items)")
    p.add_argument("--tasks", type=int, default=500_000, help="generated fulfilment tasks (about)")
    p.add_argument("--due-grants", type=int, default=10_000, help="active grants due at once for the expiry")
    p.add_argument("--samples", type=int, default=100, help="warm requests per work-list row (bounded to 60 s)")
    p.add_argument("--cold-rounds", type=int, default=5)
    p.add_argument("--clients", type=int, default=8, help="concurrent order clients")
    p.add_argument("--order-seconds", type=float, default=20.0)
    p.add_argument("--order-max", type=int, default=20_000, help="upper bound of orders per server setting")
    p.add_argument("--servers", default="2x1", help="WORKERSxTHREADS of `plantdesk serve` tried for the orders")
    p.add_argument("--workers", type=int, default=1, help="`plantdesk worker` processes for the expiry")
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the work-list, queue and expiry queries")
    p.add_argument("--port", type=int, default=PORT)
    p.add_argument("--only", default="work,queue,orders,expiry", help="the phases measured, comma-separated")
    a = p.parse_args()
    if not a.db.replace("_", "").isalnum():
        p.error("--db must be a plain identifier")
    if a.db in ("plantdesk_bench",) or a.db.startswith(("plantdesk_dev", "test")):
        p.error("that database belongs to other work")
    configs = [(int(w), int(t)) for w, t in (c.split("x") for c in a.servers.split(","))]
    return Options(a.db, a.incidents, a.requests, a.tasks, a.due_grants, a.seed, a.keep, a.reuse, a.json,
                   a.explain, a.samples, a.cold_rounds, a.clients, a.order_seconds, a.order_max, configs, a.workers,
                   a.port, set(a.only.split(",")))  # fmt: skip


# ---------------------------------------------------------------------------------------------- set-up


def create_people_and_catalog(ids: dict[str, Any]) -> dict[str, Any]:
    """Work-list agents, managers, QA, an administrator, the demo catalog and the ordered item, through the
    real actions. The work-list agents replace the first agent of their groups in `ids` (incidents, tasks)."""
    from plantdesk.accounts.actions import do_create_user, do_set_manager, get_system_user
    from plantdesk.accounts.models import User
    from plantdesk.cmdb.actions import do_create_ci, do_update_ci
    from plantdesk.cmdb.models import ConfigurationItem
    from plantdesk.requests.catalog import do_create_catalog_item
    from plantdesk.requests.demo import load_demo_catalog

    system = get_system_user()
    group_names = [g for g, _ in inc.GROUPS]
    for username, groups, sites, replaces in WORK_USERS:
        user = do_create_user(username, role="agent", actor=system, sites=sites, groups=groups, password=UI_PASSWORD)
        for name in replaces:
            ids["agents"][group_names.index(name)][0] = user.pk
    site_codes = [s[0] for s in inc.SITES]
    managers = {c: do_create_user(f"mgr_{c}", role="manager", actor=system, sites=[c]) for c in site_codes}
    for c in site_codes:
        do_create_user(f"qa_{c}", role="qa", actor=system, sites=[c])
    admin = do_create_user("bench_admin", role="admin", actor=system, sites=site_codes)
    for n, user in enumerate(User.objects.filter(username__startswith="rq").order_by("username")):
        do_set_manager(user, managers[site_codes[n % len(site_codes)]], actor=system)
    # The demo catalog's systems: the gateway is new, the MES and LIMS get their support group.
    do_create_ci({"name": "BER-OTGW01", "ci_class": "application", "site": "ber", "support_group": "OT Engineering"},
                 actor=system)  # fmt: skip
    for name in ("BER-MES-APP01", "BER-LIMS-APP01"):
        do_update_ci(ConfigurationItem.objects.get(name=name), {"support_group": "MES Support"}, actor=system)
    load_demo_catalog(admin)
    do_create_catalog_item(ORDERED_ITEM, actor=admin)
    users = dict(User.objects.values_list("username", "pk"))
    return {
        "managers": [managers[c].pk for c in site_codes],
        "qa": [users[f"qa_{c}"] for c in site_codes],
        "cis": dict(ConfigurationItem.objects.values_list("name", "pk")),
        "support_groups": dict(ConfigurationItem.objects.values_list("name", "support_group_id")),
    }


def _answers(rng: random.Random, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Answers as the order form stores them: every shown question of a version, hidden ones left out."""
    out: dict[str, Any] = {}
    for q in questions:
        cond = q.get("show_if")
        if cond and out.get(cond["question"]) != cond["equals"]:
            continue
        if not q["required"] and rng.random() < 0.3:
            continue
        kind = q["type"]
        if kind in ("choice", "multichoice"):
            out[q["name"]] = rng.choice(q["choices"]) if kind == "choice" else [rng.choice(q["choices"])]
        elif kind == "boolean":
            out[q["name"]] = rng.random() < 0.5
        elif kind == "number":
            out[q["name"]] = rng.randint(1, 14)
        elif kind == "ci":
            out[q["name"]] = rng.choice(CI_ANSWERS)
        elif q["name"] == "reference":
            out[q["name"]] = f"INC{1001 + rng.randrange(1000):07d}"
        else:
            out[q["name"]] = rng.choice(TEXT_ANSWERS)
    return out


def _catalog() -> dict[str, dict[str, Any]]:
    from plantdesk.requests.models import CatalogItem

    out = {}
    for item in CatalogItem.objects.select_related("current"):
        v = item.current
        assert v is not None
        out[item.name] = {"id": item.pk, "version": v.pk, "title": v.title, "gxp": v.gxp, "questions": v.questions,
                          "approval": v.approval, "tasks": v.tasks, "access": v.access}  # fmt: skip
    return out


def generate_requests(conn: psycopg.Connection[Any], opts: Options, ids: dict[str, Any],
                      extra: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Requests, their items, approvals, tasks and grants in the shape the actions leave them."""
    from plantdesk.changes.models import Approval
    from plantdesk.requests.definitions import from_answers
    from plantdesk.requests.models import AccessGrant, FulfilmentTask, RequestItem, ServiceRequest
    from plantdesk.requests.transitions import request_state

    rng = random.Random(opts.seed + 15)
    catalog = _catalog()
    shares = [(catalog[name], share) for name, share in ITEM_SHARES]
    group_ids = dict(zip([g for g, _ in inc.GROUPS], ids["group_ids"], strict=True))
    group_agents = dict(zip([g for g, _ in inc.GROUPS], ids["agents"], strict=True))
    cis = extra["cis"]
    n_sites = len(inc.SITES)
    requests, items, approvals, tasks, grants = [], [], [], [], []
    for r in range(1, opts.requests + 1):
        caller_index = rng.randrange(inc.REQUESTERS)
        requested_for = ids["callers"][caller_index]
        site_index = caller_index % n_sites  # rq users are spread over the sites in this order
        site = ids["site_ids"][site_index]
        requested_by = requested_for if rng.random() < 0.9 else rng.choice(rng.choice(ids["agents"]))
        open_request = rng.random() < 0.13
        age = rng.random()
        opened = T_END - (timedelta(days=60 * age * age) if open_request else timedelta(days=7 + 3 * 365 * age))
        states: list[str] = []
        target = opts.tasks * r // opts.requests
        first_title = ""
        while not states or (len(tasks) < target and len(states) < 6):
            cat = _weighted(rng, shares)
            first_title = first_title or cat["title"]
            answers = _answers(rng, cat["questions"])
            steps = cat["approval"]
            template = cat["tasks"]
            if open_request:
                state = "pending_approval" if steps and rng.random() < 0.35 else "in_fulfilment"
            else:
                state = _weighted(rng, [("fulfilled", 0.92), ("rejected", 0.04 if steps else 0.0), ("canceled", 0.04)])
                state = state if state != "rejected" or steps else "fulfilled"
            if state == "in_fulfilment" and not template:
                state = "fulfilled" if not open_request else "pending_approval" if steps else "fulfilled"
            item_id = len(items) + 1
            closed = opened + timedelta(hours=4 + 200 * rng.random()) if state in ("fulfilled", "rejected",
                                                                                    "canceled") else None  # fmt: skip
            stages = sorted({t["stage"] for t in template})
            current = rng.choice(stages) if state == "in_fulfilment" else (stages[-1] if stages else 0)
            approved = state in ("fulfilled", "in_fulfilment") or (state == "canceled" and rng.random() < 0.5)
            ci_name = (
                from_answers(cat["access"]["system"], answers)
                if cat["access"]
                else next(
                    (answers[q["name"]] for q in cat["questions"] if q["type"] == "ci" and q["name"] in answers), None
                )
            )
            group = next((t["assignment_group"] for t in template if t["stage"] == current), None)
            updated = closed or opened + timedelta(hours=2)
            items.append((item_id, r, cat["id"], cat["version"], json.dumps(answers), state,
                          1 if steps else 0, current if approved else 0, site,
                          group_ids[group] if group and approved else None, cis.get(ci_name) if ci_name else None,
                          cat["gxp"], "Not needed for this role." if state == "rejected" else "", opened, updated,
                          closed))  # fmt: skip
            states.append(state)
            for level, step in enumerate(steps, start=1):
                if step == "manager":
                    approver = extra["managers"][site_index]
                elif step == "qa":
                    approver = extra["qa"][site_index]
                else:
                    approver = group_agents[step.split(":", 1)[1]][1]
                if approved:
                    a_state = "approved"
                elif state == "rejected":
                    a_state = "rejected" if level == 1 else "not_required"
                elif state == "pending_approval":
                    a_state = "requested" if level == 1 else "not_requested"
                else:
                    a_state = "not_required"
                decided = opened + timedelta(hours=level) if a_state in ("approved", "rejected") else None
                approvals.append((item_id, f"RITM{1000 + item_id:07d}", level, step,
                                  group_ids.get(step.split(":", 1)[1]) if step.startswith("group:") else None,
                                  cat["gxp"] and step == "qa", approver, a_state, decided))  # fmt: skip
            if approved:
                for t in template:
                    agents = group_agents[t["assignment_group"]]
                    if state == "fulfilled" or t["stage"] < current:
                        t_state, active, assignee = "closed_complete", True, rng.choice(agents)
                    elif state == "canceled":
                        t_state, active, assignee = "closed_skipped", t["stage"] == stages[0], None
                    elif t["stage"] == current:
                        t_state = "in_progress" if rng.random() < 0.4 else "open"
                        active, assignee = True, rng.choice(agents) if t_state == "in_progress" else None
                    else:
                        t_state, active, assignee = "open", False, None
                    done = t_state.startswith("closed")
                    t_opened = opened + timedelta(hours=1 + t["stage"])
                    t_closed = (closed or t_opened + timedelta(hours=3)) if done else None
                    tasks.append((len(tasks) + 1, item_id, "fulfil", t["stage"], active, t["short_description"],
                                  t_state, group_ids[t["assignment_group"]], assignee, site, None,
                                  "Done." if done else "", assignee if done else None, t_opened,
                                  t_closed or t_opened, t_closed))  # fmt: skip
            if state == "fulfilled" and cat["access"]:
                spec = cat["access"]
                system = cis.get(from_answers(spec["system"], answers))
                days = min(int(answers.get(spec.get("days") or "", 0) or spec["max_days"]), spec["max_days"])
                expires = (closed or opened) + timedelta(days=days)
                role = from_answers(spec["role"], answers)[:120]
                grant_id = len(grants) + 1
                if expires <= T_END:
                    group = extra["support_groups"].get(spec["system"])
                    tasks.append((len(tasks) + 1, item_id, "revoke", 0, True, f"Remove {role} on the system",
                                  "closed_complete", group, None, site, grant_id, "Removed.", None, expires,
                                  expires + timedelta(days=1), expires + timedelta(days=1)))  # fmt: skip
                    grants.append((grant_id, requested_for, system, role, item_id, site, "expired", closed, expires,
                                   expires, "Expired.", expires + timedelta(days=1)))  # fmt: skip
                else:  # still active: never due during a run (the due grants of the expiry phase stay alone)
                    expires = max(expires, T_END + timedelta(days=90 + 30 * rng.random()))
                    grants.append((grant_id, requested_for, system, role, item_id, site, "active", closed, expires,
                                   None, "", None))  # fmt: skip
        req_state = request_state(states)
        short = first_title if len(states) == 1 else f"{first_title} and {len(states) - 1} more"
        last = max(i[14] for i in items[-len(states) :])
        final = req_state in ("completed", "rejected", "canceled")
        requests.append((r, short[:160], req_state, requested_by, requested_for, site,
                         rng.choice(["portal", "portal", "portal", "api"]), opened, last,
                         last if final else None))  # fmt: skip
    _copy(conn, "bench_req_src", {"i": "bigint", "short": "text", "state": "text", "by_id": "bigint",
                                  "for_id": "bigint", "site": "bigint", "source": "text", "opened": "timestamptz",
                                  "updated": "timestamptz", "closed": "timestamptz"}, requests)  # fmt: skip
    _copy(conn, "bench_item_src", {
        "i": "bigint", "req": "bigint", "cat": "bigint", "version": "bigint", "answers": "jsonb", "state": "text",
        "level": "int", "stage": "int", "site": "bigint", "grp": "bigint", "ci": "bigint", "gxp": "boolean",
        "rejection": "text", "opened": "timestamptz", "updated": "timestamptz", "closed": "timestamptz"},
        items)  # fmt: skip
    _copy(conn, "bench_approval_src", {"item": "bigint", "label": "text", "level": "int", "step": "text",
                                       "grp": "bigint", "sig": "boolean", "approver": "bigint", "state": "text",
                                       "decided": "timestamptz"}, approvals)  # fmt: skip
    _copy(conn, "bench_task_src", {
        "i": "bigint", "item": "bigint", "purpose": "text", "stage": "int", "active": "boolean", "short": "text",
        "state": "text", "grp": "bigint", "assignee": "bigint", "site": "bigint", "grant_id": "bigint",
        "notes": "text", "closed_by": "bigint", "opened": "timestamptz", "updated": "timestamptz",
        "closed": "timestamptz"}, tasks)  # fmt: skip
    _copy(conn, "bench_grant_src", {
        "i": "bigint", "user_id": "bigint", "system": "bigint", "role": "text", "item": "bigint", "site": "bigint",
        "state": "text", "granted": "timestamptz", "expires": "timestamptz", "ended": "timestamptz",
        "reason": "text", "removed": "timestamptz"}, grants)  # fmt: skip
    insert_select(conn, ServiceRequest, {
        "id": "i", "number": "'REQ' || lpad((1000 + i)::text, 7, '0')", "short_description": "short", "state": "state",
        "requested_by_id": "by_id", "requested_for_id": "for_id", "site_id": "site", "source": "source",
        "opened_at": "opened", "updated_at": "updated", "closed_at": "closed"},
        "SELECT * FROM bench_req_src")  # fmt: skip
    insert_select(conn, RequestItem, {
        "id": "i", "number": "'RITM' || lpad((1000 + i)::text, 7, '0')", "request_id": "req", "catalog_item_id": "cat",
        "version_id": "version", "quantity": "1", "answers": "answers", "state": "state", "approval_level": "level",
        "stage": "stage", "site_id": "site", "assignment_group_id": "grp", "ci_id": "ci", "gxp_relevant": "gxp",
        "rejection_reason": "rejection", "opened_at": "opened", "updated_at": "updated", "closed_at": "closed"},
        "SELECT * FROM bench_item_src")  # fmt: skip
    insert_select(conn, Approval, {
        "change_id": "NULL", "record_type": "'request_item'", "record_id": "item", "record_label": "label",
        "level": "level", "step": "step", "group_id": "grp", "rule": "'any'", "signature_required": "sig",
        "approver_id": "approver", "state": "state", "decided_at": "decided", "comment": "''"},
        "SELECT * FROM bench_approval_src")  # fmt: skip
    insert_select(conn, AccessGrant, {
        "id": "i", "user_id": "user_id", "system_id": "system", "role": "role", "request_item_id": "item",
        "site_id": "site", "state": "state", "granted_at": "granted", "expires_at": "expires", "ended_at": "ended",
        "ended_reason": "reason", "removed_at": "removed"}, "SELECT * FROM bench_grant_src")  # fmt: skip
    insert_select(conn, FulfilmentTask, {
        "id": "i", "number": "'TASK' || lpad((1000 + i)::text, 7, '0')", "request_item_id": "item",
        "purpose": "purpose",
        "stage": "stage", "active": "active", "short_description": "short", "state": "state",
        "assignment_group_id": "grp", "assignee_id": "assignee", "site_id": "site", "grant_id": "grant_id",
        "close_notes": "notes", "closed_by_id": "closed_by", "opened_at": "opened", "updated_at": "updated",
        "closed_at": "closed"}, "SELECT * FROM bench_task_src")  # fmt: skip
    for table in ("requests_servicerequest", "requests_requestitem", "requests_fulfilmenttask", "requests_accessgrant",
                  "changes_approval"):  # fmt: skip
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    for prefix, n in (("REQ", len(requests)), ("RITM", len(items)), ("TASK", len(tasks))):
        conn.execute("INSERT INTO core_numbercounter (prefix, last_value) VALUES (%s, %s) "
                     "ON CONFLICT (prefix) DO UPDATE SET last_value = excluded.last_value",
                     [prefix, 1000 + n])  # fmt: skip
    conn.execute("DROP TABLE bench_req_src, bench_item_src, bench_approval_src, bench_task_src, bench_grant_src")
    active_open = sum(1 for t in tasks if t[4] and t[6] in ("open", "in_progress"))
    return {"requests": len(requests), "items": len(items), "approvals": len(approvals), "tasks": len(tasks),
            "tasks_active_open": active_open, "grants": len(grants),
            "grants_active": sum(1 for g in grants if g[6] == "active")}  # fmt: skip


REQUEST_TABLES = ["requests_servicerequest", "requests_requestitem", "requests_fulfilmenttask",
                  "requests_accessgrant", "changes_approval"]  # fmt: skip


def generate_all(opts: Options, env: dict[str, str], setup: dict[str, Any]) -> None:
    admin_execute(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
    admin_execute(f'CREATE DATABASE "{opts.db}"')
    started = time.perf_counter()
    migrate(env)
    setup_django(env)
    ids = inc.create_people()
    extra = create_people_and_catalog(ids)
    setup["people_s"] = round(time.perf_counter() - started, 1)
    setup["incidents"] = inc.generate_incidents(opts.incident_options(), ids)
    print(f"set-up: people, catalog and {opts.incidents} incidents: {setup}")
    timings: dict[str, Any] = {}
    with psycopg.connect(opts.db_url, autocommit=True) as conn:

        def load() -> None:
            with timed(timings, "requests_s"):
                timings.update(generate_requests(conn, opts, ids, extra))

        timings.update(_rebuilt(conn, REQUEST_TABLES, load))
        for table in REQUEST_TABLES:
            _meta(conn, f"max:{table}", conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])
        _meta(conn, "max:core_journalentry", conn.execute("SELECT coalesce(max(id), 0) FROM core_journalentry")
              .fetchone()[0])  # fmt: skip
        for prefix in ("REQ", "RITM", "TASK"):
            value = conn.execute("SELECT last_value FROM core_numbercounter WHERE prefix = %s", [prefix]).fetchone()
            _meta(conn, f"counter:{prefix}", value[0])
    setup["requests"] = timings
    setup["total_s"] = round(time.perf_counter() - started, 1)
    print(f"generation: {setup}")


def reset_to_generated(opts: Options) -> None:
    """On --reuse: remove what earlier runs added (orders, their approvals, due grants and revoke tasks)."""
    inc.reset_to_generated(opts.incident_options())
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
        conn.execute("DELETE FROM requests_fulfilmenttask WHERE id > %s", [int(meta["max:requests_fulfilmenttask"])])
        conn.execute("DELETE FROM requests_accessgrant WHERE id > %s", [int(meta["max:requests_accessgrant"])])
        conn.execute("DELETE FROM changes_approval WHERE id > %s", [int(meta["max:changes_approval"])])
        if _table_exists(conn, "slas_slaclock"):
            conn.execute("DELETE FROM slas_slaclock WHERE record_type = 'request_item' AND record_id > %s",
                         [int(meta["max:requests_requestitem"])])  # fmt: skip
        conn.execute("DELETE FROM requests_requestitem WHERE id > %s", [int(meta["max:requests_requestitem"])])
        conn.execute("DELETE FROM requests_servicerequest WHERE id > %s", [int(meta["max:requests_servicerequest"])])
        conn.execute("DELETE FROM core_journalentry WHERE id > %s", [int(meta["max:core_journalentry"])])
        for prefix in ("REQ", "RITM", "TASK"):
            conn.execute("UPDATE core_numbercounter SET last_value = %s WHERE prefix = %s",
                         [int(meta[f"counter:{prefix}"]), prefix])  # fmt: skip
        for table in REQUEST_TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")


def _table_exists(conn: psycopg.Connection[Any], table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0]


def make_tokens() -> dict[str, str]:
    from plantdesk.accounts.actions import do_create_token, get_system_user
    from plantdesk.accounts.models import User

    system = get_system_user()
    names = [u[0] for u in WORK_USERS] + ORDER_CLIENTS
    return {u.username: do_create_token(u, actor=system, name="bench") for u in User.objects.filter(username__in=names)}


# ---------------------------------------------------------------------------------------------- work list


def work_paths(username: str) -> list[tuple[str, str]]:
    """(label, path) of the work-list requests of one agent; `auth` is the token unless the path is the page."""
    return [("API /api/v1/work", "/api/v1/work"),
            ("UI /work/", "/work/"),
            ("API /api/v1/tasks?mine=true", "/api/v1/tasks?mine=true"),
            ("API /api/v1/incidents my work",
             f"/api/v1/incidents?assignee={username}&state={OPEN_INCIDENTS}")]  # fmt: skip


def _login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=True, timeout=60)
    client.get("/login/")
    csrf = client.cookies.get("csrftoken", "")
    client.post("/login/", data={"username": username, "password": UI_PASSWORD, "csrfmiddlewaretoken": csrf},
                headers={"Referer": f"{base}/login/"})  # fmt: skip
    return client


def _clients(base: str, tokens: dict[str, str]) -> dict[tuple[str, str], httpx.Client]:
    """Per work-list user: a bearer client for the API and a logged-in session for the page."""
    out = {}
    for username, *_ in WORK_USERS:
        out[(username, "api")] = httpx.Client(base_url=base, timeout=60,
                                              headers={"Authorization": f"Bearer {tokens[username]}"})  # fmt: skip
        out[(username, "ui")] = _login(base, username)
    return out


def _get(client: httpx.Client, path: str) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} -> {response.status_code}: {response.text[:300]}")
    return elapsed, response


def _client_for(clients: dict[tuple[str, str], httpx.Client], username: str, path: str) -> httpx.Client:
    return clients[(username, "ui" if not path.startswith("/api/") else "api")]


def present_paths(base: str, tokens: dict[str, str]) -> list[tuple[str, str]]:
    """The work-list paths this code answers (the work list itself is being built in parallel)."""
    clients = _clients(base, tokens)
    username = WORK_USERS[0][0]
    found = []
    for label, path in work_paths(username):
        response = _client_for(clients, username, path).get(path)
        if response.status_code == 200 and "/login/" not in str(response.url):
            found.append((label, path))
        else:
            print(f"  ! {path} -> {response.status_code} ({response.url}): not in this code, not measured")
    for client in clients.values():
        client.close()
    return found


def _count(response: httpx.Response) -> Any:
    if not response.headers.get("content-type", "").startswith("application/json"):
        return f"{len(response.content)} bytes"
    body = response.json()
    return body.get("count", len(body.get("items", []))) if isinstance(body, dict) else len(body)


def _path_for(path: str, username: str) -> str:
    return path.replace(f"assignee={WORK_USERS[0][0]}", f"assignee={username}")


def measure_work_warm(opts: Options, base: str, tokens: dict[str, str], paths: list[tuple[str, str]]) -> list[Result]:
    results = []
    clients = _clients(base, tokens)
    for username, *_ in WORK_USERS:
        for label, template in paths:
            path = _path_for(template, username)
            client = _client_for(clients, username, path)
            for _ in range(5):
                _, response = _get(client, path)
            s = inc._repeat(lambda c=client, p=path: _get(c, p), opts.samples, max_seconds=60)
            p95 = percentile(sorted(s), 0.95)
            results.append(Result(f"{label}, {username}, warm", s, f"p95 <= {TARGETS['work_ms_p95']:g} ms",
                                  p95 <= TARGETS["work_ms_p95"], {"count": _count(response)}))  # fmt: skip
    for client in clients.values():
        client.close()
    return results


def measure_work_cold(opts: Options, env: dict[str, str], tokens: dict[str, str],
                      paths: list[tuple[str, str]]) -> list[Result]:  # fmt: skip
    """A new server per round; the first request of each user and path (their order rotated per round)."""
    samples: dict[str, list[float]] = {}
    rows = [(u, label, _path_for(p, u)) for u, *_ in WORK_USERS for label, p in paths]
    for round_ in range(opts.cold_rounds):
        with inc.serve(env, 2, 1, port=opts.port + 1) as base:
            clients = _clients(base, tokens)  # the login itself is a request: the page's first one is after it
            for username, label, path in rows[round_ % len(rows) :] + rows[: round_ % len(rows)]:
                elapsed, _ = _get(_client_for(clients, username, path), path)
                samples.setdefault(f"{label}, {username}, cold", []).append(elapsed)
            for client in clients.values():
                client.close()
    out = []
    for name, s in samples.items():
        p95 = percentile(sorted(s), 0.95)
        out.append(Result(name, s, f"p95 <= {TARGETS['work_ms_p95']:g} ms", p95 <= TARGETS["work_ms_p95"]))
    return out


def explain_work(tokens: dict[str, str], paths: list[tuple[str, str]]) -> None:
    """The SQL of each work-list request in this process (Django's test client), the slowest two explained."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for username, *_ in WORK_USERS:
        for label, template in paths:
            path = _path_for(template, username)
            if not path.startswith("/api/"):
                continue
            client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[username]}", HTTP_HOST="127.0.0.1")
            client.get(path)
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            total = sum(float(q["time"]) for q in captured.captured_queries) * 1000
            print(f"\n--- {label} as {username}: {len(captured)} queries, {total:.1f} ms in SQL")
            for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:2]:
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                print(f"{query['sql'][:1200]}\n{plan}\n")
    connection.close()


# ---------------------------------------------------------------------------------------------- incident queue

QUEUE_PATH = "/incidents/?view=my_work"
QUEUE_PANEL = 'data-testid="work-tasks"'


def _queue_get(client: httpx.Client) -> tuple[float, httpx.Response]:
    """The agent's queue page, timed; it must be the page (not the login form) with the tasks panel."""
    elapsed, response = _get(client, QUEUE_PATH)
    if "/login/" in str(response.url) or QUEUE_PANEL not in response.text:
        raise RuntimeError(f"GET {QUEUE_PATH} -> {response.url}: not the queue with the tasks panel")
    return elapsed, response


def _queue_sessions(base: str) -> dict[str, httpx.Client]:
    """The work-list agents signed in through the login form (GET for the CSRF cookie, then POST)."""
    return {username: _login(base, username) for username, *_ in WORK_USERS}


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _queue_page(response: httpx.Response) -> dict[str, Any]:
    """What the page showed: its incident count line, the panel's heading and table rows, the size."""
    html = response.text
    counted = re.search(r'class="result-count"[^>]*>(.*?)</p>', html, re.S)
    panel = re.search(r'data-testid="work-tasks".*?</section>', html, re.S)
    title = re.search(r'id="work-tasks-title">(.*?)</h2>', html, re.S)
    return {"incidents": _text(counted.group(1)) if counted else None,
            "panel": _text(title.group(1)) if title else None,
            "panel_rows": panel.group(0).count("<tr><td>") if panel else None,
            "bytes": len(response.content)}  # fmt: skip


def _queue_result(name: str, samples: list[float], extra: dict[str, Any] | None = None) -> Result:
    p95 = percentile(sorted(samples), 0.95)
    return Result(name, samples, f"p95 <= {TARGETS['work_ms_p95']:g} ms", p95 <= TARGETS["work_ms_p95"], extra or {})


def measure_queue_warm(opts: Options, base: str) -> list[Result]:
    results = []
    sessions = _queue_sessions(base)
    for username, client in sessions.items():
        for _ in range(5):
            _, response = _queue_get(client)
        s = inc._repeat(lambda c=client: _queue_get(c), opts.samples, max_seconds=60)
        results.append(_queue_result(f"UI {QUEUE_PATH}, {username}, warm", s, _queue_page(response)))
    for client in sessions.values():
        client.close()
    return results


def measure_queue_cold(opts: Options, env: dict[str, str]) -> list[Result]:
    """A new server per round (on the next port but one: the work list's cold rounds use the next), both agents
    signed in first (the login is a request itself), then the first page of each, their order rotated."""
    samples: dict[str, list[float]] = {}
    users = [u for u, *_ in WORK_USERS]
    for round_ in range(opts.cold_rounds):
        with inc.serve(env, 2, 1, port=opts.port + 2) as base:
            sessions = _queue_sessions(base)
            for username in users[round_ % len(users) :] + users[: round_ % len(users)]:
                elapsed, _ = _queue_get(sessions[username])
                samples.setdefault(username, []).append(elapsed)
            for client in sessions.values():
                client.close()
    return [_queue_result(f"UI {QUEUE_PATH}, {u}, cold", samples[u]) for u in users]


def explain_queue() -> None:
    """The SQL of the queue page in this process (Django's test client, signed in), the slowest three explained."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from plantdesk.accounts.models import User

    for username, *_ in WORK_USERS:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        client.get(QUEUE_PATH)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(QUEUE_PATH)
        assert response.status_code == 200, response.status_code
        total = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        print(f"\n--- {QUEUE_PATH} as {username}: {len(captured)} queries, {total:.1f} ms in SQL")
        for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"{query['time']} s: {query['sql'][:1500]}\n{plan}\n")
    connection.close()


# ---------------------------------------------------------------------------------------------- orders


def _order_body(rng: random.Random) -> str:
    scanner = rng.random() < 0.5
    answers: dict[str, Any] = {"model": rng.choice(ORDERED_ITEM["questions"][0]["choices"]),
                               "line": rng.choice(["BER-L2-HMI01", "BER-L3-PLC01"]), "scanner": scanner,
                               "justification": rng.choice(TEXT_ANSWERS)}  # fmt: skip
    if scanner:
        answers["symbology"] = rng.choice(["GS1 DataMatrix", "Code 128", "QR"])
    return json.dumps({"items": [{"catalog_item": ORDERED, "answers": answers, "quantity": 1}]})


def _post_orders(base: str, token: str, seed: int, count: int, deadline: float) -> dict[str, Any]:
    """`count` orders one after the other on one kept-alive connection; the latency and numbers of each."""
    rng = random.Random(seed)
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    out: dict[str, Any] = {"latencies": [], "errors": [], "orders": []}
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        body = _order_body(rng)
        start = time.perf_counter()
        conn.request("POST", "/api/v1/requests", body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read()
        out["latencies"].append((time.perf_counter() - start) * 1000)
        if response.status != 201:
            out["errors"].append(f"{response.status}: {answer[:300]!r}")
            continue
        doc = json.loads(answer)
        out["orders"].append((doc["number"], [i["number"] for i in doc["items"]], json.loads(body)["items"][0]))
    conn.close()
    return out


def _order_client(base: str, token: str, seed: int, count: int, deadline: float, out: Any) -> None:
    out.put(_post_orders(base, token, seed, count, deadline))


def measure_orders(opts: Options, base: str, tokens: dict[str, str], label: str) -> tuple[Result, list[Any]]:
    from django.db import connections

    connections.close_all()  # the forked clients must not inherit this process's database connection
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    # A short warm-up per client (plans, caches of each server worker), not counted.
    for i, username in enumerate(ORDER_CLIENTS[: opts.clients]):
        _post_orders(base, tokens[username], opts.seed * 1000 + i, 3, time.monotonic() + 30)
    deadline = time.monotonic() + opts.order_seconds
    per_client = max(1, opts.order_max // opts.clients)
    started = time.perf_counter()
    clients = [context.Process(target=_order_client, args=(base, tokens[ORDER_CLIENTS[i % len(ORDER_CLIENTS)]],
                                                            opts.seed * 100 + i, per_client, deadline, out))
               for i in range(opts.clients)]  # fmt: skip
    for client in clients:
        client.start()
    latencies: list[float] = []
    errors: list[str] = []
    orders: list[Any] = []
    for _ in clients:
        got = out.get(timeout=opts.order_seconds + 180)
        latencies += got["latencies"]
        errors += got["errors"]
        orders += got["orders"]
    elapsed = time.perf_counter() - started
    for client in clients:
        client.join(timeout=30)
    if errors:
        print(f"  ! {len(errors)} failed orders, first: {errors[0]}")
    rate = round(len(orders) / elapsed, 1)
    met = rate >= TARGETS["orders_per_s"] and not errors
    return Result(f"POST /api/v1/requests {label}, {opts.clients} clients", latencies,
                  f">= {TARGETS['orders_per_s']:g} orders/s", met,
                  {"orders_per_s": rate, "accepted": len(orders), "errors": len(errors),
                   "seconds": round(elapsed, 1)}), orders  # fmt: skip


def check_orders(opts: Options, orders: list[Any]) -> dict[str, Any]:
    """Every accepted order in the database: the request, its one item with the answers sent (the hidden
    question left out), and a requested manager approval by the requester's manager."""
    numbers = [o[0] for o in orders]
    item_numbers = [n for o in orders for n in o[1]]
    with psycopg.connect(opts.db_url) as conn:
        requests = conn.execute("SELECT count(*) FROM requests_servicerequest WHERE number = ANY(%s)",
                                [numbers]).fetchone()[0]  # fmt: skip
        rows = conn.execute(
            "SELECT i.number, i.answers, i.state, r.number, "
            "  (SELECT count(*) FROM changes_approval a JOIN accounts_user u ON u.id = r.requested_for_id "
            "   WHERE a.record_type = 'request_item' AND a.record_id = i.id AND a.state = 'requested' "
            "     AND a.step = 'manager' AND a.approver_id = u.manager_id) "
            "FROM requests_requestitem i JOIN requests_servicerequest r ON r.id = i.request_id "
            "JOIN requests_catalogitem c ON c.id = i.catalog_item_id "
            "WHERE i.number = ANY(%s) AND c.name = %s",
            [item_numbers, ORDERED],
        ).fetchall()
    sent = {o[1][0]: (o[0], o[2]["answers"]) for o in orders if o[1]}
    same_answers = sum(1 for number, answers, _, req, _ in rows if sent.get(number) == (req, answers))
    approved = sum(1 for *_, n in rows if n == 1)
    pending = sum(1 for _, _, state, _, _ in rows if state == "pending_approval")
    ok = requests == len(orders) and len(rows) == len(item_numbers) == same_answers == approved == pending
    return {"accepted": len(orders), "requests_in_db": requests, "items_in_db": len(rows),
            "items_with_answers_as_sent": same_answers, "items_pending_approval": pending,
            "items_with_manager_approval": approved, "all_present": ok}  # fmt: skip


# ---------------------------------------------------------------------------------------------- expiry


def insert_due_grants(opts: Options) -> tuple[int, int]:
    """`due_grants` active grants of fulfilled MES role items, all past their end; returns the id range."""
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        low = conn.execute("SELECT coalesce(max(id), 0) FROM requests_accessgrant").fetchone()[0]
        system = conn.execute("SELECT id FROM cmdb_configurationitem WHERE name = %s", [GRANT_SYSTEM]).fetchone()[0]
        conn.execute(
            """
            WITH items AS (
              SELECT i.id, i.site_id, r.requested_for_id, row_number() OVER (ORDER BY i.id) AS k,
                     count(*) OVER () AS n
              FROM requests_requestitem i JOIN requests_servicerequest r ON r.id = i.request_id
              JOIN requests_catalogitem c ON c.id = i.catalog_item_id
              WHERE c.name = 'mes-role-access' AND i.state = 'fulfilled'
            )
            INSERT INTO requests_accessgrant (user_id, system_id, role, request_item_id, site_id, state, granted_at,
              expires_at, ended_reason)
            SELECT items.requested_for_id, %s, (ARRAY['Operator', 'Supervisor', 'Batch reviewer'])[1 + g %% 3],
                   items.id, items.site_id, 'active', now() - interval '91 days',
                   now() - interval '1 hour' + g * interval '1 millisecond', ''
            FROM generate_series(1, %s) AS g JOIN items ON items.k = 1 + (g - 1) %% items.n
            """,
            [system, opts.due_grants],
        )
        high = conn.execute("SELECT max(id) FROM requests_accessgrant").fetchone()[0]
        conn.execute("ANALYZE requests_accessgrant")
    return low, high


def _expiry_counts(conn: psycopg.Connection[Any], low: int, high: int) -> tuple[int, int]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM requests_accessgrant WHERE id > %s AND id <= %s AND state = 'expired'), "
        "(SELECT count(*) FROM requests_fulfilmenttask WHERE purpose = 'revoke' AND active AND state = 'open' "
        " AND grant_id > %s AND grant_id <= %s)",
        [low, high, low, high],
    ).fetchone()
    return int(row[0]), int(row[1])


def explain_expiry() -> None:
    """EXPLAIN ANALYZE of the worker's due-grant query (the ORM query of expire_due_grants, without the lock)."""
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from plantdesk.requests.access import _ended_references
    from plantdesk.requests.models import AccessGrant

    qs = (AccessGrant.objects.filter(state="active").filter(Q(expires_at__lte=timezone.now()) | _ended_references())
          .select_related("system", "user", "request_item", "reference_change", "reference_incident")
          .order_by("expires_at", "id")[:200])  # fmt: skip
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"\n--- EXPLAIN ANALYZE of the due grants (a batch of 200)\n{plan}")
    connection.close()


def measure_expiry(opts: Options, env: dict[str, str]) -> list[Result]:
    """Insert the due grants, start `plantdesk worker`, poll until every one is expired with its revoke task."""
    low, high = insert_due_grants(opts)
    due = high - low
    if opts.explain:
        explain_expiry()
    logs = [tempfile.TemporaryFile() for _ in range(opts.workers)]  # noqa: SIM115 - read after the workers end
    started = time.perf_counter()
    workers = [subprocess.Popen([str(BIN / "plantdesk"), "worker", "--interval", "2"], env=env, stdout=log,
                                stderr=log) for log in logs]  # fmt: skip
    first = done = None
    expired = tasks = 0
    progress = []
    try:
        with psycopg.connect(opts.db_url, autocommit=True) as conn:
            limit = time.monotonic() + max(120.0, 10 * TARGETS["expiry_s"])
            while time.monotonic() < limit:
                expired, tasks = _expiry_counts(conn, low, high)
                at = time.perf_counter() - started
                if expired and first is None:
                    first = at
                if not progress or progress[-1][1] != expired:
                    progress.append((round(at, 1), expired))
                if expired == tasks == due:
                    done = at
                    break
                if any(w.poll() is not None for w in workers):
                    break
                time.sleep(0.1)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(timeout=60)
            except subprocess.TimeoutExpired:
                w.kill()
        for log in logs:
            log.seek(0)
            text = log.read().decode(errors="replace")
            if "Traceback" in text or "failed" in text:
                print(f"  ! worker log:\n{text[-3000:]}")
            log.close()
    with psycopg.connect(opts.db_url) as conn:
        expired, tasks = _expiry_counts(conn, low, high)
        other = conn.execute("SELECT count(*) FROM requests_accessgrant WHERE id <= %s AND state = 'expired' "
                             "AND ended_at > now() - interval '1 hour'", [low]).fetchone()[0]  # fmt: skip
        notes = conn.execute("SELECT count(*) FROM core_journalentry WHERE record_type = 'request_item' "
                             "AND created_at > now() - interval '1 hour' "
                             "AND body LIKE 'Access %%expired%%'").fetchone()[0]  # fmt: skip
    total = done if done is not None else float("nan")
    met = done is not None and done <= TARGETS["expiry_s"]
    print(f"  expiry progress (s, expired): {progress[:3]} ... {progress[-3:]}")
    return [Result(f"expire {due} due grants, {opts.workers} worker(s)", [total * 1000],
                   f"<= {TARGETS['expiry_s']:g} s", met,
                   {"seconds_to_all": round(total, 1), "seconds_to_first": round(first or float("nan"), 1),
                    "expired": expired, "revoke_tasks": tasks, "item_notes": notes,
                    "generated_grants_ended_too": other,
                    "per_s_after_first": round((due - 1) / (total - first), 1) if done and first and total > first
                    else None})]  # fmt: skip


# ---------------------------------------------------------------------------------------------- report


def write_json(opts: Options, sections: dict[str, list[Any]], setup: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = RESULTS_DIR / f"requests-{now:%Y%m%dT%H%M%SZ}.json"
    doc = {"at": now.isoformat(), "incidents": opts.incidents, "requests": opts.requests, "tasks": opts.tasks,
           "seed": opts.seed, "setup": setup,
           "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
           "results": {k: {r.name: r.stats() for r in v} for k, v in sections.items()}}  # fmt: skip
    path.write_text(json.dumps(doc, indent=2, default=str))
    return path


def data_counts(opts: Options) -> dict[str, Any]:
    with psycopg.connect(opts.db_url) as conn:
        q = {"incidents": "SELECT count(*) FROM incidents_incident",
             "requests": "SELECT count(*) FROM requests_servicerequest",
             "request_items": "SELECT count(*) FROM requests_requestitem",
             "tasks": "SELECT count(*) FROM requests_fulfilmenttask",
             "tasks_active_open": "SELECT count(*) FROM requests_fulfilmenttask WHERE active "
                                  "AND state IN ('open', 'in_progress')",
             "grants_active": "SELECT count(*) FROM requests_accessgrant WHERE state = 'active'"}  # fmt: skip
        return {k: conn.execute(v).fetchone()[0] for k, v in q.items()}


def run(opts: Options, home: Path) -> None:
    from django.db import connection

    env = plantdesk_env(opts.db, home)
    setup: dict[str, Any] = {"code": code_state()}
    sections: dict[str, list[Any]] = {}
    if opts.reuse:
        migrate(env)
        setup_django(env)
        reset_to_generated(opts)
    else:
        generate_all(opts, env, setup)
    tokens = make_tokens()
    connection.close()  # the servers must not wait on this process's idle transaction or connection
    setup["data"] = data_counts(opts)
    print(f"data: {setup['data']}")
    load = setup["load"] = {}

    def done(title: str, results: list[Any]) -> None:
        sections[title] = results
        load[title] = os.getloadavg()
        print_table(f"{title} (load average {load[title][0]:.1f} {load[title][1]:.1f} {load[title][2]:.1f})",
                    results, width=62)  # fmt: skip

    try:
        if "work" in opts.only:
            with inc.serve(env, 2, 1, port=opts.port) as base:
                paths = present_paths(base, tokens)
                done("work list, warm", measure_work_warm(opts, base, tokens, paths))
            done("work list, cold", measure_work_cold(opts, env, tokens, paths))
            if opts.explain:
                explain_work(tokens, paths)
        if "queue" in opts.only:
            with inc.serve(env, 2, 1, port=opts.port) as base:
                done("incident queue, warm", measure_queue_warm(opts, base))
            done("incident queue, cold", measure_queue_cold(opts, env))
            if opts.explain:
                explain_queue()
        if "orders" in opts.only:
            for w, t in opts.server_configs:
                with inc.serve(env, w, t, port=opts.port) as base:
                    result, orders = measure_orders(opts, base, tokens, f"{w} workers x {t} threads")
                result.extra["db_check"] = check_orders(opts, orders)
                done(f"orders ({w}x{t})", [result])
        if "expiry" in opts.only:
            done("access expiry", measure_expiry(opts, env))
    finally:
        report_footer(setup["code"], write_json(opts, sections, setup) if opts.json else None)


def main() -> None:
    opts = parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run_in_scratch(run, opts)


if __name__ == "__main__":
    main()
