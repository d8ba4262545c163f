"""The demo plant's CMDB: both sites from enterprise to PLC, the IT behind MES, ERP and LIMS, networks with
IEC 62443 zones, the business services the lines depend on and the product supply services they serve.

The relationships read as an OT engineer would draw them (docs/cmdb.md, "Which way a failure travels"): a
PLC failing stops its cell and line (`contains`), its HMI (`depends_on`) and the supply service of its line
(`serves`); its network links (`connected_to`) and where the line stands (`located_in`) carry no impact."""

from __future__ import annotations

from typing import Any

from plantdesk.accounts.models import User
from plantdesk.cmdb.actions import do_create_ci, do_create_relationship, do_delete_relationship
from plantdesk.cmdb.models import ConfigurationItem, Relationship

CI = tuple[str, str, dict[str, Any]]  # name, class, fields
Rel = tuple[str, str, str]  # source, type, target

# The product supply services, by site: (name, description, the lines that produce for it).
SUPPLY_SERVICES: dict[str, list[tuple[str, str, tuple[int, ...]]]] = {
    "ber": [("SVC-BER-ORAL", "Supply of oral liquids, Berlin (lines 1 and 2)", (1, 2)),
            ("SVC-BER-STERILE", "Supply of sterile injectables, Berlin (lines 3 and 4)", (3, 4))],
    "sin": [("SVC-SIN-TABLETS", "Supply of tablets, Singapore (lines 1 and 2)", (1, 2))],
}  # fmt: skip


def _site_cis(code: str, site: str, lines: int) -> tuple[list[CI], list[Rel]]:
    p = code.upper()
    cis: list[CI] = [
        (f"{p}-SITE", "site", {}),
        (f"{p}-AREA-PROD", "area", {}),
        (f"{p}-SW-CORE1", "network_device", {"security_zone": "Plant network", "purdue_level": "3",
                                            "criticality": "critical", "attributes": {"model": "Cisco C9500"}}),
        (f"{p}-FW-OT1", "firewall", {"security_zone": "OT DMZ", "conduit": "IT-OT", "security_level_target": 3,
                                    "security_level_achieved": 2, "purdue_level": "3.5", "criticality": "critical"}),
        (f"{p}-ESX-01", "server", {"attributes": {"os": "VMware ESXi 8", "cpu_cores": 32, "memory_gb": 512}}),
        (f"{p}-ESX-02", "server", {"attributes": {"os": "VMware ESXi 8", "cpu_cores": 32, "memory_gb": 512}}),
        (f"{p}-VM-MES01", "virtual_machine", {"aliases": [f"{code}mes01.plant.local"], "attributes": {"os": "RHEL 9"}}),
        (f"{p}-VM-LIMS01", "virtual_machine", {"aliases": [f"{code}lims01.plant.local"], "attributes": {"os": "Windows Server 2022"}}),
        (f"{p}-VM-DB01", "virtual_machine", {"aliases": [f"{code}db01.plant.local"], "attributes": {"os": "RHEL 9"}}),
        (f"{p}-MES-DB01", "database", {"attributes": {"engine": "PostgreSQL", "version": "16"}, "gxp_relevant": True}),
        (f"{p}-MES-APP01", "application", {"support_group": "MES Support", "criticality": "critical",
                                          "gxp_relevant": True, "gamp_category": 4, "validation_status": "validated",
                                          "part11_applicable": True, "attributes": {"app_type": "mes", "vendor": "Acme MES", "version": "11.2"}}),
        (f"{p}-LIMS-APP01", "application", {"support_group": "MES Support", "gxp_relevant": True, "gamp_category": 4,
                                           "validation_status": "validated", "part11_applicable": True,
                                           "attributes": {"app_type": "lims", "vendor": "LabWare", "version": "8"}}),
        (f"{p}-HIST01", "historian", {"support_group": "OT Engineering", "aliases": [f"{code}hist01"],
                                     "attributes": {"product": "AVEVA PI", "version": "2023"}}),
        (f"{p}-SCADA01", "scada_server", {"support_group": "OT Engineering", "security_zone": "Control",
                                         "purdue_level": "2", "criticality": "high"}),
        (f"{p}-OTGW01", "ot_gateway", {"support_group": "OT Engineering", "aliases": [f"{p}-Plant/EdgeNode1"],
                                      "attributes": {"sparkplug_group": f"{p}-Plant", "sparkplug_edge_node": "EdgeNode1"}}),
        (f"SVC-{p}-BATCH", "business_service", {"criticality": "critical", "description": f"Electronic batch recording, {site}"}),
        (f"SVC-{p}-QC", "business_service", {"criticality": "high", "description": f"QC release testing, {site}"}),
    ]  # fmt: skip
    # The virtualisation hosts need the core switch (MES and LIMS run on them); the OT side's links to the
    # firewall and the gateway are adjacency only.
    rels = [
        (f"{p}-AREA-PROD", "located_in", f"{p}-SITE"),
        (f"{p}-ESX-01", "depends_on", f"{p}-SW-CORE1"), (f"{p}-ESX-02", "depends_on", f"{p}-SW-CORE1"),
        (f"{p}-VM-MES01", "hosted_on", f"{p}-ESX-01"), (f"{p}-VM-LIMS01", "hosted_on", f"{p}-ESX-02"),
        (f"{p}-VM-DB01", "hosted_on", f"{p}-ESX-02"), (f"{p}-MES-DB01", "runs_on", f"{p}-VM-DB01"),
        (f"{p}-MES-APP01", "runs_on", f"{p}-VM-MES01"), (f"{p}-MES-APP01", "uses", f"{p}-MES-DB01"),
        (f"{p}-LIMS-APP01", "runs_on", f"{p}-VM-LIMS01"), (f"{p}-LIMS-APP01", "uses", f"{p}-MES-APP01"),
        (f"{p}-HIST01", "connected_to", f"{p}-FW-OT1"), (f"{p}-SCADA01", "connected_to", f"{p}-FW-OT1"),
        (f"{p}-FW-OT1", "connected_to", f"{p}-SW-CORE1"), (f"{p}-OTGW01", "connected_to", f"{p}-FW-OT1"),
        (f"SVC-{p}-BATCH", "depends_on", f"{p}-MES-APP01"), (f"SVC-{p}-QC", "depends_on", f"{p}-LIMS-APP01"),
    ]  # fmt: skip
    for name, description, served_by in SUPPLY_SERVICES[code]:
        cis.append((name, "business_service", {"criticality": "critical", "description": description}))
        rels += [(f"{p}-L{n}", "serves", name) for n in served_by]
    for n in range(1, lines + 1):
        line, cell = f"{p}-L{n}", f"{p}-L{n}-C1"
        cis += [
            (line, "line", {"criticality": "critical" if n == 3 else "high", "attributes": {"capacity_per_hour": 6000}}),
            (cell, "cell", {}),
            (f"{p}-L{n}-PLC01", "plc", {"support_group": "OT Engineering", "criticality": "critical", "purdue_level": "1",
                                        "security_zone": "Control", "aliases": [f"{p}-Plant/EdgeNode1/L{n}PLC01"],
                                        "attributes": {"vendor": "Siemens", "model": "S7-1500"}}),
            (f"{p}-L{n}-HMI01", "hmi", {"support_group": "OT Engineering", "purdue_level": "2",
                                        "attributes": {"vendor": "Siemens", "model": "TP1500"}}),
        ]  # fmt: skip
        rels += [
            (line, "located_in", f"{p}-AREA-PROD"), (line, "contains", cell), (cell, "contains", f"{p}-L{n}-PLC01"),
            (f"{p}-L{n}-HMI01", "depends_on", f"{p}-L{n}-PLC01"), (f"{p}-L{n}-PLC01", "connected_to", f"{p}-OTGW01"),
            (f"{p}-L{n}-PLC01", "connected_to", f"{p}-SCADA01"), (line, "depends_on", f"SVC-{p}-BATCH"),
        ]  # fmt: skip
    return cis, rels


