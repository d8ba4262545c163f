"""Problems and knowledge benchmark on PostgreSQL (issue 14): known-error and knowledge search over 100,000
known errors and 100,000 articles beside 1,000,000 incidents, publishing a workaround to 1,000 linked open
incidents, and the incident queue figures of docs/performance.md with this data beside them.

Creates its own database on 127.0.0.1 (default plantdesk_bench), migrates it, creates people and incidents with
bench/incidents.py (its functions, same shape and seed), measures the incident queue once on the incidents
alone, then generates in bulk (COPY into a staging table, then INSERT ... SELECT; fixed seed):

- 30 CIs: the 12 of bench/incidents.py and a Singapore and a Chicago twin of 9 plant CIs;
- 100,000 problems `PRB0001001` ..., each with a known error (symptom, root cause, workaround, 1-2 CIs),
  in plant vocabulary (MES, LIMS, PLC, HMI, label printer, batch record, historian, OPC UA, ...): the subject
  of a row is drawn with a skew, so words hit from a few rows (error codes, rare equipment) to a fifth of them;
  70 % closed, 10 % resolved, 15 % open, 5 % canceled; 85 % of the known errors published; a problem's site is
  its CI's; about 75,000 closed incidents linked to problems;
- 100,000 knowledge articles `KB0001001` ... in Markdown (how-tos, troubleshooting guides, FAQs), public or
  internal, in every state, tied to CIs and some to a problem.

Generated rows have no audit entries (as in bench/incidents.py); numbers come from the same counters, which are
moved past the highest generated number. Then, against a real `plantdesk serve` (2 workers x 1 thread, the
default) on 127.0.0.1:8650:

- search: `GET /api/v1/known-errors?q=` as a one-site agent, `GET /api/v1/knowledge?q=` as that agent and as a
  requester, for rare words, common words, two words and a word prefix (as typed); cold = the first request of
  each after a server start (a fresh server per round, the queries rotated), warm = repeated after a warm-up;
- publishing: a problem created with `POST /api/v1/problems`, 1,000 open incidents linked with
  `POST /api/v1/problems/{n}/incidents`, then `PUT /api/v1/problems/{n}/known-error` with `publish: true`
  (timed, target 5 s; 1,000 public comments checked in the database), the same text again (nothing posted) and
  a changed workaround (1,000 more);
- the incident queue, GET by number and the UI queue of bench/incidents.py, again with all this data beside.

    .venv/bin/python bench/knowledge.py --keep --json   # generate, measure, keep the database
    .venv/bin/python bench/knowledge.py --reuse --keep  # measure again on the kept database
    .venv/bin/python bench/knowledge.py --incidents 100000 --known-errors 10000 --articles 10000  # quick run
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

import incidents as inc
from changes import insert_select
from common import (
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

TARGETS = {"search_ms_p95": 50.0, "publish_s": 5.0}
PORT = 8650  # this benchmark's port range is 8650-8699
T_END = datetime(2026, 11, 30, tzinfo=UTC)  # generated history ends here, so every run writes the same rows
SEARCH_AGENT = "q_sd_ber"  # one site (Berlin), Service Desk: the site scope is part of every search
REQUESTER = "rq0000"  # a Berlin requester: public published articles only
PUBLISH_AGENT = "bench_api"  # all sites and groups: may comment on every incident it links

# Plant CIs of bench/incidents.py's TEXTS that get a Singapore and a Chicago twin (so every site has them).
TWINNED = ["BER-MES-APP01", "BER-L3-PLC01", "BER-L2-HMI01", "BER-L1-PRN01", "BER-LIMS-APP01", "BER-HIST01",
           "BER-WS-L3-01", "BER-WLC01", "BER-MES-DB01"]  # fmt: skip

# (subject, incident category, CI of bench/incidents.py's TEXTS, vendors and products). Drawn with a skew
# (index = floor(r^1.6 * n)): the first subjects are in a tenth of the rows, the last in a few hundred.
SUBJECTS = [
    ("label printer", "hardware", "BER-L1-PRN01", ["Zebra ZT410", "Zebra ZT610", "Bizerba GLM-I", "SATO CL4NX"]),
    ("MES batch record", "software", "BER-MES-APP01", ["Werum PAS-X 3.2", "Siemens Opcenter", "Werum PAS-X 3.3"]),
    ("PLC", "ot_equipment", "BER-L3-PLC01", ["Siemens S7-1500", "Rockwell ControlLogix", "Siemens S7-300"]),
    ("HMI panel", "ot_equipment", "BER-L2-HMI01", ["Siemens Comfort Panel", "WinCC Unified", "FactoryTalk View"]),
    ("historian", "software", "BER-HIST01", ["OSIsoft PI", "AVEVA Historian", "Canary Historian"]),
    ("LIMS interface", "software", "BER-LIMS-APP01", ["LabWare LIMS 7", "STARLIMS", "LabVantage"]),
    ("OPC UA server", "ot_equipment", "BER-L3-PLC01", ["Kepware KEPServerEX", "Matrikon OPC UA", "Prosys"]),
    ("shop-floor terminal", "access", "BER-WS-L3-01", ["Windows 10 IoT", "IGEL thin client", "Citrix Workspace"]),
    ("warehouse scanner", "network", "BER-WLC01", ["Zebra MC3300", "Honeywell CK65", "Cisco 9800 WLC"]),
    ("MES database", "database", "BER-MES-DB01", ["Oracle 19c", "SQL Server 2019", "Oracle Data Guard"]),
    ("ERP goods receipt", "software", "ERP-PRD", ["SAP S/4HANA", "SAP ECC 6.0", "SAP EWM"]),
    ("core switch", "network", "SIN-SW-CORE1", ["Cisco Catalyst 9500", "Aruba CX 8325", "Cisco Nexus 9300"]),
    ("SCADA", "ot_equipment", "BER-L3-PLC01", ["WinCC OA", "Ignition 8.1", "AVEVA System Platform"]),
    ("weighing scale", "hardware", "BER-L1-PRN01", ["Mettler Toledo IND570", "Sartorius Combics", "Minebea"]),
    ("electronic logbook", "software", "BER-MES-APP01", ["Werum PAS-X eLog", "Rockwell PharmaSuite"]),
    ("chromatography data system", "access", "SIN-CDS-APP01", ["Waters Empower 3", "Thermo Chromeleon 7"]),
    ("serialization", "software", "BER-MES-APP01", ["Systech UniSeries", "Antares Vision", "TraceLink"]),
    ("vision camera", "ot_equipment", "BER-L2-HMI01", ["Cognex In-Sight", "Keyence CV-X", "Sick Inspector"]),
    ("environmental monitoring", "software", "BER-HIST01", ["Vaisala viewLinc", "Rotronic RMS", "Lonza MODA"]),
    ("palletizer", "ot_equipment", "BER-L3-PLC01", ["KUKA KR 180", "Fanuc M-410", "Kuka Omnimove"]),
    ("autoclave", "ot_equipment", "BER-L2-HMI01", ["Belimed MST-V", "Getinge GEV", "Steris Finn-Aqua"]),
    ("bioreactor controller", "ot_equipment", "BER-L3-PLC01", ["Sartorius Biostat", "Eppendorf BioFlo"]),
]
FAULTS = ["offline", "not reachable", "freezes after login", "times out", "prints blank labels",
          "loses the connection", "shows stale values", "rejects the certificate", "drops tags",
          "duplicates records", "responds slowly", "does not start", "runs out of memory", "reports disk full",
          "clock drifts", "shows the wrong time zone", "loses the license", "crashes on save",
          "rejects valid credentials", "fails the nightly backup", "hangs during synchronization",
          "sends corrupt data", "logs repeated alarms", "cannot read barcodes",
          "misses the interface messages"]  # fmt: skip
CONTEXTS = ["after the shift change", "during batch release", "after the Windows update", "on line 3",
            "in the cleanroom", "after the firmware upgrade", "when the network fails over", "at month-end closing",
            "after a power cut", "during the weekly maintenance window", "on the night shift",
            "after the certificate renewal", "while the line changes over", "on the packaging line",
            "after the antivirus signature update", "during high load", "after the server reboot",
            "in the warehouse", "after the daylight saving change", "when two users log in at once"]  # fmt: skip
CAUSES = ["the spooler service hangs on a corrupt job", "an expired OPC UA certificate in the trust list",
          "a duplex mismatch on the switch port", "NTP is not configured on the device",
          "the interface queue table grows without housekeeping", "a memory leak in the vendor driver",
          "the database statistics are stale and the optimizer picks a full scan",
          "the license server is reachable only through the old VLAN",
          "a group policy resets the screen saver and locks the session", "the firmware drops idle TCP sessions",
          "the archive job fills the data disk", "two services share one client certificate",
          "a DNS alias still points to the decommissioned server", "the watchdog restarts the runtime too early",
          "a rounding rule in the label template", "the barcode symbology was changed in the master data",
          "the time zone of the interface server differs from the plant's",
          "retries of the middleware duplicate the messages"]  # fmt: skip
WORKAROUNDS = ["Restart the print spooler on the print server and resend the job from the MES.",
               "Renew the certificate in the OPC UA trust list and reconnect the client.",
               "Switch the line to manual mode and record the values in the paper batch record.",
               "Set the switch port to 1 Gbit full duplex and clear the counters.",
               "Restart the interface service and reprocess the messages from the error queue.",
               "Log off all users, restart the terminal and log on again with the line account.",
               "Rebuild the index statistics with the DBA job and ask the users to refresh.",
               "Move the archive files to the share and free at least 20 GB on the data disk.",
               "Reset the PLC connection in the HMI diagnostics page and acknowledge the alarms.",
               "Use the spare scanner from the shift lead's cabinet and report the serial number.",
               "Print the labels from the backup printer and reconcile the count in the batch record.",
               "Correct the time on the device and resynchronize the historian buffer.",
               "Ask the service desk to re-assign the license and restart the client."]  # fmt: skip
MESSAGES = ["Connection lost", "Communication error", "Timeout waiting for response", "Access denied",
            "Invalid certificate", "Buffer overflow", "No data", "Device not ready", "Printer offline",
            "Database locked", "Tag quality bad", "Session expired"]  # fmt: skip
ARTICLE_KINDS = ["How to", "Troubleshooting:", "FAQ:", "Known issue:", "Work instruction:", "Checklist:"]
STEPS = ["Check the status light and the display of the device.", "Open the diagnostics page of the HMI.",
         "Verify the network cable and the switch port.", "Note the error code and the time in the logbook.",
         "Restart the service from the services console.", "Call the OT on-call engineer if the line stops.",
         "Compare the values with the historian trend.", "Confirm with the shift lead before restarting.",
         "Reprint the last label and check it with the scanner.",
         "Record the deviation in the batch record."]  # fmt: skip

# Search words by kind; hit counts are printed with the figures (the generated text decides them).
QUERIES = {
    "rare": ["E04711", "E00042", "Omnimove", "Finn-Aqua", "Chromeleon"],  # 1 to about 1,600 known errors
    "common": ["printer", "MES", "offline", "restart", "PLC"],
    "two words": ["label printer", "OPC UA", "batch record", "historian tags", "certificate expired"],
    "prefix": ["histor", "certif", "spool", "chromato", "palletiz"],
}
SEARCHED_TABLE = {"/api/v1/known-errors": "problems_knownerror", "/api/v1/knowledge": "problems_articleversion"}
SEARCHES = [  # (name, path, user)
    ("known errors, agent", "/api/v1/known-errors", SEARCH_AGENT),
    ("knowledge, agent", "/api/v1/knowledge", SEARCH_AGENT),
    ("knowledge, requester", "/api/v1/knowledge", REQUESTER),
]


@dataclass
class Options:
    db: str
    incidents: int
    known_errors: int
    articles: int
    seed: int
    keep: bool
    reuse: bool
    json: bool
    explain: bool
    samples: int
    cold_rounds: int
    publish_runs: int
    publish_incidents: int
    queue: bool
    port: int
    generate_only: bool
    only: set[str]

    @property
    def db_url(self) -> str:
        return f"{PG_SERVER}/{self.db}"

    def incident_options(self) -> inc.Options:
        return inc.Options(self.db, self.incidents, self.seed, self.keep, self.reuse, self.json, False, 200, 500, 0,
                           0.0, 0, [(2, 1)])  # fmt: skip


@dataclass
class Result:
    name: str
    samples_ms: list[float]
    target: str
    met: bool | None
    extra: dict[str, Any] = field(default_factory=dict)

    def stats(self) -> dict[str, Any]:
        s = sorted(self.samples_ms)
        return {"n": len(s), "median": percentile(s, 0.5), "p95": percentile(s, 0.95), "p99": percentile(s, 0.99),
                "max": percentile(s, 1.0), "target": self.target, "met": self.met, **self.extra}  # fmt: skip


def search_result(name: str, samples: list[float], extra: dict[str, Any]) -> Result:
    p95 = percentile(sorted(samples), 0.95)
    return Result(name, samples, f"p95 <= {TARGETS['search_ms_p95']:g} ms", p95 <= TARGETS["search_ms_p95"], extra)


def parse_args() -> Options:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    standard_arguments(p, "plantdesk_bench")
    p.add_argument("--incidents", type=int, default=1_000_000)
    p.add_argument("--known-errors", type=int, default=100_000, help="problems, each with a known error")
    p.add_argument("--articles", type=int, default=100_000)
    p.add_argument("--samples", type=int, default=100, help="warm requests per search row (bounded to 60 s)")
    p.add_argument("--cold-rounds", type=int, default=5, help="server starts for the cold searches")
    p.add_argument("--publish-runs", type=int, default=3, help="problems whose workaround is published")
    p.add_argument("--publish-incidents", type=int, default=1000, help="open incidents linked to each")
    p.add_argument("--no-queue", dest="queue", action="store_false", help="skip the incident queue figures")
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest queries of every search")
    p.add_argument("--port", type=int, default=PORT)
    p.add_argument("--only", default="search,publish,queue", help="the phases measured, comma-separated")
    p.add_argument("--generate-only", action="store_true", help="generate (and measure the queue alone), then stop")
    a = p.parse_args()
    if not a.db.replace("_", "").isalnum():
        p.error("--db must be a plain identifier")
    return Options(a.db, a.incidents, a.known_errors, a.articles, a.seed, a.keep, a.reuse, a.json, a.explain,
                   a.samples, a.cold_rounds, a.publish_runs, a.publish_incidents, a.queue, a.port,
                   a.generate_only, set(a.only.split(",")))  # fmt: skip


# ---------------------------------------------------------------------------------------------- text


def _skewed(rng: random.Random, items: list[Any], power: float = 1.6) -> Any:
    return items[int(rng.random() ** power * len(items))]


def known_error_text(rng: random.Random) -> dict[str, Any]:
    subject, category, ci, products = _skewed(rng, SUBJECTS)
    fault, context, product = rng.choice(FAULTS), rng.choice(CONTEXTS), rng.choice(products)
    code = f" Error E{rng.randrange(20000):05d}." if rng.random() < 0.3 else ""
    where = rng.choice(["the HMI", "the MES client", "the operator terminal", "the label station", "the console"])
    symptom = (f"{subject.capitalize()} {fault} {context}. Operators see '{rng.choice(MESSAGES)}' on {where}."
               f"{code} Seen with {product}.")  # fmt: skip
    cause = f"On {product}, {rng.choice(CAUSES)}. It shows {context} because {rng.choice(CAUSES)}."
    workaround = " ".join(rng.sample(WORKAROUNDS, 2))
    short = f"{subject.capitalize()} {fault} {context}"[:160]
    return {"short": short, "symptom": symptom, "cause": cause, "workaround": workaround, "category": category,
            "ci": ci, "product": product}  # fmt: skip


def article_text(rng: random.Random) -> dict[str, Any]:
    ke = known_error_text(rng)
    kind = rng.choice(ARTICLE_KINDS)
    title = f"{kind} {ke['short'].lower()}"[:200]
    steps = "\n".join(f"{n}. {s}" for n, s in enumerate(rng.sample(STEPS, rng.randint(3, 6)), 1))
    body = (f"## Symptom\n\n{ke['symptom']}\n\n## Cause\n\n{ke['cause']}\n\n## What to do\n\n{steps}\n\n"
            f"**Workaround:** {ke['workaround']}\n\n_Applies to {ke['product']}._\n")  # fmt: skip
    return {**ke, "title": title, "body": body}


# ---------------------------------------------------------------------------------------------- set-up


def create_twin_cis() -> dict[str, dict[str, int]]:
    """CI ids by site code and name: the incidents' CIs, and a Singapore and Chicago twin of each plant CI."""
    from plantdesk.accounts.actions import get_system_user
    from plantdesk.cmdb.actions import do_create_ci
    from plantdesk.cmdb.models import ConfigurationItem

    system = get_system_user()
    by_name = {t[2]: t for t in inc.TEXTS}
    cis: dict[str, dict[str, int]] = {"ber": {}, "sin": {}, "chi": {}, "": {}}
    for ci in ConfigurationItem.objects.filter(name__in=list(by_name)).select_related("site"):
        cis[ci.site.code if ci.site else ""][ci.name] = ci.pk
    for name in TWINNED:
        for site in ("sin", "chi"):
            twin = site.upper() + name[3:]
            ci = do_create_ci({"name": twin, "ci_class": inc.CI_CLASSES[by_name[name][1]], "site": site}, actor=system)
            cis[site][name] = ci.pk
    return cis


