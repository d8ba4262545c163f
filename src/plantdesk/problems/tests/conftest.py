"""Problems tests run on the small plant with its CMDB items, plus a GxP system and line 3's printer."""

from __future__ import annotations

from typing import Any

import pytest

from plantdesk.changes.tests.conftest import cp  # noqa: F401  (the change plant, for the fix-change tests)
from plantdesk.cmdb.actions import do_create_ci
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.testing.fixtures import ApiClient, Plant


@pytest.fixture
def cis(plant_cis: dict[str, ConfigurationItem], plant: Plant) -> dict[str, ConfigurationItem]:
    extra = {
        "BER-LIMS01": {"ci_class": "application", "site": "ber", "gxp_relevant": True, "support_group": "MES Support"},
        "BER-L3-PRN01": {"ci_class": "instrument", "site": "ber", "support_group": "OT Engineering"},
    }
    for name, fields in extra.items():
        plant_cis[name] = do_create_ci({"name": name, **fields}, actor=plant.admin)
    return plant_cis


@pytest.fixture
def agent_api(plant: Plant, cis: Any) -> ApiClient:
    return ApiClient(plant.agent)


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body
