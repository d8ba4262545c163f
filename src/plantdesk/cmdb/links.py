"""Where a CI's data travels: the CIs its `connected_to` links lead to, nearest first (docs/cmdb.md).

A link carries no impact (a line keeps running while its OT gateway is down), so impact analysis never
follows it. Event correlation does: "no data from BER-L3-PLC01 through BER-OTGW01" while the gateway is
down is the gateway's symptom. `A connected_to B` reads "A's data travels through B", so the walk goes from
source to target only.
"""

from __future__ import annotations

from dataclasses import dataclass

from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.cmdb.queries import relationship_types

LINK_TYPE = "connected_to"


@dataclass(frozen=True)
class LinkHop:
    name: str
    ci_class: str
    depth: int  # links from the CI


def data_path(ci: ConfigurationItem, depth: int = 6) -> list[LinkHop]:
    """The CIs `ci`'s data travels through, each once at its shortest distance (one query per hop)."""
    link = relationship_types().get(LINK_TYPE)
    if link is None:
        return []
    seen, frontier, hops = {ci.pk}, [ci.pk], []
    for distance in range(1, depth + 1):
        rows = (
            Relationship.objects.filter(source_id__in=frontier, type=link)
            .exclude(target_id__in=seen)
            .values_list("target_id", "target__name", "target__ci_class__name")
            .distinct()
            .order_by("target__name")
        )
        found = [(pk, name, ci_class) for pk, name, ci_class in rows if pk not in seen]
        if not found:
            break
        seen.update(pk for pk, _, _ in found)
        hops += [LinkHop(name, ci_class, distance) for _, name, ci_class in found]
        frontier = [pk for pk, _, _ in found]
    return hops