def _ci_at(cis: dict[str, dict[str, int]], site: str, name: str) -> tuple[int, str]:
    """The CI `name` (or its twin) at `site`; CIs without twins keep their own site."""
    for code in (site, "ber", "sin", ""):
        if name in cis[code]:
            return cis[code][name], code
    raise KeyError(name)


def _copy(conn: psycopg.Connection[Any], table: str, columns: dict[str, str], rows: list[tuple[Any, ...]]) -> None:
    conn.execute(f"CREATE UNLOGGED TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _drop_indexes(conn: psycopg.Connection[Any], tables: list[str]) -> list[str]:
    """Drop the secondary indexes of `tables` (not those of constraints); return their DDL to rebuild."""
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [tables],
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [ddl for _, ddl in rows]


PROBLEM_STATES = [("closed", 0.70), ("resolved", 0.10), ("new", 0.03), ("assess", 0.03),
                  ("root_cause_analysis", 0.05), ("fix_in_progress", 0.04), ("canceled", 0.05)]  # fmt: skip


def _weighted(rng: random.Random, pairs: list[tuple[Any, float]]) -> Any:
    r, acc = rng.random(), 0.0
    for value, share in pairs:
        acc += share
        if r < acc:
            return value
    return pairs[-1][0]


def generate_problems(conn: psycopg.Connection[Any], opts: Options, ids: dict[str, Any],
                      cis: dict[str, dict[str, int]]) -> dict[str, Any]:  # fmt: skip
    """Problems with their known errors and CIs, and closed incidents linked to them."""
    from plantdesk.problems.models import KnownError, KnownErrorCI, Problem, ProblemIncident

    rng = random.Random(opts.seed)
    agents = [a for group in ids["agents"] for a in group]
    rows, ke_cis = [], []
    for i in range(1, opts.known_errors + 1):
        t = known_error_text(rng)
        site = _weighted(rng, [(s[0], s[3]) for s in inc.SITES])
        ci, ci_site = _ci_at(cis, site, t["ci"])
        state = _weighted(rng, PROBLEM_STATES)
        pi = rng.randrange(len(inc.IMPACT_URGENCY))
        impact, urgency = inc.IMPACT_URGENCY[pi]
        opened = T_END - timedelta(days=3 * 365 * rng.random() ** (2 if state in ("closed", "canceled") else 6))
        done = state in ("resolved", "closed")
        resolved = opened + timedelta(days=1 + 60 * rng.random()) if done else None
        gi = rng.randrange(len(ids["group_ids"]))
        agent = ids["agents"][gi][rng.randrange(inc.AGENTS_PER_GROUP)]
        published = rng.random() < 0.85
        rows.append((i, t["short"], t["symptom"], t["cause"], t["workaround"], state, impact, urgency, pi + 1,
                     t["category"], ci, ids["site_ids"][[s[0] for s in inc.SITES].index(ci_site)] if ci_site else None,
                     rng.choice(agents), ids["group_ids"][gi], agent if state != "new" else None,
                     rng.choice(["fix_applied", "workaround_permanent", "risk_accepted"]) if done else "",
                     "Canceled: a duplicate of an earlier problem." if state == "canceled" else "",
                     opened, resolved, resolved + timedelta(days=7) if state == "closed" else None,
                     agent if done else None, published))  # fmt: skip
        ke_cis.append((i, ci))
        if rng.random() < 0.3:  # a second CI: the same fault on a neighbouring system
            other, _ = _ci_at(cis, site, rng.choice(SUBJECTS)[2])
            if other != ci:
                ke_cis.append((i, other))
    _copy(conn, "bench_problem_src", {
        "i": "bigint", "short": "text", "symptom": "text", "cause": "text", "workaround": "text", "state": "text",
        "impact": "int", "urgency": "int", "priority": "int", "category": "text", "ci": "bigint", "site": "bigint",
        "opened_by": "bigint", "grp": "bigint", "assignee": "bigint", "resolution_code": "text",
        "cancel_reason": "text", "opened": "timestamptz", "resolved": "timestamptz", "closed": "timestamptz",
        "resolved_by": "bigint", "published": "boolean"}, rows)  # fmt: skip
    _copy(conn, "bench_ke_ci_src", {"i": "bigint", "ci": "bigint"}, ke_cis)
    insert_select(conn, Problem, {
        "id": "i", "number": "'PRB' || lpad((1000 + i)::text, 7, '0')", "short_description": "short",
        "description": "symptom", "state": "state", "impact": "impact", "urgency": "urgency", "priority": "priority",
        "category": "category", "ci_id": "ci", "site_id": "site", "opened_by_id": "opened_by",
        "assignment_group_id": "grp", "assignee_id": "assignee", "resolution_code": "resolution_code",
        "cause_notes": "CASE WHEN resolution_code <> '' THEN cause ELSE '' END", "cancel_reason": "cancel_reason",
        "opened_at": "opened", "updated_at": "coalesce(closed, resolved, opened + interval '2 days')",
        "resolved_at": "resolved", "closed_at": "closed", "resolved_by_id": "resolved_by",
    }, "SELECT * FROM bench_problem_src")  # fmt: skip
    insert_select(conn, KnownError, {
        "id": "i", "problem_id": "i", "site_id": "site", "symptom": "symptom", "root_cause": "cause",
        "workaround": "workaround",
        "published": "published", "published_workaround": "CASE WHEN published THEN workaround ELSE '' END",
        "workaround_version": "CASE WHEN published THEN 1 ELSE 0 END",
        "published_at": "CASE WHEN published THEN opened + interval '3 days' END",
        "published_by_id": "CASE WHEN published THEN coalesce(assignee, opened_by) END",
        "created_at": "opened + interval '1 day'", "updated_at": "opened + interval '3 days'",
    }, "SELECT * FROM bench_problem_src")  # fmt: skip
    insert_select(conn, KnownErrorCI, {"known_error_id": "i", "ci_id": "ci"}, "SELECT * FROM bench_ke_ci_src")
    # Every tenth closed incident is linked to a problem (a hash of its id picks which): unique per incident.
    links = insert_select(conn, ProblemIncident, {
        "problem_id": f"1 + abs(hashint8(id)) % {opts.known_errors}", "incident_id": "id",
        "linked_at": "closed_at", "linked_by_id": "resolved_by_id",
    }, "SELECT id, closed_at, resolved_by_id FROM incidents_incident "
       "WHERE state = 'closed' AND id % 10 = 0")  # fmt: skip
    for table in ("problems_problem", "problems_knownerror", "problems_problemincident", "problems_knownerrorci"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.execute("UPDATE core_numbercounter SET last_value = %s WHERE prefix = 'PRB'", [1000 + opts.known_errors])
    conn.execute("DROP TABLE bench_problem_src, bench_ke_ci_src")
    return {"problems": opts.known_errors, "known_error_cis": len(ke_cis), "linked_incidents": links}


ARTICLE_TABLES = ["problems_article", "problems_articleversion", "problems_articleci"]
ARTICLE_STATES = [("published", 0.80), ("draft", 0.06), ("review", 0.06), ("retired", 0.08)]


def article_model() -> Any:
    """The knowledge article model (the knowledge base lives in the problems app), if this code has it."""
    from django.apps import apps

    try:
        return apps.get_model("problems", "Article")
    except LookupError:
        return None


def generate_articles(conn: psycopg.Connection[Any], opts: Options, ids: dict[str, Any],
                      cis: dict[str, dict[str, int]]) -> dict[str, Any]:  # fmt: skip
    """Articles with one or two versions each (rendered through the app's Markdown renderer), as the app
    keeps them: `latest` the version worked on, `published` the one readers see (kept under a newer draft)."""
    from plantdesk.problems.knowledge.markdown import render
    from plantdesk.problems.knowledge.models import Article, ArticleCI, ArticleVersion

    rng = random.Random(opts.seed + 1)
    agents = [a for group in ids["agents"] for a in group]
    n = opts.articles
    articles, versions, article_cis = [], [], []
    extra = n  # the ids of second versions follow the first versions'
    for i in range(1, n + 1):
        t = article_text(rng)
        state = _weighted(rng, ARTICLE_STATES)
        two = rng.random() < (0.15 if state in ("published", "retired") else 0.5)
        created = T_END - timedelta(days=4 * 365 * rng.random())
        author = rng.choice(agents)
        v1_published = state not in ("draft", "review") or two
        v1_at = created + timedelta(days=2)
        versions.append((i, i, 1, t["title"], t["body"], render(t["body"]), author, created, v1_at,
                         author if v1_published else None, v1_at if v1_published else None))  # fmt: skip
        latest, published, updated = i, i if v1_published else None, v1_at
        if two:
            extra += 1
            body = t["body"] + f"\n**Update:** also seen {rng.choice(CONTEXTS)}; {rng.choice(WORKAROUNDS).lower()}\n"
            updated = v1_at + timedelta(days=30 + 300 * rng.random())
            now_published = state in ("published", "retired")
            versions.append((extra, i, 2, t["title"], body, render(body), author, updated, updated,
                             author if now_published else None, updated if now_published else None))  # fmt: skip
            latest, published = extra, extra if now_published else i
        problem = 1 + rng.randrange(opts.known_errors) if rng.random() < 0.2 and opts.known_errors else None
        audience = "public" if rng.random() < 0.4 else "internal"
        for k in range(-2 if two else -1, 0):  # who searches which version (queries.mark_readers)
            vid = versions[k][0]
            versions[k] += (vid == latest, vid == published and audience == "public" and state != "retired")
        articles.append((i, audience, state, 2 if two else 1, latest, published, problem, author, created, updated))
        article_cis.append((i, _ci_at(cis, rng.choice(["ber", "sin", "chi"]), t["ci"])[0]))
    with conn.transaction():  # Article.latest and ArticleVersion.article refer to each other (FKs deferred)
        _copy(conn, "bench_article_src", {
            "i": "bigint", "audience": "text", "state": "text", "version": "int", "latest": "bigint",
            "published": "bigint", "problem": "bigint", "author": "bigint", "created": "timestamptz",
            "updated": "timestamptz"}, articles)  # fmt: skip
        _copy(conn, "bench_version_src", {
            "i": "bigint", "article": "bigint", "version": "int", "title": "text", "body": "text", "html": "text",
            "author": "bigint", "created": "timestamptz", "updated": "timestamptz", "published_by": "bigint",
            "published_at": "timestamptz", "agents": "boolean", "requesters": "boolean"}, versions)  # fmt: skip
        _copy(conn, "bench_article_ci_src", {"i": "bigint", "ci": "bigint"}, article_cis)
        insert_select(conn, Article, {
            "id": "i", "number": "'KB' || lpad((1000 + i)::text, 7, '0')", "audience": "audience", "state": "state",
            "version": "version", "latest_id": "latest", "published_id": "published", "problem_id": "problem",
            "created_by_id": "author", "created_at": "created", "updated_at": "updated",
        }, "SELECT * FROM bench_article_src")  # fmt: skip
        insert_select(conn, ArticleVersion, {
            "id": "i", "article_id": "article", "version": "version", "title": "title", "body": "body",
            "body_html": "html", "created_by_id": "author", "created_at": "created", "updated_by_id": "author",
            "updated_at": "updated", "published_by_id": "published_by", "published_at": "published_at",
            "shown_to_agents": "agents", "shown_to_requesters": "requesters",
        }, "SELECT * FROM bench_version_src")  # fmt: skip
        insert_select(conn, ArticleCI, {"article_id": "i", "ci_id": "ci"}, "SELECT * FROM bench_article_ci_src")
    for table in ARTICLE_TABLES:
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.execute("INSERT INTO core_numbercounter (prefix, last_value) VALUES ('KB', %s) "
                 "ON CONFLICT (prefix) DO UPDATE SET last_value = excluded.last_value", [1000 + n])  # fmt: skip
    conn.execute("DROP TABLE bench_article_src, bench_version_src, bench_article_ci_src")
    return {"articles": n, "article_versions": len(versions)}


def _rebuilt(conn: psycopg.Connection[Any], tables: list[str], load: Callable[[], None]) -> dict[str, float]:
    """Run `load` with the secondary indexes of `tables` dropped, then rebuild them and VACUUM ANALYZE."""
    timings: dict[str, float] = {}
    conn.execute("SET maintenance_work_mem = '1GB'")
    ddl = _drop_indexes(conn, tables)
    load()
    with timed(timings, "indexes_s"):
        for statement in ddl:
            conn.execute(statement)
    with timed(timings, "vacuum_analyze_s"):
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")
    return timings


def _meta(conn: psycopg.Connection[Any], key: str, value: Any) -> None:
    conn.execute("INSERT INTO bench_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 [key, str(value)])  # fmt: skip


def generate(opts: Options, ids: dict[str, Any], cis: dict[str, dict[str, int]]) -> dict[str, Any]:
    timings: dict[str, Any] = {}
    tables = ["problems_problem", "problems_knownerror", "problems_problemincident", "problems_knownerrorci",
              "incidents_incident"]  # fmt: skip
    with psycopg.connect(opts.db_url, autocommit=True) as conn:

        def load() -> None:
            with timed(timings, "problems_s"):
                timings.update(generate_problems(conn, opts, ids, cis))

        timings.update(_rebuilt(conn, tables[:4], load))
        conn.execute("VACUUM ANALYZE incidents_incident")
        _meta(conn, "max_problem_id", opts.known_errors)
        _meta(conn, "ids", json.dumps(ids))
        _meta(conn, "cis", json.dumps(cis))
        _meta(conn, "max_journal_id", conn.execute("SELECT coalesce(max(id), 0) FROM core_journalentry").fetchone()[0])
    return timings


def generate_articles_if_missing(opts: Options) -> dict[str, Any] | None:
    """Articles are generated once the knowledge app exists, also into a database kept from before it."""
    model = article_model()
    if model is None:
        print("  knowledge app not installed: no articles generated, knowledge search not measured")
        return None
    timings: dict[str, Any] = {}
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
        if "articles" in meta:
            return None
        ids, cis = json.loads(meta["ids"]), json.loads(meta["cis"])
        tables = ARTICLE_TABLES

        def load() -> None:
            with timed(timings, "articles_s"):
                timings.update(generate_articles(conn, opts, ids, cis))

        timings.update(_rebuilt(conn, tables, load))
        _meta(conn, "articles", opts.articles)
        _meta(conn, "max_journal_id", conn.execute("SELECT coalesce(max(id), 0) FROM core_journalentry").fetchone()[0])
    return timings


def reset_to_generated(opts: Options) -> None:
    """On --reuse: remove the problems, links, postings and comments that earlier publish phases added."""
    inc.reset_to_generated(opts.incident_options())
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
        max_problem, max_journal = int(meta["max_problem_id"]), int(meta["max_journal_id"])
        conn.execute("DELETE FROM problems_workaroundposting WHERE known_error_id > %s", [max_problem])
        conn.execute("DELETE FROM problems_knownerrorci WHERE known_error_id > %s", [max_problem])
        conn.execute("DELETE FROM problems_knownerror WHERE problem_id > %s", [max_problem])
        conn.execute("DELETE FROM problems_problemincident WHERE problem_id > %s", [max_problem])
        conn.execute("DELETE FROM problems_problem WHERE id > %s", [max_problem])
        conn.execute("DELETE FROM core_journalentry WHERE id > %s", [max_journal])
        conn.execute("UPDATE core_numbercounter SET last_value = %s WHERE prefix = 'PRB'", [1000 + max_problem])


def make_tokens() -> dict[str, str]:
    from plantdesk.accounts.actions import do_create_token, get_system_user
    from plantdesk.accounts.models import User

    system = get_system_user()
    tokens = inc.make_tokens()
    tokens[REQUESTER] = do_create_token(User.objects.get(username=REQUESTER), actor=system, name="bench")
    return tokens


# ---------------------------------------------------------------------------------------------- search


def _search(client: httpx.Client, path: str, q: str) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.get(path, params={"q": q})
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}?q={q} -> {response.status_code}: {response.text[:300]}")
    body = response.json()
    return elapsed, int(body.get("count", len(body.get("items", []))))


def _clients(base: str, tokens: dict[str, str]) -> dict[str, httpx.Client]:
    return {u: httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[u]}"}, timeout=60)
            for u in (SEARCH_AGENT, REQUESTER)}  # fmt: skip


def _matches(opts: Options, table: str, text: str) -> int:
    """Rows of the whole table matching `text` as core.fulltext reads it (the last word typed: a prefix)."""
    *head, last = text.split()
    with psycopg.connect(opts.db_url) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {table} WHERE search_vector @@ "
            "(websearch_to_tsquery('english', %s) && to_tsquery('english', %s))",
            [" ".join(head), f"{last}:*"],
        ).fetchone()
    return int(row[0]) if row else 0