# What the desk's users meet every day besides the core systems: printers, terminals, lab instruments.
EXTRAS: dict[str, tuple[list[CI], list[Rel]]] = {
    "ber": (
        [
            ("BER-L1-PRN01", "instrument", {"support_group": "Service Desk", "description": "Batch label printer, packaging line 1",
                                            "attributes": {"vendor": "Zebra", "model": "ZT610"}}),
            ("BER-WS-L3-01", "workstation", {"support_group": "Service Desk", "description": "Shared shop-floor terminal, line 3",
                                             "aliases": ["berws-l3-01.plant.local"], "attributes": {"os": "Windows 11 IoT"}}),
            ("BER-WLC01", "network_device", {"support_group": "Network", "description": "Warehouse wireless controller",
                                             "attributes": {"model": "Cisco C9800"}}),
            ("BER-CR-PC03", "instrument", {"support_group": "OT Engineering", "gxp_relevant": True,
                                           "description": "Cleanroom particle counter, grade B",
                                           "attributes": {"vendor": "Lighthouse", "model": "ApexR5"}}),
        ],
        [("BER-L1-PRN01", "located_in", "BER-L1"), ("BER-L1", "depends_on", "BER-L1-PRN01"),
         ("BER-WS-L3-01", "located_in", "BER-L3"), ("BER-WS-L3-01", "depends_on", "BER-MES-APP01"),
         ("BER-WLC01", "connected_to", "BER-SW-CORE1"), ("BER-CR-PC03", "connected_to", "BER-OTGW01")],
    ),
    "sin": (
        [
            ("SIN-CDS-APP01", "application", {"support_group": "MES Support", "gxp_relevant": True, "gamp_category": 4,
                                             "validation_status": "validated", "part11_applicable": True,
                                             "attributes": {"app_type": "cds", "vendor": "Waters", "version": "Empower 3"}}),
            ("SIN-LAB-BAL07", "instrument", {"support_group": "Service Desk", "gxp_relevant": True,
                                             "attributes": {"vendor": "Mettler Toledo", "model": "XPR205"}}),
            ("SIN-L1-VIS01", "instrument", {"support_group": "OT Engineering", "description": "Carton vision system",
                                            "attributes": {"vendor": "Cognex", "model": "In-Sight 9000"}}),
            ("SIN-WS-QC04", "workstation", {"support_group": "Service Desk", "attributes": {"os": "Windows 11"}}),
            ("SIN-EMS01", "application", {"support_group": "MES Support", "gxp_relevant": True,
                                          "description": "Environmental monitoring system",
                                          "attributes": {"app_type": "other", "vendor": "Vaisala", "version": "viewLinc 5"}}),
            ("SIN-AUTOCLAVE01", "instrument", {"support_group": "OT Engineering", "gxp_relevant": True,
                                               "attributes": {"vendor": "Getinge", "model": "GEV 6610"}}),
        ],
        [("SIN-CDS-APP01", "runs_on", "SIN-VM-LIMS01"), ("SVC-SIN-QC", "depends_on", "SIN-CDS-APP01"),
         ("SIN-LAB-BAL07", "connected_to", "SIN-LIMS-APP01"), ("SIN-L1-VIS01", "connected_to", "SIN-L1-PLC01"),
         ("SIN-L1", "depends_on", "SIN-L1-VIS01"), ("SIN-EMS01", "runs_on", "SIN-VM-LIMS01"),
         ("SIN-WS-QC04", "located_in", "SIN-AREA-PROD"), ("SIN-AUTOCLAVE01", "located_in", "SIN-AREA-PROD")],
    ),
}  # fmt: skip


