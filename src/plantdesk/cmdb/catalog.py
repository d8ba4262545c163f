"""The default class catalog and relationship types (seeded by migration; admins may extend them)."""

from __future__ import annotations

from typing import Any

S = {"type": "string"}
INT = {"type": "integer"}


def choice(*values: str) -> dict[str, Any]:
    return {"type": "choice", "choices": list(values)}


APP_TYPES = choice("mes", "erp", "lims", "cds", "qms", "historian", "other")
HOSTS = ["server", "virtual_machine", "workstation", "scada_server", "historian", "ot_gateway"]

# name -> (label, family, attribute schema)
CLASSES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "enterprise": ("Enterprise", "location", {}),
    "site": ("Site", "location", {"address": S}),
    "area": ("Area", "location", {}),
    "line": ("Line / work centre", "location", {"product": S, "capacity_per_hour": INT}),
    "cell": ("Cell / unit", "location", {}),
    "server": ("Server", "it", {"hostname": S, "os": S, "cpu_cores": INT, "memory_gb": INT, "serial_number": S}),
    "virtual_machine": ("Virtual machine", "it", {"hostname": S, "os": S, "cpu_cores": INT, "memory_gb": INT}),
    "database": ("Database", "it", {"engine": S, "version": S}),
    "application": ("Application", "it", {"vendor": S, "version": S, "app_type": APP_TYPES}),
    "middleware": ("Middleware", "it", {"product": S, "version": S}),
    "network_device": ("Network device", "it", {"model": S, "management_ip": S, "firmware": S}),
    "firewall": ("Firewall", "it", {"model": S, "management_ip": S, "firmware": S}),
    "workstation": ("Workstation", "it", {"hostname": S, "os": S}),
    "plc": ("PLC", "ot", {"vendor": S, "model": S, "firmware": S, "ip_address": S}),
    "hmi": ("HMI", "ot", {"vendor": S, "model": S, "firmware": S, "ip_address": S}),
    "scada_server": ("SCADA server", "ot", {"product": S, "version": S, "hostname": S}),
    "historian": ("Historian", "ot", {"product": S, "version": S, "hostname": S}),
    "ot_gateway": ("OT gateway / edge node", "ot", {"product": S, "sparkplug_group": S, "sparkplug_edge_node": S}),
    "instrument": ("Instrument", "ot", {"vendor": S, "model": S, "serial_number": S, "calibration_due": S}),
    "business_service": ("Business service", "service", {"service_owner": S}),
}  # fmt: skip

LOCATIONS = ["enterprise", "site", "area", "line", "cell"]

# name -> (label, impact direction, allowed source classes, allowed target classes); [] = any class.
# Which way a failure travels along each type is the table in docs/cmdb.md ("Which way a failure travels").
RELATIONSHIP_TYPES: dict[str, tuple[str, str, list[str], list[str]]] = {
    "depends_on": ("depends on", "target_to_source", [], []),
    "runs_on": ("runs on", "target_to_source", [], HOSTS),
    "hosted_on": ("hosted on", "target_to_source", [], ["server", "virtual_machine"]),
    "uses": ("uses", "target_to_source", [], []),
    # Network adjacency: a PLC linked to SCADA and a gateway keeps running when either is down, so the link
    # carries no impact. Event correlation reads it as the way the source's data travels (docs/cmdb.md).
    "connected_to": ("connected to", "none", [], []),
    # A line contains a cell, a cell its PLC: the part failing stops the whole, not the other way round.
    "contains": ("contains", "target_to_source", LOCATIONS, []),
    # Where a CI stands (a line in its area, an area in its site): one line stopping does not stop its area.
    "located_in": ("located in", "none", [], LOCATIONS),
    # A line serves the business services it produces for: the line stopping fails them.
    "serves": ("serves", "source_to_target", [], ["business_service"]),
}  # fmt: skip
