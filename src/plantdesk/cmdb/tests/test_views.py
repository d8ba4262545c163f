"""The CMDB pages of the agent UI through Django's test client (real database, CIs made by the real actions)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plantdesk.cmdb.actions import do_create_ci, do_create_relationship
from plantdesk.cmdb.demo import load_demo_cmdb
from plantdesk.cmdb.impact import impact
from plantdesk.cmdb.impact_map import NODE_WIDTH, layout
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.testing.fixtures import Plant, client_for, refused_as_agents_only, text

pytestmark = pytest.mark.django_db


def svg_of(response: Any) -> str:
    match = re.search(r"<svg class=\"impact-map\".*?</svg>", text(response), re.S)
    assert match, "no impact map on the page"
    return match.group(0)


@pytest.fixture
def demo(plant: Plant) -> Plant:
    load_demo_cmdb(plant.admin)
    return plant


def make_cis(plant: Plant, count: int, prefix: str = "T") -> None:
    for n in range(count):
        do_create_ci(
            {"name": f"{prefix}-PLC{n:03}", "ci_class": "plc", "site": "ber", "support_group": "OT Engineering"},
            actor=plant.agent,
        )


# -- list ----------------------------------------------------------------------------------------


def test_list_shows_cis_with_class_status_criticality_site_and_group(demo: Plant) -> None:
    page = text(client_for(demo.agent).get("/cmdb/"))
    assert 'href="/cmdb/BER-L1-PLC01/"' in page
    assert "Showing 1 to 41 of 41 configuration items" in page  # Berlin (39) and enterprise-wide (2)
    assert "OT Engineering" in page
    assert "crit-critical" in page
    assert "Berlin plant" in page
    # Singapore's CIs are not Alice's (she works at Berlin); enterprise-wide ones are.
    assert "SIN-SW-CORE1" not in page
    assert "ACME-PHARMA" in page


def test_list_filters_by_class_site_status_and_search(demo: Plant) -> None:
    client = client_for(demo.agent)
    page = text(client.get("/cmdb/", {"ci_class": "plc"}))
    assert "of 4 configuration items" in page
    assert "BER-L3-PLC01" in page and "BER-SW-CORE1" not in page
    page = text(client.get("/cmdb/", {"q": "core"}))
    assert "BER-SW-CORE1" in page and "BER-L1-PLC01" not in page
    # An exact alias finds its CI.
    page = text(client.get("/cmdb/", {"q": "bermes01.plant.local"}))
    assert "BER-VM-MES01" in page and "of 1 configuration items" in page
    page = text(client.get("/cmdb/", {"site": "ber", "ci_class": "line"}))
    assert all(f"BER-L{n}</a>" in page for n in range(1, 5))
    assert "No configuration items match." in text(client.get("/cmdb/", {"status": "retired"}))


def test_list_answers_400_for_an_unknown_filter_value(demo: Plant) -> None:
    response = client_for(demo.agent).get("/cmdb/", {"ci_class": "toaster"})
    assert response.status_code == 400
    assert "Class: Select a valid choice. toaster is not one of the available choices." in text(response)


def test_htmx_filter_swaps_only_the_results(demo: Plant) -> None:
    response = client_for(demo.agent).get(
        "/cmdb/", {"ci_class": "line"}, headers={"HX-Request": "true", "HX-Target": "ci-results"}
    )
    page = text(response)
    assert "<html" not in page and "BER-L2" in page
    assert "HX-Request" in response["Vary"]


def test_list_pages_by_50(plant: Plant) -> None:
    make_cis(plant, 55)
    client = client_for(plant.agent)
    assert "Showing 1 to 50 of 55" in text(client.get("/cmdb/"))
    page2 = text(client.get("/cmdb/", {"page": 2}))
    assert "Showing 51 to 55 of 55" in page2 and "T-PLC054" in page2


def _queries_for_list(plant: Plant) -> int:
    client = client_for(plant.agent)
    client.get("/cmdb/")  # warm the session and the configuration caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/cmdb/")
    assert response.status_code == 200
    return len(captured)


def test_list_query_count_does_not_grow_with_rows(plant: Plant) -> None:
    make_cis(plant, 3, prefix="A")
    few = _queries_for_list(plant)
    make_cis(plant, 27, prefix="B")
    assert ConfigurationItem.objects.count() == 30
    assert _queries_for_list(plant) == few


def test_agents_see_a_cmdb_link_in_the_navigation(demo: Plant) -> None:
    page = text(client_for(demo.agent).get("/cmdb/"))
    assert re.search(r'<a href="/cmdb/" aria-current="page">CMDB</a>', page)
    assert 'href="/cmdb/"' in text(client_for(demo.agent).get("/incidents/"))


# -- CI page -------------------------------------------------------------------------------------


def test_ci_page_shows_details_gxp_and_iec62443_fields(demo: Plant) -> None:
    page = text(client_for(demo.agent).get("/cmdb/BER-MES-APP01/"))
    assert "<h1>BER-MES-APP01</h1>" in page
    assert "Application" in page and "MES Support" in page and "Berlin plant" in page
    assert "4 - Configured product" in page and "Validated" in page
    assert "Acme MES" in page  # class attributes
    page = text(client_for(demo.agent).get("/cmdb/BER-FW-OT1/"))
    assert "OT DMZ" in page and "IT-OT" in page and "SL-T 3 · SL-A 2" in page and "3.5" in page
    page = text(client_for(demo.agent).get("/cmdb/BER-VM-MES01/"))
    assert "bermes01.plant.local" in page  # aliases


def test_ci_page_lists_relationships_in_both_directions_with_links(demo: Plant) -> None:
    page = text(client_for(demo.agent).get("/cmdb/BER-MES-APP01/"))
    rels = page[page.index('id="rel-title"') :]
    assert 'href="/cmdb/BER-VM-MES01/"' in rels  # outgoing: runs on
    assert 'href="/cmdb/BER-MES-DB01/"' in rels  # outgoing: uses
    assert 'href="/cmdb/SVC-BER-BATCH/"' in rels  # incoming: depends on
    assert 'href="/cmdb/BER-LIMS-APP01/"' in rels  # incoming: uses
    assert "runs on" in rels and "depends on" in rels


def test_ci_page_lists_lines_and_services_affected(demo: Plant) -> None:
    page = text(client_for(demo.agent).get("/cmdb/BER-SW-CORE1/"))
    assert "Lines and services affected" in page
    affected = page[page.index("Lines and services affected") : page.index("impact-map")]
    for name in ("BER-L1", "BER-L2", "BER-L3", "BER-L4", "SVC-BER-BATCH"):
        assert f'href="/cmdb/{name}/"><span class="chip-icon" aria-hidden="true"></span>{name}</a>' in affected


def test_impact_map_links_every_impacted_ci(demo: Plant) -> None:
    svg = svg_of(client_for(demo.agent).get("/cmdb/BER-SW-CORE1/"))
    result = impact(ConfigurationItem.objects.get(name="BER-SW-CORE1"), "downstream", depth=6, limit=300)
    assert result.items
    for item in result.items:
        assert f'href="/cmdb/{item.name}/"' in svg
    assert 'class="map-node map-line" href="/cmdb/BER-L3/"' in svg
    assert 'class="map-node map-service" href="/cmdb/SVC-BER-BATCH/"' in svg
    assert 'class="map-node map-root"' in svg
    # One edge per impacted CI, from its parent on the shortest path.
    assert svg.count('<path class="map-edge') == len(result.items)


def test_upstream_toggle_shows_what_a_ci_needs(demo: Plant) -> None:
    client = client_for(demo.agent)
    page = text(client.get("/cmdb/BER-L3/", {"direction": "upstream"}))
    assert "What BER-L3 needs" in page
    svg = svg_of(client.get("/cmdb/BER-L3/", {"direction": "upstream"}))
    for name in ("SVC-BER-BATCH", "BER-MES-APP01", "BER-L3-PLC01"):
        assert f'href="/cmdb/{name}/"' in svg
    # Downstream of the line there is only the supply service it serves (not the switch MES needs).
    assert "BER-SW-CORE1" not in svg_of(client.get("/cmdb/BER-L3/"))


def test_a_ci_with_no_impact_says_so(plant: Plant) -> None:
    do_create_ci({"name": "LONELY", "ci_class": "server", "site": "ber"}, actor=plant.agent)
    page = text(client_for(plant.agent).get("/cmdb/LONELY/"))
    assert "Nothing recorded in the CMDB depends on LONELY." in page
    assert "No relationships." in page


def chain(plant: Plant, length: int) -> list[str]:
    """CHAIN-0 <- CHAIN-1 <- ...: each depends on the one before, so the last one's failure reaches them all."""
    names = [f"CHAIN-{n}" for n in range(length)]
    for name in names:
        do_create_ci({"name": name, "ci_class": "server", "site": "ber"}, actor=plant.agent)
    for upper, lower in itertools.pairwise(names):
        do_create_relationship(upper, "depends_on", lower, actor=plant.agent)
    return names