def _superseded(code: str, lines: int) -> list[Rel]:
    """What older versions of the demo related wrongly: locations that contained their lines (a line stop
    rolled up to the site) and hosts that were only connected to the switch they need."""
    p = code.upper()
    return [("ACME-PHARMA", "contains", f"{p}-SITE"), (f"{p}-SITE", "contains", f"{p}-AREA-PROD"),
            *((f"{p}-AREA-PROD", "contains", f"{p}-L{n}") for n in range(1, lines + 1)),
            *((f"{p}-ESX-0{n}", "connected_to", f"{p}-SW-CORE1") for n in (1, 2))]  # fmt: skip


def load_demo_cmdb(admin: User) -> int:
    """Create whatever of the demo CMDB is missing (a demo database from an older version gains the new
    CIs); returns the number of CIs created. A CMDB that is not the demo's is left alone."""
    if ConfigurationItem.objects.exists() and not ConfigurationItem.objects.filter(name="ACME-PHARMA").exists():
        return 0
    cis: list[CI] = [
        ("ACME-PHARMA", "enterprise", {}),
        (
            "ERP-PRD",
            "application",
            {"criticality": "high", "attributes": {"app_type": "erp", "vendor": "SAP", "version": "S/4HANA"}},
        ),
    ]
    rels: list[Rel] = []
    superseded: list[Rel] = []
    for code, site, lines in (("ber", "Berlin", 4), ("sin", "Singapore", 2)):
        site_cis, site_rels = _site_cis(code, site, lines)
        site_cis += EXTRAS[code][0]
        site_rels += EXTRAS[code][1]
        cis += [(name, cls, {"site": code, **fields}) for name, cls, fields in site_cis]
        rels += [*site_rels, (f"{code.upper()}-SITE", "located_in", "ACME-PHARMA"),
                 (f"{code.upper()}-MES-APP01", "uses", "ERP-PRD")]  # fmt: skip
        superseded += _superseded(code, lines)
    present = set(ConfigurationItem.objects.filter(name__in=[c[0] for c in cis]).values_list("name", flat=True))
    missing = [(name, cls, fields) for name, cls, fields in cis if name not in present]
    for name, cls, fields in missing:
        do_create_ci({"name": name, "ci_class": cls, **fields}, actor=admin)
    wrong = set(superseded)
    old = Relationship.objects.select_related("source", "target", "type")
    for relationship in old.filter(type__name__in={t for _, t, _ in wrong}, source__name__in={s for s, _, _ in wrong}):
        if (relationship.source.name, relationship.type.name, relationship.target.name) in wrong:
            do_delete_relationship(relationship, actor=admin)
    related = set(Relationship.objects.values_list("source__name", "type__name", "target__name"))
    for source, rel, target in rels:
        if (source, rel, target) not in related:
            do_create_relationship(source, rel, target, actor=admin)
    return len(missing)