def _answering(env: dict[str, str], tokens: dict[str, str], searches: list[tuple[str, str, str]],
               port: int) -> list[tuple[str, str, str]]:  # fmt: skip
    """The searches whose endpoint exists in the code measured (the others are named and skipped)."""
    with inc.serve(env, 2, 1, port=port) as base:
        clients = _clients(base, tokens)
        found = [s for s in searches if clients[s[2]].get(s[1], params={"q": "printer"}).status_code != 404]
        for client in clients.values():
            client.close()
    for search in searches:
        if search not in found:
            print(f"  ! {search[1]} does not exist in this code: {search[0]} not measured")
    return found


def measure_search_cold(opts: Options, env: dict[str, str], tokens: dict[str, str],
                        searches: list[tuple[str, str, str]]) -> list[Result]:  # fmt: skip
    """The first request of each search after a server start, `cold_rounds` starts, the words rotated."""
    samples: dict[tuple[str, str], list[float]] = {}
    for round_ in range(opts.cold_rounds):
        with inc.serve(env, 2, 1, port=opts.port) as base:
            clients = _clients(base, tokens)
            order = searches[round_ % len(searches) :] + searches[: round_ % len(searches)]
            for name, path, user in order:
                for kind, words in QUERIES.items():
                    elapsed, _ = _search(clients[user], path, words[round_ % len(words)])
                    samples.setdefault((name, kind), []).append(elapsed)
            for client in clients.values():
                client.close()
    return [search_result(f"{name}, {kind}, cold", s, {}) for (name, kind), s in samples.items()]


