"""Record identifiers refuse markup and control characters (they travel into URLs, exports and other systems):
CI names and aliases through the API, the pages' actions and the importer; ordinary names stay fine."""

from __future__ import annotations

import pytest
from django.test import Client

from plantdesk.cmdb.importer import ImportRefused, do_import_cis, parse
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.testing.fixtures import ApiClient, Plant

REFUSED = ["<script>alert(1)</script>", 'BER-"PLC"', "BER-PLC'1", "BER`id`", "R&D-SRV", "BER\tPLC", "BER\x1bPLC",
           "BER\x7fPLC", "BER\x85PLC"]  # fmt: skip
FINE = ["BER-L3-PLC01", "Linie 3 Füllanlage", "Halle 2.1 / Nord", "SAP ERP (PRD)", "Ölmühle_1"]


@pytest.mark.parametrize("name", REFUSED)
def test_the_api_refuses_a_ci_name_with_markup_or_control_characters(plant: Plant, name: str) -> None:
    response = ApiClient(plant.agent).post("/cis", {"name": name, "ci_class": "server", "site": "ber"})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["name"]
    assert not ConfigurationItem.objects.exists()


@pytest.mark.parametrize("name", FINE)
def test_ordinary_names_with_spaces_dots_slashes_and_umlauts_are_kept(plant: Plant, name: str) -> None:
    response = ApiClient(plant.agent).post("/cis", {"name": name, "ci_class": "server", "site": "ber"})
    assert response.status_code == 201, response.json()
    assert ConfigurationItem.objects.get().name == name


def test_a_rename_and_an_alias_are_checked_too(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    assert api.post("/cis", {"name": "BER-FILE01", "ci_class": "server", "site": "ber"}).status_code == 201
    renamed = api.patch("/cis/BER-FILE01", {"name": "BER-<FILE>01"})
    assert renamed.status_code == 400 and renamed.json()["errors"][0]["field"] == "name"
    aliased = api.patch("/cis/BER-FILE01", {"aliases": ["file01", "fs&1"]})
    assert aliased.status_code == 400 and aliased.json()["errors"][0]["field"] == "aliases"
    assert ConfigurationItem.objects.get().name == "BER-FILE01"


def test_the_importer_refuses_such_a_name_naming_its_line(plant: Plant) -> None:
    csv_text = "name,ci_class,site\nBER-VM-1,virtual_machine,ber\nBER-<VM>-2,virtual_machine,ber\n"
    with pytest.raises(ImportRefused) as refused:
        do_import_cis(parse(csv_text, "csv"), actor=plant.agent)
    assert [(w, f) for w, f, _ in refused.value.report.errors] == [("line 3", "name")]
    assert not ConfigurationItem.objects.exists()


def test_the_json_import_over_http_refuses_a_control_character(plant: Plant) -> None:
    body = '{"cis": [{"name": "BER-VM-\\u0007", "ci_class": "virtual_machine", "site": "ber"}]}'
    api = ApiClient(plant.agent)
    response = Client().post("/api/v1/cis/import", body, content_type="application/json", headers=api.headers)
    assert response.status_code in (400, 422)
    assert "name" in response.content.decode() and "U+0007" in response.content.decode()
    assert not ConfigurationItem.objects.exists()
