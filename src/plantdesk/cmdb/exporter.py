"""Export of the CMDB in the import formats (JSON or CSV), so that an export imports back unchanged."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.cmdb.serializers import ci_to_dict

EXPORTED_FIELDS = [
    "name", "ci_class", "status", "criticality", "site", "support_group", "owner", "description",
    "gxp_relevant", "gamp_category", "validation_status", "part11_applicable", "system_owner", "process_owner",
    "qa_owner", "last_periodic_review", "next_periodic_review", "security_zone", "conduit",
    "security_level_target", "security_level_achieved", "purdue_level",
]  # fmt: skip
CHUNK = 2000


def _cis() -> Iterator[dict[str, Any]]:
    qs = (
        ConfigurationItem.objects.exclude(status="retired")
        .select_related("ci_class", "site", "support_group", "owner")
        .prefetch_related("aliases")
        .order_by("name")
    )
    for ci in qs.iterator(chunk_size=CHUNK):
        full = ci_to_dict(ci)
        yield {k: full[k] for k in [*EXPORTED_FIELDS, "aliases", "attributes"] if full[k] not in (None, "", [], {})}


def _relationships() -> Iterator[dict[str, str]]:
    qs = Relationship.objects.exclude(source__status="retired").exclude(target__status="retired")
    for source, rel, target in qs.order_by("source__name", "type__name", "target__name").values_list(
        "source__name", "type__name", "target__name"
    ):
        yield {"source": source, "type": rel, "target": target}


def export_json() -> str:
    document = {"cis": list(_cis()), "relationships": list(_relationships())}
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)


def export_csv() -> str:
    cis = list(_cis())
    rels: dict[str, dict[str, list[str]]] = {}
    for r in _relationships():
        rels.setdefault(r["source"], {}).setdefault(r["type"], []).append(r["target"])
    attr_columns = sorted({f"attr:{k}" for ci in cis for k in ci.get("attributes", {})})
    rel_columns = sorted({f"rel:{t}" for by_type in rels.values() for t in by_type})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*EXPORTED_FIELDS, "aliases", *attr_columns, *rel_columns])
    writer.writeheader()
    for ci in cis:
        row: dict[str, Any] = {k: _cell(ci.get(k)) for k in EXPORTED_FIELDS}
        row["aliases"] = ";".join(ci.get("aliases", []))
        row.update({f"attr:{k}": _cell(v) for k, v in ci.get("attributes", {}).items()})
        row.update({f"rel:{t}": ";".join(targets) for t, targets in rels.get(ci["name"], {}).items()})
        writer.writerow(row)
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return str(value)
