"""A large import takes the bulk paths (COPY on PostgreSQL): same rows, same audit chain as small imports."""

from __future__ import annotations

import datetime as dt

from plantdesk.cmdb.actions import do_create_ci
from plantdesk.cmdb.importer import do_import_cis, parse
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.core.audit import verify_chain
from plantdesk.core.models import AuditEntry
from plantdesk.testing.fixtures import Plant

VMS = 150  # with their applications: well over the 200 audit entries a flush writes with INSERTs


def _csv() -> str:
    lines = ["name,ci_class,site,criticality,gxp_relevant,last_periodic_review,aliases,attr:cpu_cores,rel:runs_on"]
    for i in range(VMS):
        lines.append(f"IMP-VM-{i:03d},virtual_machine,ber,high,true,2025-03-0{i % 9 + 1},imp-vm-{i},{i % 8 + 1},")
        lines.append(f"IMP-APP-{i:03d},application,,low,false,,,,IMP-VM-{i:03d};IMP-VM-{(i + 1) % VMS:03d}")
    return "\n".join(lines) + "\n"


def test_a_large_import_writes_every_value_relationship_and_audit_entry(plant: Plant) -> None:
    audit_before = AuditEntry.objects.count()
    report = do_import_cis(parse(_csv(), "csv"), actor=plant.admin)

    assert len(report.created) == 2 * VMS
    assert report.relationships_added == 2 * VMS
    vm = ConfigurationItem.objects.select_related("ci_class", "site").get(name="IMP-VM-007")
    assert (vm.ci_class.name, vm.site.code if vm.site else None, vm.criticality) == ("virtual_machine", "ber", "high")
    assert vm.gxp_relevant is True
    assert vm.last_periodic_review == dt.date(2025, 3, 8)
    assert vm.attributes == {"cpu_cores": 8}
    assert list(vm.aliases.values_list("value", flat=True)) == ["imp-vm-7"]
    assert vm.created_at == vm.updated_at
    app = ConfigurationItem.objects.get(name="IMP-APP-149")
    assert app.site is None
    assert app.attributes == {}
    targets = Relationship.objects.filter(source=app).values_list("target__name", flat=True)
    assert sorted(targets) == ["IMP-VM-000", "IMP-VM-149"]

    # One entry per CI and per relationship, chained.
    assert AuditEntry.objects.count() - audit_before == 4 * VMS
    assert AuditEntry.objects.filter(record_id=vm.pk, action="imported").exists()
    assert verify_chain().ok

    # Ids came from the table's own sequence: the next CI created the usual way does not collide.
    later = do_create_ci({"name": "AFTER-IMPORT", "ci_class": "server", "site": "ber"}, actor=plant.agent)
    assert later.pk > max(ConfigurationItem.objects.exclude(pk=later.pk).values_list("pk", flat=True))


def test_a_second_import_adds_only_missing_relationships(plant: Plant) -> None:
    do_import_cis(parse(_csv(), "csv"), actor=plant.admin)
    extra = "name,rel:runs_on\nIMP-APP-000,IMP-VM-000;IMP-VM-005\n"
    report = do_import_cis(parse(extra, "csv"), actor=plant.admin)
    assert report.relationships_added == 1
    assert Relationship.objects.filter(source__name="IMP-APP-000").count() == 3
    assert verify_chain().ok
