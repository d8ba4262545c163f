"""Changing the CMDB from the UI (create / edit / retire forms, the upload page) and importing through the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from plantdesk.cmdb.actions import do_create_ci
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.core.audit import verify_chain
from plantdesk.core.models import AuditEntry
from plantdesk.testing.fixtures import ApiClient, Plant, client_for, refused_as_agents_only, suggestions, text

pytestmark = pytest.mark.django_db

PLC = {
    "name": "BER-L5-PLC01", "ci_class": "plc", "status": "in_service", "criticality": "critical", "site": "ber",
    "support_group": "OT Engineering", "aliases": "BER-Plant/EdgeNode2/L5PLC01\n10.20.5.11",
    "attr_vendor": "Siemens", "attr_model": "S7-1500", "attr_firmware": "", "attr_ip_address": "10.20.5.11",
    "security_zone": "Control", "security_level_target": "3", "purdue_level": "1",
}  # fmt: skip

CSV = """name,ci_class,site,criticality,attr:cpu_cores,rel:runs_on
BER-VM-200,virtual_machine,ber,high,8,
BER-APP-200,application,ber,medium,,BER-VM-200
"""


# -- create / edit / retire ----------------------------------------------------------------------


def test_the_form_shows_the_attribute_fields_of_the_chosen_class(plant: Plant) -> None:
    agent = client_for(plant.agent)
    blank = text(agent.get("/cmdb/new/"))
    assert "Choose a class to see its attributes." in blank
    server = text(agent.get("/cmdb/new/attributes/", {"ci_class": "server"}))
    assert 'name="attr_os"' in server and 'name="attr_cpu_cores"' in server
    assert 'type="number"' in server  # cpu_cores is an integer in the class schema
    application = text(agent.get("/cmdb/new/attributes/", {"ci_class": "application"}))
    assert '<option value="mes">mes</option>' in application  # app_type is a choice


def test_an_agent_creates_a_ci_with_attributes_aliases_and_security_fields(plant: Plant) -> None:
    response = client_for(plant.agent).post("/cmdb/new/", PLC)
    assert response.status_code == 303, text(response)
    assert response["Location"] == "/cmdb/BER-L5-PLC01/"
    plc = ConfigurationItem.objects.get(name="BER-L5-PLC01")
    assert plc.attributes == {"vendor": "Siemens", "model": "S7-1500", "ip_address": "10.20.5.11"}
    assert sorted(plc.aliases.values_list("value", flat=True)) == ["10.20.5.11", "BER-Plant/EdgeNode2/L5PLC01"]
    assert (plc.security_zone, plc.security_level_target, plc.purdue_level) == ("Control", 3, "1")
    assert plc.support_group is not None and plc.support_group.name == "OT Engineering"
    assert AuditEntry.objects.filter(record_type="ci", record_id=plc.pk, field="security_zone").exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"attr_ip_address": "x" * 1001}, "attr_ip_address", "at most 1000 characters"),
        ({"name": ""}, "name", "This field is required."),
        ({"ci_class": "toaster"}, "ci_class", "Select a valid choice."),
        ({"site": "sin"}, "site", "Select a valid choice."),  # the agent serves Berlin only
        ({"aliases": "BER-HIST01-ALIAS"}, "aliases", "already an alias of BER-HIST01"),
        ({"name": "BER-HIST01"}, "name", "exists already"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_written(
    plant: Plant, change: dict[str, str], field: str, message: str
) -> None:
    do_create_ci(
        {"name": "BER-HIST01", "ci_class": "historian", "site": "ber", "aliases": ["BER-HIST01-ALIAS"]},
        actor=plant.agent,
    )
    before = (ConfigurationItem.objects.count(), AuditEntry.objects.count())
    response = client_for(plant.agent).post("/cmdb/new/", PLC | change)
    assert response.status_code == 400
    html = text(response)
    assert f'id="id_{field}_error"' in html, html
    assert message.lower() in html.lower()
    assert (ConfigurationItem.objects.count(), AuditEntry.objects.count()) == before


def test_a_wrong_attribute_type_from_the_api_names_the_attribute(plant: Plant) -> None:
    response = ApiClient(plant.agent).post(
        "/cis", {"name": "X-1", "ci_class": "server", "site": "ber", "attributes": {"cpu_cores": "many"}}
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["attributes.cpu_cores"]
    outside = ApiClient(plant.agent).post("/cis", {"name": "SIN-X-1", "ci_class": "server", "site": "sin"})
    assert outside.status_code == 400 and [e["field"] for e in outside.json()["errors"]] == ["site"]
    assert not ConfigurationItem.objects.exists()


def test_editing_a_ci_is_audited_and_shown_on_its_history_tab(plant: Plant) -> None:
    agent = client_for(plant.agent)
    agent.post("/cmdb/new/", PLC)
    form = text(agent.get("/cmdb/BER-L5-PLC01/edit/"))
    assert 'value="S7-1500"' in form and "BER-Plant/EdgeNode2/L5PLC01" in form
    edited = agent.post("/cmdb/BER-L5-PLC01/edit/", PLC | {"criticality": "high", "attr_firmware": "V3.1"})
    assert edited.status_code == 303, text(edited)
    plc = ConfigurationItem.objects.get(name="BER-L5-PLC01")
    assert plc.criticality == "high" and plc.attributes["firmware"] == "V3.1"
    history = text(agent.get("/cmdb/BER-L5-PLC01/", {"tab": "history"}))
    assert "Criticality" in history
    assert '<span class="old" title="critical">Critical</span>' in history
    assert '<span class="new" title="high">High</span>' in history
    assert "V3.1" in history
    assert verify_chain().ok


def test_retiring_needs_a_reason_and_ends_editing(plant: Plant) -> None:
    agent = client_for(plant.agent)
    agent.post("/cmdb/new/", PLC)
    refused = agent.post("/cmdb/BER-L5-PLC01/retire/", {"reason": " "})
    assert refused.status_code == 400 and "A reason is required" in text(refused)
    assert ConfigurationItem.objects.get(name="BER-L5-PLC01").status == "in_service"
    assert agent.post("/cmdb/BER-L5-PLC01/retire/", {"reason": "Line 5 dismantled"}).status_code == 303
    page = text(agent.get("/cmdb/BER-L5-PLC01/"))
    assert "Retired" in page and "Line 5 dismantled" in page
    assert "/cmdb/BER-L5-PLC01/edit/" not in page


def test_requesters_cannot_reach_the_forms(plant: Plant) -> None:
    requester = client_for(plant.requester)
    assert refused_as_agents_only(requester.post("/cmdb/new/", PLC))
    assert not ConfigurationItem.objects.exists()


# -- the upload page -----------------------------------------------------------------------------


def upload(client: Client, content: str, name: str = "cis.csv", **buttons: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/cmdb/import/", {"file": SimpleUploadedFile(name, content.encode()), **buttons})


def test_the_upload_page_previews_then_imports(plant: Plant) -> None:
    agent = client_for(plant.agent)
    preview = upload(agent, CSV)
    assert preview.status_code == 200
    html = text(preview)
    assert "Preview: nothing was written yet" in html and "<code>BER-VM-200</code>" in html
    assert not ConfigurationItem.objects.exists()
    imported = upload(agent, CSV, **{"import": "1"})
    assert imported.status_code == 200
    assert 'href="/cmdb/BER-APP-200/"' in text(imported)
    assert Relationship.objects.filter(source__name="BER-APP-200", target__name="BER-VM-200").exists()


def test_the_upload_page_lists_the_rows_at_fault_and_writes_nothing(plant: Plant) -> None:
    bad = CSV + "BER-VM-201,virtual_machine,ber,high,many,\n"
    response = upload(client_for(plant.agent), bad, **{"import": "1"})
    assert response.status_code == 400
    html = text(response)
    assert "1 error: nothing was imported" in html
    assert "line 4" in html and "attributes.cpu_cores" in html and "Must be an integer." in html
    assert not ConfigurationItem.objects.exists()
    not_utf8 = client_for(plant.agent).post(
        "/cmdb/import/", {"file": __import__("io").BytesIO(b"name\n\xff\xfe\n"), "import": "1"}
    )
    assert not_utf8.status_code == 400


# -- the API -------------------------------------------------------------------------------------


def test_api_import_of_a_csv_body_with_dry_run(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    dry = api.client.post("/api/v1/cis/import?dry_run=true", CSV, content_type="text/csv", headers=api.headers)
    assert dry.status_code == 200, dry.content
    assert dry.json() == {
        "dry_run": True, "created": ["BER-VM-200", "BER-APP-200"], "updated": [], "unchanged": 0,
        "relationships_added": 1,
    }  # fmt: skip
    assert not ConfigurationItem.objects.exists()
    done = api.client.post("/api/v1/cis/import", CSV, content_type="text/csv", headers=api.headers)
    assert done.status_code == 200 and done.json()["relationships_added"] == 1
    again = api.client.post(
        "/api/v1/cis/import", CSV.replace("high", "critical"), content_type="text/csv", headers=api.headers
    )
    assert again.json()["updated"] == [{"name": "BER-VM-200", "fields": ["criticality"]}]
    assert again.json()["unchanged"] == 1


def test_api_import_of_json_and_of_a_multipart_file(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    document = {"cis": [{"name": "SVC-300", "ci_class": "business_service", "criticality": "high", "site": "ber"}]}
    as_json = api.client.post(
        "/api/v1/cis/import", json.dumps(document), content_type="application/json", headers=api.headers
    )
    assert as_json.status_code == 200 and as_json.json()["created"] == ["SVC-300"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    multipart = api.client.post(
        "/api/v1/cis/import", {"file": SimpleUploadedFile("plant.csv", CSV.encode())}, headers=api.headers
    )
    assert multipart.status_code == 200, multipart.content
    assert multipart.json()["created"] == ["BER-VM-200", "BER-APP-200"]


def test_api_import_refuses_a_bad_file_naming_the_line_and_writes_nothing(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    bad = CSV + "BER-APP-201,application,ber,medium,,NOWHERE\n"
    response = api.client.post("/api/v1/cis/import", bad, content_type="text/csv", headers=api.headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "line 4: rel:runs_on"
    assert not ConfigurationItem.objects.exists()
    empty = api.client.post("/api/v1/cis/import", "", content_type="text/csv", headers=api.headers)
    assert empty.status_code == 400 and empty.json()["errors"][0]["field"] == "file"
    wrong = api.client.post("/api/v1/cis/import?format=xml", CSV, content_type="text/csv", headers=api.headers)
    assert wrong.status_code in (400, 422)
    requester = ApiClient(plant.requester)
    refused = requester.client.post("/api/v1/cis/import", CSV, content_type="text/csv", headers=requester.headers)
    assert refused.status_code == 403


def test_ci_inputs_suggest_visible_cis_by_name_and_alias(plant: Plant, plant_cis: dict[str, Any]) -> None:
    from plantdesk.cmdb.actions import do_retire_ci, do_update_ci

    do_update_ci(plant_cis["BER-OTGW01"], {"aliases": ["BER-Plant/EdgeNode1"]}, actor=plant.admin)
    do_create_ci({"name": "BER-MES-APP02", "ci_class": "application", "site": "ber"}, actor=plant.admin)
    do_retire_ci(ConfigurationItem.objects.get(name="BER-MES-APP02"), "Replaced", actor=plant.admin)
    requester = client_for(plant.requester)  # callers pick CIs on the portal too
    names = suggestions(requester.get("/cmdb/suggest/", {"ci": "ber-"}))
    assert names["BER-MES-APP01"] == "Application"
    assert "BER-MES-APP02" not in names  # retired
    assert "SIN-MES-APP01" not in suggestions(requester.get("/cmdb/suggest/", {"ci": "SIN"}))  # another site
    by_alias = suggestions(requester.get("/cmdb/suggest/", {"ci": "BER-Plant/"}))
    assert by_alias == {"BER-OTGW01": "alias BER-Plant/EdgeNode1"}
    # Several CIs: the name being typed is the last one of the list.
    assert "BER-OTGW01" in suggestions(requester.get("/cmdb/suggest/", {"cis__typed": "BER-MES-APP01, BER-OT"}))
    form = text(client_for(plant.agent).get("/incidents/new/"))
    assert 'aria-controls="id_ci-suggestions"' in form and 'hx-get="/cmdb/suggest/"' in form


def test_api_import_takes_files_above_the_1_mib_json_body_limit(plant: Plant) -> None:
    rows = ["name,ci_class,site,description"] + [f"BER-WS-{n:03},workstation,ber,{'x' * 4000}" for n in range(300)]
    big = "\n".join(rows)
    assert len(big) > 1024 * 1024
    api = ApiClient(plant.agent)
    response = api.client.post("/api/v1/cis/import", big, content_type="text/csv", headers=api.headers)
    assert response.status_code == 200, response.content[:500]
    assert len(response.json()["created"]) == 300


def test_relationships_are_added_and_removed_on_the_ci_page(plant: Plant, plant_cis: dict[str, Any]) -> None:
    agent = client_for(plant.agent)
    added = agent.post(
        "/cmdb/BER-MES-APP01/relationships/", {"role": "target", "type": "depends_on", "other": "BER-HIST01"}
    )
    assert added.status_code == 303, text(added)
    relationship = Relationship.objects.get(source__name="BER-HIST01", type__name="depends_on")
    assert relationship.target.name == "BER-MES-APP01"
    page = text(agent.get("/cmdb/BER-MES-APP01/"))
    assert f"/cmdb/BER-MES-APP01/relationships/{relationship.pk}/remove/" in page
    wrong_class = agent.post(
        "/cmdb/BER-MES-APP01/relationships/", {"role": "source", "type": "hosted_on", "other": "BER-HIST01"}
    )
    assert wrong_class.status_code == 400
    assert 'id="id_other_error"' in text(wrong_class) and "points to server, virtual_machine" in text(wrong_class)
    unknown = agent.post("/cmdb/BER-MES-APP01/relationships/", {"role": "source", "type": "uses", "other": "NOPE"})
    assert unknown.status_code == 400 and "Unknown CI &#x27;NOPE&#x27;" in text(unknown)
    removed = agent.post(f"/cmdb/BER-MES-APP01/relationships/{relationship.pk}/remove/")
    assert removed.status_code == 303
    assert not Relationship.objects.exists()
    assert AuditEntry.objects.filter(record_id=plant_cis["BER-HIST01"].pk, action="relationship_removed").exists()


# -- rules the review asked for ------------------------------------------------------------------


def test_enterprise_wide_cis_are_the_administrators(plant: Plant) -> None:
    do_create_ci({"name": "ERP-PRD", "ci_class": "application"}, actor=plant.admin)
    api = ApiClient(plant.agent)
    assert api.get("/cis/ERP-PRD").status_code == 200  # everyone reads them
    changed = api.patch("/cis/ERP-PRD", {"criticality": "low"})
    assert changed.status_code == 403 and "administrators" in changed.json()["detail"]
    created = api.post("/cis", {"name": "WAN-01", "ci_class": "network_device"})
    assert created.status_code == 400 and [e["field"] for e in created.json()["errors"]] == ["site"]
    moved = api.post("/cis", {"name": "BER-X-1", "ci_class": "server", "site": "ber"})
    assert moved.status_code == 201
    assert api.patch("/cis/BER-X-1", {"site": None}).json()["errors"][0]["field"] == "site"
    form = text(client_for(plant.agent).get("/cmdb/new/"))
    assert "Enterprise-wide" not in form
    assert "Enterprise-wide" in text(client_for(plant.admin).get("/cmdb/new/"))
    assert ConfigurationItem.objects.get(name="ERP-PRD").criticality == "medium"


@pytest.mark.parametrize("name", ["new", "import", "suggest", "BER/edit", "A/retire/", "B/"])
def test_names_the_pages_use_are_reserved(plant: Plant, name: str) -> None:
    response = ApiClient(plant.agent).post("/cis", {"name": name, "ci_class": "server", "site": "ber"})
    assert response.status_code == 400 and "reserved" in response.json()["errors"][0]["message"]


def test_a_retired_ci_keeps_its_relationships_and_takes_no_new_ones(plant: Plant, plant_cis: dict[str, Any]) -> None:
    from plantdesk.cmdb.actions import do_create_relationship, do_retire_ci

    kept = do_create_relationship("BER-MES-APP01", "uses", "BER-HIST01", actor=plant.agent)
    do_retire_ci(plant_cis["BER-HIST01"], "Replaced by BER-HIST02", actor=plant.agent)
    agent = client_for(plant.agent)
    new = agent.post("/cmdb/BER-MES-APP01/relationships/", {"role": "source", "type": "uses", "other": "BER-HIST01"})
    assert new.status_code == 400 and "BER-HIST01 is retired and takes no new relationships." in text(new)
    removed = agent.post(f"/cmdb/BER-MES-APP01/relationships/{kept.pk}/remove/")
    assert removed.status_code == 409 and "relationships are kept" in text(removed)
    assert Relationship.objects.filter(pk=kept.pk).exists()
    assert agent.get("/cmdb/BER-HIST01/edit/").status_code == 303


def test_the_relationship_form_suggests_the_other_ci(plant: Plant, plant_cis: dict[str, Any]) -> None:
    page = text(client_for(plant.agent).get("/cmdb/BER-MES-APP01/"))
    assert 'aria-controls="id_other-suggestions"' in page
    assert suggestions(client_for(plant.agent).get("/cmdb/suggest/", {"other": "BER-H"}))["BER-HIST01"] == "Historian"


def test_an_incident_keeps_its_retired_ci_when_sent_back_unchanged(plant: Plant, plant_cis: dict[str, Any]) -> None:
    from plantdesk.cmdb.actions import do_retire_ci
    from plantdesk.testing.fixtures import make_incident

    incident = make_incident(plant.agent, ci="BER-HIST01")
    do_retire_ci(plant_cis["BER-HIST01"], "Replaced", actor=plant.agent)
    api = ApiClient(plant.agent)
    same = api.patch(f"/incidents/{incident.number}", {"ci": "BER-HIST01", "urgency": 1})
    assert same.status_code == 200, same.content
    assert same.json()["ci"] == "BER-HIST01" and same.json()["urgency"] == 1
    other = api.patch(f"/incidents/{incident.number}", {"ci": "BER-OTGW01"})
    assert other.status_code == 200
    back = api.patch(f"/incidents/{incident.number}", {"ci": "BER-HIST01"})
    assert back.status_code == 400 and back.json()["errors"][0]["field"] == "ci"


# -- an import follows the rules of the single-CI actions ----------------------------------------


def import_errors(actor: Any, csv_text: str) -> list[tuple[str, str, str]]:
    from plantdesk.cmdb.importer import ImportRefused, do_import_cis, parse

    with pytest.raises(ImportRefused) as refused:
        do_import_cis(parse(csv_text, "csv"), actor=actor, dry_run=True)
    return refused.value.report.errors


def test_an_import_changes_only_cis_of_the_agents_sites(plant: Plant, plant_cis: dict[str, Any]) -> None:
    errors = import_errors(
        plant.agent,
        "name,ci_class,site,criticality,rel:uses\n"
        "SIN-MES-APP01,application,,low,\n"  # Singapore's CI
        "SIN-NEW-01,server,sin,,\n"  # placed at a site the agent does not serve
        "WAN-NEW-01,network_device,,,\n",  # enterprise-wide
    )
    assert [(where, field) for where, field, _ in errors] == [
        ("line 2", "name"),
        ("line 3", "site"),
        ("line 4", "site"),
    ]
    invisible_target = import_errors(
        plant.agent, "name,ci_class,site,rel:uses\nBER-NEW-02,application,ber,SIN-MES-APP01\n"
    )
    assert invisible_target == [("line 2", "rel:uses", "Unknown CI 'SIN-MES-APP01'.")]
    assert ConfigurationItem.objects.get(name="SIN-MES-APP01").criticality == "medium"
    api = ApiClient(plant.agent)
    response = api.client.post(
        "/api/v1/cis/import", "name,criticality\nSIN-MES-APP01,low\n", content_type="text/csv", headers=api.headers
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "line 2: name"


def test_an_import_neither_retires_nor_revives(plant: Plant, plant_cis: dict[str, Any]) -> None:
    from plantdesk.cmdb.actions import do_create_relationship, do_retire_ci
    from plantdesk.cmdb.exporter import export_csv
    from plantdesk.cmdb.importer import do_import_cis, parse

    do_create_relationship("BER-MES-APP01", "uses", "BER-HIST01", actor=plant.agent)
    do_retire_ci(plant_cis["BER-HIST01"], "Replaced", actor=plant.agent)
    retire = import_errors(plant.agent, "name,status\nBER-MES-APP01,retired\n")
    assert retire[0][1:] == ("status", "Retire a CI with its own action, which asks for a reason.")
    revive = import_errors(plant.agent, "name,status\nBER-HIST01,in_service\n")
    assert revive[0][1:] == ("name", "BER-HIST01 is retired and cannot be changed.")
    relate = import_errors(plant.agent, "name,rel:depends_on\nBER-OTGW01,BER-HIST01\n")
    assert relate[0][2] == "BER-HIST01 is retired and takes no new relationships."
    again = do_import_cis(parse(export_csv(), "csv"), actor=plant.admin)  # the export leaves retired CIs out
    assert again.unchanged == len(plant_cis) - 1 and not again.updated and again.relationships_added == 0
    kept = import_errors(plant.admin, "name,ci_class,status\nBER-HIST01,historian,retired\nBER-X,server,retired\n")
    assert kept == [("line 3", "status", "Retire a CI with its own action, which asks for a reason.")]


def test_a_json_import_with_malformed_relationships_is_a_400(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    for body in ({"cis": [], "relationships": 5}, {"cis": [], "relationships": [{"source": 1, "type": "uses"}]}):
        response = api.client.post(
            "/api/v1/cis/import", json.dumps(body), content_type="application/json", headers=api.headers
        )
        assert response.status_code == 400, response.content
        assert response.json()["errors"][0]["field"].startswith("relationships")
