"""Service-request tests run on the small plant with a catalog built through the real actions: an HMI
account (no approval, one task), GxP LIMS access (manager then QA, two stages, time-boxed access), vendor
remote access (OT Engineering approves, tied to a change or incident) and a report with a conditional
question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from plantdesk.accounts.actions import do_set_manager
from plantdesk.cmdb.actions import do_create_ci
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.problems.tests.conftest import assert_error  # noqa: F401  (one error check for every app)
from plantdesk.requests.catalog import do_create_catalog_item, do_create_category
from plantdesk.testing.fixtures import ApiClient, Plant

HMI = {
    "name": "hmi-account",
    "category": "access",
    "title": "New HMI account",
    "questions": [
        {"name": "hmi", "label": "HMI", "type": "ci", "required": True},
        {"name": "operator", "label": "Operator's name", "type": "text", "required": True},
    ],
    "tasks": [{"stage": 1, "short_description": "Create the HMI account", "assignment_group": "OT Engineering"}],
}
LIMS = {
    "name": "lims-role-access",
    "category": "access",
    "title": "LIMS role access",
    "gxp": True,
    "approval": ["manager", "qa"],
    "questions": [
        {"name": "role", "label": "Role", "type": "choice", "required": True, "choices": ["analyst", "reviewer"]},
        {"name": "justification", "label": "Why", "type": "textarea", "required": True},
    ],
    "tasks": [
        {"stage": 1, "short_description": "Create the LIMS account", "assignment_group": "MES Support"},
        {"stage": 2, "short_description": "Assign the training", "assignment_group": "Service Desk"},
        {"stage": 2, "short_description": "Verify the role", "assignment_group": "MES Support"},
    ],
    "access": {"system": "BER-LIMS01", "role": "{role}", "max_days": 90},
}
VENDOR = {
    "name": "vendor-remote-access",
    "category": "access",
    "title": "Vendor remote access",
    "approval": "group:OT Engineering",
    "questions": [
        {"name": "vendor", "label": "Vendor", "type": "text", "required": True},
        {"name": "reference", "label": "Change or incident", "type": "text", "required": True},
        {"name": "days", "label": "Days", "type": "number", "required": True},
    ],
    "access": {
        "system": "BER-OTGW01",
        "role": "vendor remote",
        "max_days": 14,
        "reference": "reference",
        "days": "days",
    },
}
REPORT = {
    "name": "report-setup", "category": "reports", "title": "Report setup",
    "questions": [
        {"name": "report", "label": "Report", "type": "text", "required": True},
        {"name": "scheduled", "label": "Send it on a schedule?", "type": "boolean"},
        {"name": "every", "label": "How often", "type": "choice", "required": True, "choices": ["daily", "weekly"],
         "show_if": {"question": "scheduled", "equals": True}},
    ],
}  # fmt: skip


@dataclass
class Catalog:
    plant: Plant
    cis: dict[str, ConfigurationItem]

    def api(self, user: Any) -> ApiClient:
        return ApiClient(user)


@pytest.fixture
def catalog(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> Catalog:
    plant_cis["BER-LIMS01"] = do_create_ci(
        {"name": "BER-LIMS01", "ci_class": "application", "site": "ber", "gxp_relevant": True,
         "support_group": "MES Support"},
        actor=plant.admin,
    )  # fmt: skip
    do_create_category({"name": "access", "title": "Access"}, actor=plant.admin)
    do_create_category({"name": "reports", "title": "Reports"}, actor=plant.admin)
    for item in (HMI, LIMS, VENDOR, REPORT):
        do_create_catalog_item(item, actor=plant.admin)
    do_set_manager(plant.requester, plant.manager, actor=plant.admin)
    return Catalog(plant, plant_cis)


def order(api: ApiClient, name: str, answers: dict[str, Any], **extra: Any) -> Any:
    return api.post("/requests", {"items": [{"catalog_item": name, "answers": answers}], **extra})


LIMS_ANSWERS = {"role": "analyst", "justification": "New QC analyst on line 3"}
