"""/api/v1/knowledge: numbers, workflow, versions, visibility, search, sanitising, deflections."""

from __future__ import annotations

import re
from typing import Any

from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.models import AuditEntry, DomainEvent
from plantdesk.problems.knowledge.markdown import sanitise
from plantdesk.problems.knowledge.models import Article
from plantdesk.testing.fixtures import ApiClient, Plant

LABEL = {"title": "BER-L3 label printer prints blank labels", "body": "Replace the **ribbon**.", "audience": "public"}


def publish(api: ApiClient, number: str) -> None:
    for to in ("review", "published"):
        assert api.post(f"/knowledge/{number}/transitions", {"to": to}).status_code == 200


def test_create_numbers_a_draft_version_one(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> None:
    api = ApiClient(plant.agent)
    created = api.post("/knowledge", {**LABEL, "cis": ["BER-L3-PLC01"]})
    assert created.status_code == 201
    body = created.json()
    assert body["number"] == "KB0001001"
    assert (body["state"], body["version"], body["cis"], body["problem"]) == ("draft", 1, ["BER-L3-PLC01"], None)
    assert body["body_html"] == "<p>Replace the <strong>ribbon</strong>.</p>\n"
    assert api.post("/knowledge", LABEL).json()["number"] == "KB0001002"
    assert AuditEntry.objects.filter(record_type="knowledge_article", record_label="KB0001001").exists()
    assert DomainEvent.objects.filter(name="knowledge.created").count() == 2


def test_bad_input_names_the_field_and_writes_nothing(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    for payload, field in (
        ({**LABEL, "title": "  "}, "title"),
        ({**LABEL, "cis": ["NO-SUCH-CI"]}, "cis"),
        ({**LABEL, "problem": "PRB0009999"}, "problem"),
        ({**LABEL, "audience": "everyone"}, "audience"),
    ):
        refused = api.post("/knowledge", payload)
        assert refused.status_code in (400, 422), payload
        assert field in str(refused.json()), payload
    assert Article.objects.count() == 0


def test_workflow_in_order_and_409_with_allowed(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    number = api.post("/knowledge", LABEL).json()["number"]
    refused = api.post(f"/knowledge/{number}/transitions", {"to": "published"})
    assert refused.status_code == 409
    assert refused.json()["allowed"] == ["review"]
    publish(api, number)
    assert api.get(f"/knowledge/{number}").json()["state"] == "published"
    assert api.post(f"/knowledge/{number}/transitions", {"to": "retired"}).json()["state"] == "retired"
    assert api.post(f"/knowledge/{number}/transitions", {"to": "draft"}).json()["allowed"] == []


def test_editing_a_published_article_makes_a_draft_readers_do_not_see(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    number = api.post("/knowledge", LABEL).json()["number"]
    publish(api, number)
    edited = api.patch(f"/knowledge/{number}", {"body": "Replace the ribbon and clean the head."}).json()
    assert (edited["state"], edited["version"], edited["published_version"]) == ("draft", 2, 1)
    reader = ApiClient(plant.requester)
    seen = reader.get(f"/knowledge/{number}").json()
    assert (seen["version"], seen["body"], seen["state"]) == (1, "Replace the **ribbon**.", "published")
    assert "deflections" not in seen or seen["deflections"] is None
    publish(api, number)
    assert reader.get(f"/knowledge/{number}").json()["body"] == "Replace the ribbon and clean the head."
    versions = api.get(f"/knowledge/{number}/versions").json()["items"]
    assert [(v["version"], v["created_by"], v["published_by"]) for v in versions] == [
        (1, "alice", "alice"),
        (2, "alice", "alice"),
    ]


def test_requesters_see_only_public_published_articles(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    public = api.post("/knowledge", LABEL).json()["number"]
    internal = api.post("/knowledge", {**LABEL, "audience": "internal"}).json()["number"]
    draft = api.post("/knowledge", LABEL).json()["number"]
    publish(api, public)
    publish(api, internal)
    reader = ApiClient(plant.requester)
    assert [a["number"] for a in reader.get("/knowledge").json()["items"]] == [public]
    assert [a["number"] for a in reader.get("/knowledge", q="label printer").json()["items"]] == [public]
    assert reader.get(f"/knowledge/{internal}").status_code == 404
    assert reader.get(f"/knowledge/{draft}").status_code == 404
    assert reader.post("/knowledge", LABEL).status_code == 403
    assert reader.patch(f"/knowledge/{public}", {"title": "Mine"}).status_code == 403
    assert {a["number"] for a in api.get("/knowledge").json()["items"]} == {public, internal, draft}
    api.post(f"/knowledge/{public}/transitions", {"to": "retired"})
    assert reader.get("/knowledge").json()["items"] == []


def test_search_ranks_by_relevance(plant: Plant, django_assert_max_num_queries: Any) -> None:
    api = ApiClient(plant.agent)
    body_only = api.post("/knowledge", {"title": "MES login", "body": "If the label printer hangs, log in again"})
    in_title = api.post("/knowledge", {"title": "Label printer offline", "body": "Power cycle it"})
    api.post("/knowledge", {"title": "LIMS export", "body": "Export job times out"})
    for _ in range(5):
        api.post("/knowledge", {"title": "Other printer", "body": "x"})
    with django_assert_max_num_queries(10):
        items = api.get("/knowledge", q="label printer").json()["items"]
    assert [i["number"] for i in items] == [in_title.json()["number"], body_only.json()["number"]]
    assert items[0]["score"] > items[1]["score"]
    with django_assert_max_num_queries(10):
        assert len(api.get("/knowledge").json()["items"]) == 8


def test_body_html_is_sanitised(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    body = (
        "<script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n"
        '<img src="x" onerror="alert(3)">\n\n<a href="javascript:alert(4)" onclick="alert(5)">x</a>\n\n'
        "![img](javascript:alert(6))"
    )
    html = api.post("/knowledge", {"title": "Hostile", "body": body}).json()["body_html"]
    assert "<script" not in html and '<img src="x"' not in html and '<a href="javascript' not in html
    assert not re.search(r"<[^>]*(javascript:|onerror|onclick)", html)  # in no tag, only in escaped text
    assert "&lt;script&gt;" in html  # raw HTML is shown as text, not run


def test_the_sanitiser_removes_what_markdown_might_let_through() -> None:
    html = sanitise(
        '<script>alert(1)</script><p onclick="alert(2)">a</p><a href="javascript:alert(3)">b</a>'
        '<img src="https://x/y.png" onerror="alert(4)"><a href="https://plant.example/">c</a><style>p{}</style>'
    )
    assert "<script" not in html and "alert(1)" not in html
    assert "onclick" not in html and "onerror" not in html and "javascript:" not in html and "<style" not in html
    assert '<a href="https://plant.example/" rel="noopener noreferrer nofollow">c</a>' in html
    assert '<img src="https://x/y.png">' in html


def test_deflections_counted_once_per_person_a_day_and_shown_to_agents(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    number = api.post("/knowledge", LABEL).json()["number"]
    assert ApiClient(plant.requester).post(f"/knowledge/{number}/deflections").status_code == 404
    publish(api, number)
    reader = ApiClient(plant.requester)
    assert reader.post(f"/knowledge/{number}/deflections").status_code == 201
    reader.post(f"/knowledge/{number}/deflections")
    ApiClient(plant.requester2).post(f"/knowledge/{number}/deflections")
    assert api.get(f"/knowledge/{number}").json()["deflections"] == 2
    assert DomainEvent.objects.filter(name="knowledge.deflected").count() == 2


def test_no_delete(plant: Plant) -> None:
    api = ApiClient(plant.agent)
    number = api.post("/knowledge", LABEL).json()["number"]
    assert api.client.delete(f"/api/v1/knowledge/{number}", headers=api.headers).status_code == 405


def test_each_reader_searches_the_version_they_read(plant: Plant) -> None:
    """Agents search an article's latest text, requesters its published text, through every step."""
    api, reader = ApiClient(plant.agent), ApiClient(plant.requester)

    def found(client: ApiClient, q: str) -> list[str]:
        return [a["number"] for a in client.get("/knowledge", q=q).json()["items"]]

    number = api.post("/knowledge", LABEL).json()["number"]
    assert (found(api, "ribbon"), found(reader, "ribbon")) == ([number], [])  # a draft
    publish(api, number)
    assert found(reader, "ribbon") == [number]
    api.patch(f"/knowledge/{number}", {"body": "Clean the print head."})  # a draft of version 2
    assert (found(api, "head"), found(api, "ribbon")) == ([number], [])
    assert (found(reader, "ribbon"), found(reader, "head")) == ([number], [])
    publish(api, number)
    assert (found(reader, "head"), found(reader, "ribbon")) == ([number], [])
    api.patch(f"/knowledge/{number}", {"audience": "internal"})
    assert (found(reader, "head"), found(api, "head")) == ([], [number])
    api.patch(f"/knowledge/{number}", {"audience": "public"})
    assert found(reader, "head") == [number]
    api.post(f"/knowledge/{number}/transitions", {"to": "retired"})
    assert (found(reader, "head"), found(api, "head")) == ([], [number])


def test_lists_and_searches_do_not_query_per_article(plant: Plant) -> None:
    """Published articles show their published version number: read with the list, not per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = ApiClient(plant.agent)

    def queries(**params: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/knowledge", **params).status_code == 200
        return len(captured.captured_queries)

    def add_published() -> None:
        publish(api, api.post("/knowledge", LABEL).json()["number"])

    add_published()
    one = (queries(), queries(q="label printer"))
    for _ in range(5):
        add_published()
    assert len(api.get("/knowledge", q="label printer").json()["items"]) == 6
    assert (queries(), queries(q="label printer")) == one
