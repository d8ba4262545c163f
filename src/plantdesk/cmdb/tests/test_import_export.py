"""Import (CSV / JSON, all or nothing, dry run, row errors with line numbers) and export round trips."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from plantdesk.cmdb.demo import load_demo_cmdb
from plantdesk.cmdb.exporter import export_csv, export_json
from plantdesk.cmdb.importer import ImportRefused, do_import_cis, parse
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.core.audit import verify_chain
from plantdesk.core.models import AuditEntry
from plantdesk.testing.fixtures import Plant

CSV = """name,ci_class,site,criticality,aliases,attr:vendor,attr:cpu_cores,rel:runs_on,rel:depends_on
BER-VM-100,virtual_machine,ber,high,bervm100;10.0.0.100,,4,,
BER-APP-100,application,ber,medium,,Acme,,BER-VM-100,
SVC-100,business_service,,critical,,,,,BER-APP-100
"""


def test_csv_import_creates_cis_aliases_and_relationships(plant: Plant) -> None:
    report = do_import_cis(parse(CSV, "csv"), actor=plant.admin)
    assert sorted(report.created) == ["BER-APP-100", "BER-VM-100", "SVC-100"]
    assert report.relationships_added == 2
    vm = ConfigurationItem.objects.get(name="BER-VM-100")
    assert vm.attributes == {"cpu_cores": 4}
    assert sorted(vm.aliases.values_list("value", flat=True)) == ["10.0.0.100", "bervm100"]
    assert Relationship.objects.filter(source__name="BER-APP-100", type__name="runs_on", target=vm).exists()
    assert AuditEntry.objects.filter(record_type="ci", record_id=vm.pk, action="imported").exists()
    assert verify_chain().ok


def test_one_bad_row_writes_nothing_and_names_its_line(plant: Plant) -> None:
    rows = ["name,ci_class,site,attr:cpu_cores"] + [f"BER-VM-{i},virtual_machine,ber,{i % 8 + 1}" for i in range(300)]
    rows[151] = "BER-VM-BAD,virtual_machine,ber,many"
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ImportRefused) as refused:
        do_import_cis(parse("\n".join(rows), "csv"), actor=plant.agent)
    assert refused.value.report.errors == [("line 152", "attributes.cpu_cores", "Must be an integer.")]
    assert not ConfigurationItem.objects.exists()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    ("csv_text", "where", "field"),
    [
        ("name,ci_class\nX,toaster\n", "line 2", "ci_class"),
        ("name,ci_class\nX,server\nX,server\n", "line 3", "name"),
        ("name,ci_class,rel:runs_on\nX,application,NOWHERE\n", "line 2", "rel:runs_on"),
        ("name,ci_class,rel:loves\nX,application,Y\nY,server,\n", "line 2", "rel:loves"),
        ("name,ci_class,aliases\nX,server,a1\nY,server,a1\n", "line 3", "aliases"),
        ("name,site\nNEW-ONE,ber\n", "line 2", "ci_class"),
    ],
)
def test_row_errors_point_at_the_line_and_field(plant: Plant, csv_text: str, where: str, field: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        do_import_cis(parse(csv_text, "csv"), actor=plant.agent)
    assert (where, field) in [(w, f) for w, f, _ in refused.value.report.errors]
    assert not ConfigurationItem.objects.exists()


def test_export_imports_back_unchanged_and_a_dry_run_shows_changes(plant: Plant) -> None:
    load_demo_cmdb(plant.admin)
    count = ConfigurationItem.objects.count()
    for text, fmt in ((export_json(), "json"), (export_csv(), "csv")):
        report = do_import_cis(parse(text, fmt), actor=plant.admin)
        assert (report.created, report.updated, report.unchanged) == ([], {}, count), fmt
    document = json.loads(export_json())
    plc = next(c for c in document["cis"] if c["name"] == "BER-L3-PLC01")
    plc["criticality"] = "high"
    plc["aliases"] = [*plc["aliases"], "10.3.0.1"]
    preview = do_import_cis(parse(json.dumps(document), "json"), actor=plant.admin, dry_run=True)
    assert preview.updated == {"BER-L3-PLC01": ["criticality", "aliases"]}
    assert ConfigurationItem.objects.get(name="BER-L3-PLC01").criticality == "critical"  # nothing written
    applied = do_import_cis(parse(json.dumps(document), "json"), actor=plant.admin)
    assert applied.updated == {"BER-L3-PLC01": ["criticality"]}
    plc_row = ConfigurationItem.objects.get(name="BER-L3-PLC01")
    assert plc_row.criticality == "high"
    assert "10.3.0.1" in plc_row.aliases.values_list("value", flat=True)


def test_cli_import_dry_run_and_export(plant: Plant, tmp_path: Path) -> None:
    source = tmp_path / "cmdb.csv"
    source.write_text(CSV)
    out = io.StringIO()
    call_command("import", "cis", str(source), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "create BER-VM-100" in out.getvalue()
    assert "Dry run: nothing was written." in out.getvalue()
    assert not ConfigurationItem.objects.exists()
    call_command("import", "cis", str(source), stdout=io.StringIO(), stderr=io.StringIO())
    assert ConfigurationItem.objects.count() == 3
    exported = io.StringIO()
    call_command("export", "cis", stdout=exported)
    assert {c["name"] for c in json.loads(exported.getvalue())["cis"]} == {"BER-VM-100", "BER-APP-100", "SVC-100"}
    bad = tmp_path / "bad.csv"
    bad.write_text("name,ci_class\nZ,toaster\n")
    errors = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "cis", str(bad), stdout=io.StringIO(), stderr=errors)
    assert "line 2: ci_class" in errors.getvalue()


def test_the_cli_imports_as_the_system_account_across_sites(plant: Plant, tmp_path: Path) -> None:
    """The CLI acts as the inactive system account, which sees and changes every site's CIs."""
    do_import_cis(parse("name,ci_class,site\nSIN-DB-01,database,sin\n", "csv"), actor=plant.admin)
    path = tmp_path / "rel.csv"
    path.write_text("name,ci_class,site,rel:runs_on\nSIN-APP-01,application,sin,\nBER-APP-09,application,ber,\n")
    call_command("import", "cis", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    path.write_text("name,rel:depends_on\nBER-APP-09,SIN-DB-01\n")
    call_command("import", "cis", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Relationship.objects.filter(source__name="BER-APP-09", target__name="SIN-DB-01").exists()