def measure_search_warm(opts: Options, base: str, tokens: dict[str, str],
                        searches: list[tuple[str, str, str]]) -> list[Result]:  # fmt: skip
    results = []
    clients = _clients(base, tokens)
    for name, path, user in searches:
        for kind, words in QUERIES.items():
            hits = {w: _search(clients[user], path, w)[1] for w in words}  # also the warm-up
            matches = {w: _matches(opts, SEARCHED_TABLE[path], w) for w in words}
            for w in words:
                _search(clients[user], path, w)
            it = iter(range(opts.samples))
            s = inc._repeat(lambda c=clients[user], p=path, ws=words, i=it: _search(c, p, ws[next(i) % len(ws)]),
                            opts.samples, max_seconds=60)  # fmt: skip
            results.append(search_result(f"{name}, {kind}, warm", s, {"matches": matches, "returned": hits}))
    for client in clients.values():
        client.close()
    return results


def explain_searches(tokens: dict[str, str], searches: list[tuple[str, str, str]], results: list[Result],
                     every: bool) -> None:  # fmt: skip
    """EXPLAIN ANALYZE the slowest SQL of the searches that missed the target (or of all with --explain):
    the request runs in this process through Django's test client, its queries captured."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for name, path, user in searches:
        for kind, words in QUERIES.items():
            missed = any(r.name.startswith(f"{name}, {kind},") and r.met is False for r in results)
            if not (every or missed):
                continue
            client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[user]}", HTTP_HOST="127.0.0.1")
            client.get(path, {"q": words[0]})
            with CaptureQueriesContext(connection) as captured:
                client.get(path, {"q": words[0]})
            slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:2]
            print(f"\n--- {name} q={words[0]!r}: {len(captured)} queries, "
                  f"{sum(float(q['time']) for q in captured.captured_queries) * 1000:.1f} ms in SQL")  # fmt: skip
            for query in slowest:
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                print(f"{query['sql'][:1500]}\n{plan}\n")
    connection.close()


# ---------------------------------------------------------------------------------------------- publish


def _open_unlinked_incidents(opts: Options, count: int, skip: int) -> list[str]:
    with psycopg.connect(opts.db_url) as conn:
        rows = conn.execute(
            "SELECT number FROM incidents_incident i WHERE state IN ('new', 'in_progress', 'on_hold') "
            "AND NOT EXISTS (SELECT 1 FROM problems_problemincident l WHERE l.incident_id = i.id) "
            "ORDER BY id OFFSET %s LIMIT %s",
            [skip, count],
        ).fetchall()
    return [r[0] for r in rows]


def _comments(opts: Options, numbers: list[str], text: str) -> int:
    """Public comments on these incidents that end in `text` (the posting names the problem before it)."""
    with psycopg.connect(opts.db_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM core_journalentry j JOIN incidents_incident i ON i.id = j.record_id "
            "WHERE j.record_type = 'incident' AND i.number = ANY(%s) AND j.visibility = 'public' "
            "AND right(j.body, length(%s)) = %s",
            [numbers, text, text],
        ).fetchone()
    return int(row[0]) if row else 0


def _call(client: httpx.Client, method: str, path: str, body: dict[str, Any]) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = client.request(method, path, json=body)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
    return elapsed, response


def measure_publish(opts: Options, base: str, tokens: dict[str, str]) -> list[Result]:
    """Per run: a problem on the Berlin label printer, `publish_incidents` open incidents linked to it, then
    publish, publish the same text again, publish a changed workaround. Comments are counted in the database."""
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[PUBLISH_AGENT]}"}, timeout=300)
    created, linked, first, again, changed = [], [], [], [], []
    checks: list[str] = []
    for run in range(opts.publish_runs):
        numbers = _open_unlinked_incidents(opts, opts.publish_incidents, 0)
        if len(numbers) < opts.publish_incidents:
            raise RuntimeError(f"only {len(numbers)} open incidents without a problem are left")
        elapsed, response = _call(client, "POST", "/api/v1/problems", {
            "short_description": f"BER-L1 label printer offline after the spooler update ({run + 1})",
            "description": "Recurring: the label printer drops off after every spooler restart.",
            "ci": "BER-L1-PRN01", "impact": 2, "urgency": 2, "category": "hardware",
            "assignment_group": "Service Desk"})  # fmt: skip
        created.append(elapsed)
        number = response.json()["number"]
        linked.append(_call(client, "POST", f"/api/v1/problems/{number}/incidents", {"incidents": numbers})[0])
        known = {"symptom": "Label printer offline after the spooler update; labels queue in the MES.",
                 "root_cause": "The spooler service hangs on a corrupt job.",
                 "workaround": f"Restart the print spooler on BER-PRINT01 and resend the job (run {run + 1}).",
                 "cis": ["BER-L1-PRN01"], "publish": True}  # fmt: skip
        path = f"/api/v1/problems/{number}/known-error"
        first.append(_call(client, "PUT", path, known)[0])
        posted = _comments(opts, numbers, known["workaround"])
        again.append(_call(client, "PUT", path, known)[0])
        posted_again = _comments(opts, numbers, known["workaround"])
        second = {**known, "workaround": known["workaround"] + " If it stays offline, swap it for the spare."}
        changed.append(_call(client, "PUT", path, second)[0])
        posted_changed = _comments(opts, numbers, second["workaround"])
        checks.append(f"{number}: {posted} comments, {posted_again - posted} more on re-publish, "
                      f"{posted_changed} for the changed text")  # fmt: skip
        if not posted == posted_changed == len(numbers) or posted_again != posted:
            print(f"  ! {checks[-1]}: expected {len(numbers)}, 0 and {len(numbers)}")
    client.close()
    n = opts.publish_incidents
    limit = TARGETS["publish_s"] * 1000
    return [
        Result("POST /api/v1/problems", created, "-", None),
        Result(f"link {n} incidents (one POST .../incidents)", linked, "-", None),
        Result(f"PUT known-error publish to {n} open incidents", first, "<= 5 s", max(first) <= limit,
               {"checks": checks}),
        Result("PUT known-error again, same text", again, "near zero, nothing posted", None),
        Result(f"PUT known-error, changed workaround ({n} more)", changed, "<= 5 s", max(changed) <= limit),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------- report


def print_table(title: str, results: list[Result], width: int = 58) -> None:
    print(f"\n{title}\n{'measurement':<{width}} {'n':>5} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}  target")
    for r in results:
        s = r.stats()
        met = "" if r.met is None else (" met" if r.met else " MISSED")
        notes = ", ".join(f"{k}={v}" for k, v in r.extra.items())
        print(f"{r.name:<{width}} {s['n']:>5} {s['median']:>8} {s['p95']:>8} {s['p99']:>8} {s['max']:>8}  "
              f"{r.target}{met} {notes}")  # fmt: skip


def write_json(opts: Options, sections: dict[str, list[Any]], setup: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = RESULTS_DIR / f"knowledge-{now:%Y%m%dT%H%M%SZ}.json"
    doc = {"at": now.isoformat(), "incidents": opts.incidents, "known_errors": opts.known_errors,
           "articles": opts.articles, "seed": opts.seed, "setup": setup,
           "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
           "results": {k: {r.name: r.stats() for r in v} for k, v in sections.items()}}  # fmt: skip
    path.write_text(json.dumps(doc, indent=2, default=str))
    return path


_measure_ui_queue = inc.measure_ui_queue


def _ui_queue_or_note(opts: inc.Options, base: str) -> inc.Result | None:
    """bench/incidents.py's UI queue, but a page slower than httpx's default 5 s is reported, not fatal."""
    try:
        return _measure_ui_queue(opts, base)
    except httpx.TimeoutException:
        print("  ! UI queue: a page (login and its redirect, or the queue) took more than 5 s: not measured")
        return None


def _queue(opts: Options, env: dict[str, str], tokens: dict[str, str]) -> list[inc.Result]:
    from django.db import connection

    inc.measure_ui_queue = _ui_queue_or_note  # measure_http_reads calls it last

    iopts = opts.incident_options()
    results = inc.measure_queue_in_process(iopts)
    connection.close()
    with inc.serve(env, 2, 1, port=opts.port) as base:
        results += inc.measure_http_reads(iopts, base, tokens)
    return results


def print_stored(title: str, stats: dict[str, dict[str, Any]]) -> None:
    print(f"\n{title}\n{'measurement':<58} {'n':>5} {'median':>8} {'p95':>8} {'p99':>8}")
    for name, s in stats.items():
        print(f"{name:<58} {s['n']:>5} {s['median_ms']:>8} {s['p95_ms']:>8} {s['p99_ms']:>8}")


def generate_all(opts: Options, env: dict[str, str], setup: dict[str, Any]) -> dict[str, str]:
    """A new database: people, incidents, the queue measured on them alone, problems and known errors."""
    admin_execute(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
    admin_execute(f'CREATE DATABASE "{opts.db}"')
    started = time.perf_counter()
    migrate(env)
    setup_django(env)
    ids = inc.create_people()
    cis = create_twin_cis()
    setup["people_s"] = round(time.perf_counter() - started, 1)
    setup["incidents"] = inc.generate_incidents(opts.incident_options(), ids)
    print(f"set-up: people and {opts.incidents} incidents: {setup}")
    tokens = make_tokens()
    if opts.queue:
        from django.db import connection

        alone: dict[str, Any] = {r.name: r.stats() for r in _queue(opts, env, tokens)}
        alone["load"] = round(os.getloadavg()[0], 1)
        connection.close()
        with psycopg.connect(opts.db_url, autocommit=True) as conn:
            _meta(conn, "queue_alone", json.dumps(alone))
    setup["problems"] = generate(opts, ids, cis)
    setup["articles"] = generate_articles_if_missing(opts)
    setup["total_s"] = round(time.perf_counter() - started, 1)
    print(f"generation: {setup}")
    return tokens


def run(opts: Options, home: Path) -> None:
    from django.db import connection

    env = plantdesk_env(opts.db, home)
    setup: dict[str, Any] = {"code": code_state()}
    sections: dict[str, list[Any]] = {}
    if opts.reuse:
        migrate(env)  # a kept database gets the schema (e.g. new indexes) of the code measured now
        setup_django(env)
        reset_to_generated(opts)
        setup["articles"] = generate_articles_if_missing(opts)
        tokens = make_tokens()
    else:
        tokens = generate_all(opts, env, setup)
    if opts.generate_only:
        return
    connection.close()  # the servers must not wait on this process's idle transaction or connection
    searches = [s for s in SEARCHES if s[1] != "/api/v1/knowledge" or article_model() is not None]
    load = setup["load"] = {}  # the 1-minute load average after each section: other work shares the 2 cores
    with psycopg.connect(opts.db_url) as conn:
        stored = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall()).get("queue_alone")
    if stored:
        alone = json.loads(stored)
        print_stored(f"queue, incidents alone (measured when the data was generated, load {alone.pop('load', '?')})",
                     alone)  # fmt: skip

    def done(title: str, results: list[Any]) -> None:
        """Print a section as soon as it is measured: a later phase that fails loses nothing."""
        sections[title] = results
        load[title] = round(os.getloadavg()[0], 1)
        if title.startswith("queue"):
            print(f"\n{title} (load average {load[title]})")
            inc.print_table(results)
        else:
            print_table(f"{title} (load average {load[title]})", results)

    try:
        if "search" in opts.only:
            searches = _answering(env, tokens, searches, opts.port + 1)
            done("search, cold", measure_search_cold(opts, env, tokens, searches))
        with inc.serve(env, 2, 1, port=opts.port) as base:
            if "search" in opts.only:
                done("search, warm", measure_search_warm(opts, base, tokens, searches))
            if "publish" in opts.only:
                done("publish", measure_publish(opts, base, tokens))
        if opts.queue and "queue" in opts.only:
            done("queue, with problems and knowledge beside", _queue(opts, env, tokens))
        if "search" in opts.only:
            explain_searches(tokens, searches, sections["search, cold"] + sections["search, warm"], opts.explain)
    finally:
        report_footer(setup["code"], write_json(opts, sections, setup) if opts.json else None)


def main() -> None:
    opts = parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run_in_scratch(run, opts)


if __name__ == "__main__":
    main()