def test_a_map_cut_by_its_depth_says_so(plant: Plant) -> None:
    """A chain longer than the map's six steps."""
    chain(plant, 9)
    response = client_for(plant.agent).get("/cmdb/CHAIN-8/")
    page = text(response)
    assert "The map stops at 6 steps: there are CIs further away." in page
    assert "The map stops at 300 CIs" not in page
    assert 'href="/cmdb/CHAIN-2/"' in page and 'href="/cmdb/CHAIN-1/"' not in svg_of(response)


def test_a_map_that_ends_at_exactly_six_steps_has_no_note(plant: Plant) -> None:
    chain(plant, 7)
    page = text(client_for(plant.agent).get("/cmdb/CHAIN-6/"))
    assert 'href="/cmdb/CHAIN-0/"' in page  # six steps away: the whole chain is on the map
    assert "The map stops" not in page


def test_a_map_cut_by_its_count_says_so(plant: Plant) -> None:
    """301 PLCs on one gateway (a star one step deep): the map shows 300 and says the count stopped it."""
    make_cis(plant, 301)
    do_create_ci({"name": "T-GW", "ci_class": "ot_gateway", "site": "ber"}, actor=plant.agent)
    for n in range(301):
        do_create_relationship(f"T-PLC{n:03}", "depends_on", "T-GW", actor=plant.agent)
    response = client_for(plant.agent).get("/cmdb/T-GW/")
    page = text(response)
    assert "The map stops at 300 CIs: there are more." in page
    assert "The map stops at 6 steps" not in page
    assert svg_of(response).count('<path class="map-edge') == 300


