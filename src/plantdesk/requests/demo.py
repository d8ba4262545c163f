"""The demo plant's service catalog: what people in a regulated plant order first. Idempotent."""

from __future__ import annotations

from typing import Any

from plantdesk.accounts.actions import do_set_manager
from plantdesk.accounts.models import User
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.requests.catalog import do_create_catalog_item, do_create_category
from plantdesk.requests.models import CatalogCategory, CatalogItem

CONSUMABLES = "label-printer-consumables"
CATEGORIES = [
    ("access", "Access and accounts", "Roles in MES, LIMS and HMIs; vendor remote access", 10),
    ("reports", "Reports", "New or changed reports from MES, LIMS and the historian", 20),
    ("hardware", "Hardware", "Laptops, scanners and printers", 30),
    ("consumables", "Consumables", "Labels, ribbons and toner for the lines", 40),
]
ROLE = {"name": "role", "label": "Role", "type": "choice", "required": True}
WHY = {"name": "justification", "label": "Why is it needed?", "type": "textarea", "required": True}
ITEMS: list[dict[str, Any]] = [
    {
        "name": "mes-role-access", "category": "access", "title": "MES role access", "gxp": True, "order": 10,
        "description": "A role in the MES for batch execution or review. GxP: your manager and QA approve it, "
                       "and the access ends after 90 days unless ordered again.",
        "approval": ["manager", "qa"],
        "questions": [
            {**ROLE, "choices": ["Operator", "Supervisor", "Batch reviewer"]},
            {"name": "ebr_signing", "label": "Will you sign electronic batch records?", "type": "boolean"},
            {"name": "training", "label": "Part 11 training record (number)", "type": "text", "required": True,
             "show_if": {"question": "ebr_signing", "equals": True}},
            WHY,
        ],
        "tasks": [
            {"stage": 1, "short_description": "Create the MES role assignment", "assignment_group": "MES Support"},
            {"stage": 2, "short_description": "Verify the role against the training record",
             "assignment_group": "MES Support"},
            {"stage": 2, "short_description": "Add the person to the shift's MES distribution list",
             "assignment_group": "Service Desk"},
        ],
        "access": {"system": "BER-MES-APP01", "role": "{role}", "max_days": 90},
    },
    {
        "name": "lims-account", "category": "access", "title": "LIMS account", "gxp": True, "order": 20,
        "description": "An account in the laboratory information system. QA approves.",
        "approval": ["qa"],
        "questions": [{**ROLE, "choices": ["Analyst", "Reviewer", "Read only"]}, WHY],
        "tasks": [{"stage": 1, "short_description": "Create the LIMS account", "assignment_group": "MES Support"}],
        "access": {"system": "BER-LIMS-APP01", "role": "{role}", "max_days": 365},
    },
    {
        "name": "hmi-account", "category": "access", "title": "New HMI account", "order": 30,
        "description": "A personal login on a line's operator panel.",
        "approval": ["manager"],
        "questions": [
            {"name": "hmi", "label": "Operator panel", "type": "ci", "required": True},
            {"name": "level", "label": "Access level", "type": "choice", "required": True,
             "choices": ["Operator", "Maintenance"]},
        ],
        "tasks": [{"stage": 1, "short_description": "Create the HMI account", "assignment_group": "OT Engineering"}],
    },
    {
        "name": "vendor-remote-access", "category": "access", "title": "Vendor remote access", "order": 40,
        "description": "Time-boxed remote access through the OT gateway for a vendor's engineer, for an open "
                       "change or incident; it ends with that record at the latest.",
        "approval": ["group:OT Engineering"],
        "questions": [
            {"name": "vendor", "label": "Vendor and engineer", "type": "text", "required": True},
            {"name": "reference", "label": "Change or incident number", "type": "text", "required": True,
             "help": "CHG... or INC..., still open"},
            {"name": "days", "label": "Days needed (at most 14)", "type": "number", "required": True},
        ],
        "tasks": [{"stage": 1, "short_description": "Open the vendor's session on the OT gateway",
                   "assignment_group": "OT Engineering"}],
        "access": {"system": "BER-OTGW01", "role": "vendor remote", "max_days": 14, "reference": "reference",
                   "days": "days"},
    },
    {
        "name": "new-report", "category": "reports", "title": "New report", "order": 10,
        "description": "A report from the MES, the LIMS or the historian, once or on a schedule.",
        "questions": [
            {"name": "report", "label": "What should it show?", "type": "textarea", "required": True},
            {"name": "scheduled", "label": "Send it on a schedule?", "type": "boolean"},
            {"name": "every", "label": "How often", "type": "choice", "required": True,
             "choices": ["Every shift", "Daily", "Weekly"], "show_if": {"question": "scheduled", "equals": True}},
        ],
        "tasks": [{"stage": 1, "short_description": "Build the report", "assignment_group": "MES Support"}],
    },
    {
        "name": "laptop", "category": "hardware", "title": "Laptop", "order": 10,
        "description": "A standard plant laptop with the office and MES clients.",
        "approval": ["manager"],
        "questions": [{"name": "model", "label": "Model", "type": "choice", "required": True,
                       "choices": ["Standard 14 inch", "Rugged (shop floor)"]}],
        "tasks": [
            {"stage": 1, "short_description": "Prepare and image the laptop", "assignment_group": "Service Desk"},
            {"stage": 2, "short_description": "Hand the laptop over", "assignment_group": "Service Desk"},
        ],
    },
    {
        "name": CONSUMABLES, "category": "consumables", "title": "Label printer consumables", "order": 10,
        "description": "Toner, ribbons or labels for a line's printer; opened by the printer itself when it runs low.",
        "questions": [
            {"name": "printer", "label": "Printer", "type": "ci", "required": True},
            {"name": "details", "label": "What is needed", "type": "textarea"},
        ],
        "tasks": [{"stage": 1, "short_description": "Bring the consumables to the line",
                   "assignment_group": "Service Desk"}],
    },
]  # fmt: skip
MANAGERS = {"jdoe": "kschmidt", "slee": "kschmidt", "mmueller": "kschmidt", "okoch": "kschmidt"}


def load_demo_catalog(admin: User) -> int:
    """Create what is missing of the demo catalog; returns the number of items created."""
    needed = {"BER-MES-APP01", "BER-LIMS-APP01", "BER-OTGW01"}
    if ConfigurationItem.objects.filter(name__in=needed).count() < len(needed):
        return 0  # not the demo plant
    for name, title, description, order in CATEGORIES:
        if not CatalogCategory.objects.filter(name=name).exists():
            do_create_category({"name": name, "title": title, "description": description, "order": order},
                               actor=admin)  # fmt: skip
    created = 0
    for item in ITEMS:
        if not CatalogItem.objects.filter(name=item["name"]).exists():
            do_create_catalog_item(item, actor=admin)
            created += 1
    people = {u.username: u for u in User.objects.filter(username__in=[*MANAGERS, *MANAGERS.values()])}
    for person, manager in MANAGERS.items():
        if person in people and manager in people and people[person].manager_id is None:
            do_set_manager(people[person], people[manager], actor=admin)
    return created