def test_other_sites_cis_in_the_map_are_not_linked(demo: Plant) -> None:
    """ERP is enterprise-wide; a failure reaches Singapore's MES, whose page Alice (Berlin) cannot open."""
    svg = svg_of(client_for(demo.agent).get("/cmdb/ERP-PRD/"))
    assert 'href="/cmdb/BER-MES-APP01/"' in svg
    assert 'data-ci="SIN-MES-APP01"' in svg and 'href="/cmdb/SIN-MES-APP01/"' not in svg
    assert client_for(demo.agent).get("/cmdb/SIN-MES-APP01/").status_code == 404


# -- access --------------------------------------------------------------------------------------


def test_requesters_get_no_cmdb_pages(demo: Plant) -> None:
    client = client_for(demo.requester)
    assert refused_as_agents_only(client.get("/cmdb/"))
    assert refused_as_agents_only(client.get("/cmdb/BER-SW-CORE1/"))
    assert 'href="/cmdb/"' not in text(client.get("/portal/"))


def test_anonymous_users_are_sent_to_log_in(demo: Plant) -> None:
    assert "/login/" in Client().get("/cmdb/").url


def test_unknown_ci_is_404(demo: Plant) -> None:
    assert client_for(demo.agent).get("/cmdb/NO-SUCH-CI/").status_code == 404


# -- layout --------------------------------------------------------------------------------------


def test_layout_puts_depths_in_columns_and_draws_edges_from_parents(demo: Plant) -> None:
    root = ConfigurationItem.objects.select_related("ci_class").get(name="BER-SW-CORE1")
    result = impact(root, "downstream", depth=6, limit=300)
    diagram = layout(result, linkable={"BER-SW-CORE1"})
    nodes = {n.name: n for n in diagram.nodes}
    assert nodes["BER-SW-CORE1"].x < nodes["BER-ESX-01"].x < nodes["BER-VM-MES01"].x
    assert nodes["BER-L3"].kind == "line" and nodes["SVC-BER-BATCH"].kind == "service"
    assert nodes["BER-SW-CORE1"].linked and not nodes["BER-L3"].linked
    xs = {n.depth: n.x for n in diagram.nodes}
    assert len(set(xs.values())) == len(xs) == len(diagram.columns)
    assert diagram.width >= max(n.x for n in diagram.nodes) + NODE_WIDTH
    # No two nodes overlap within a column.
    for depth in xs:
        ys = sorted(n.y for n in diagram.nodes if n.depth == depth)
        assert all(b - a >= nodes["BER-SW-CORE1"].height for a, b in itertools.pairwise(ys))
    assert {(e.source, e.target) for e in diagram.edges} == {(i.path[-2], i.name) for i in result.items}


def test_ci_page_lists_open_incidents_and_the_incident_shows_what_its_ci_affects(plant: Plant) -> None:
    from plantdesk.cmdb.demo import load_demo_cmdb
    from plantdesk.incidents.actions import do_transition_incident
    from plantdesk.testing.fixtures import make_incident

    load_demo_cmdb(plant.admin)
    open_one = make_incident(plant.agent, ci="BER-SW-CORE1", short_description="Core switch port errors")
    closed = make_incident(plant.agent, ci="BER-SW-CORE1", short_description="Old switch reboot")
    do_transition_incident(closed, "canceled", actor=plant.agent, reason="Duplicate")
    client = Client()
    client.force_login(plant.agent)
    ci_page = client.get("/cmdb/BER-SW-CORE1/").content.decode()
    assert open_one.number in ci_page
    assert closed.number not in ci_page
    incident_page = client.get(f"/incidents/{open_one.number}/").content.decode()
    assert "Its failure affects" in incident_page
    assert "BER-L3" in incident_page
    assert "SVC-BER-BATCH" in incident_page
