"""The knowledge pages: agents' list, article, editor and preview; the portal's search, article and
"This solved my problem"; the suggestions panel on the incident forms."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.problems.knowledge.actions import do_create_article, do_transition_article, do_update_article
from plantdesk.problems.knowledge.models import Article, Deflection
from plantdesk.problems.tests.test_known_errors_api import known_error
from plantdesk.testing.fixtures import Plant, client_for, text


def article(actor: User, title: str, body: str = "", audience: str = "public", publish: bool = True) -> Article:
    created = do_create_article({"title": title, "body": body, "audience": audience}, actor=actor)
    if publish:
        do_transition_article(created, "review", actor=actor)
        do_transition_article(created, "published", actor=actor)
    return created


def test_agent_list_searches_and_filters(plant: Plant, django_assert_max_num_queries: Any) -> None:
    article(plant.agent, "Label printer offline", "Power cycle")
    article(plant.agent, "MES login slow", "Clear the cache", audience="internal", publish=False)
    client = client_for(plant.agent)
    with django_assert_max_num_queries(15):
        page = text(client.get("/knowledge/"))
    assert "Label printer offline" in page and "MES login slow" in page
    found = text(client.get("/knowledge/", {"q": "printer"}))
    assert "Label printer offline" in found and "MES login slow" not in found
    drafts = text(client.get("/knowledge/", {"state": "draft"}))
    assert "MES login slow" in drafts and "Label printer offline" not in drafts


def test_article_page_shows_rendered_body_versions_actions_and_deflections(plant: Plant) -> None:
    a = article(plant.agent, "Label printer offline", "Check **ribbon**")
    Deflection.objects.create(article=a, user=plant.requester, version=1, at=timezone.now())
    page = text(client_for(plant.agent).get(f"/knowledge/{a.number}/"))
    assert "<strong>ribbon</strong>" in page
    assert 'id="kb-to-retired"' in page and "Retire" in page
    assert 'data-testid="deflections">1<' in page
    assert 'id="kb-versions"' in page and "Alice Agent" in page


def test_editor_creates_edits_and_previews(plant: Plant) -> None:
    client = client_for(plant.agent)
    refused = client.post("/knowledge/new/", {"title": "", "body": "x", "audience": "public"})
    assert refused.status_code == 400 and Article.objects.count() == 0
    created = client.post("/knowledge/new/", {"title": "LIMS export", "body": "Run it again", "audience": "public"})
    assert created.status_code == 303
    a = Article.objects.get()
    do_transition_article(a, "review", actor=plant.agent)
    do_transition_article(a, "published", actor=plant.agent)
    assert "new draft version" in text(client.get(f"/knowledge/{a.number}/edit/"))
    edited = client.post(f"/knowledge/{a.number}/edit/", {"title": "LIMS export", "body": "v2", "audience": "public"})
    assert edited.status_code == 303
    a.refresh_from_db()
    assert (a.state, a.version) == ("draft", 2)
    preview = text(client.post("/knowledge/preview/", {"body": "**bold** <script>x</script> [a](javascript:y)"}))
    assert "<strong>bold</strong>" in preview and "<script" not in preview and 'href="javascript' not in preview


def test_requester_is_sent_to_the_portal_and_sees_public_published_only(plant: Plant) -> None:
    public = article(plant.agent, "Label printer offline", "Power cycle the printer")
    internal = article(plant.agent, "Printer driver internals", audience="internal")
    draft = article(plant.agent, "Printer draft", publish=False)
    client = client_for(plant.requester)
    assert client.get("/knowledge/").url == "/portal/knowledge/"
    assert client.get(f"/knowledge/{public.number}/").url == f"/portal/knowledge/{public.number}/"
    listing = text(client.get("/portal/knowledge/", {"q": "printer"}))
    assert public.number in listing and internal.number not in listing and draft.number not in listing
    assert client.get(f"/portal/knowledge/{internal.number}/").status_code == 404
    assert client.get(f"/portal/knowledge/{draft.number}/").status_code == 404


def test_portal_reader_keeps_the_published_version_while_a_draft_is_written(plant: Plant) -> None:
    a = article(plant.agent, "Label printer offline", "Version one text")
    do_update_article(a, {"body": "Version two text"}, actor=plant.agent)
    page = text(client_for(plant.requester).get(f"/portal/knowledge/{a.number}/"))
    assert "Version one text" in page and "Version two text" not in page


def test_this_solved_my_problem_counts_a_deflection(plant: Plant) -> None:
    a = article(plant.agent, "Label printer offline")
    client = client_for(plant.requester)
    page = text(client.get(f"/portal/knowledge/{a.number}/"))
    assert "This solved my problem" in page
    assert client.post(f"/portal/knowledge/{a.number}/solved/").status_code == 303
    assert Deflection.objects.filter(article=a, user=plant.requester).count() == 1


def test_nav_has_knowledge_for_both(plant: Plant) -> None:
    assert 'href="/knowledge/"' in text(client_for(plant.agent).get("/knowledge/"))
    assert 'href="/portal/knowledge/"' in text(client_for(plant.requester).get("/portal/"))


def test_incident_forms_carry_the_suggestions_panel(plant: Plant) -> None:
    for user, url in ((plant.agent, "/incidents/new/"), (plant.requester, "/portal/new/")):
        page = text(client_for(user).get(url))
        assert 'id="kb-suggest-panel"' in page and 'hx-get="/knowledge/suggest/"' in page


def test_suggestions_known_errors_for_agents_articles_for_requesters(
    plant: Plant, plant_cis: dict[str, ConfigurationItem]
) -> None:
    known_error(plant.agent, "PRB0001001", "Label printer prints blank", "Swap ribbon", cis=[plant_cis["BER-L3-PLC01"]])
    public = article(plant.agent, "Label printer offline", "Power cycle")
    internal = article(plant.agent, "Label printer internals", audience="internal")
    agent_panel = text(client_for(plant.agent).get("/knowledge/suggest/", {"short_description": "label print"}))
    assert 'href="/problems/PRB0001001/"' in agent_panel
    assert public.number in agent_panel and internal.number in agent_panel
    by_ci = text(client_for(plant.agent).get("/knowledge/suggest/", {"short_description": "", "ci": "BER-L3-PLC01"}))
    assert "PRB0001001" in by_ci
    reader_panel = text(client_for(plant.requester).get("/knowledge/suggest/", {"short_description": "label print"}))
    assert "PRB0001001" not in reader_panel and internal.number not in reader_panel
    assert f'href="/portal/knowledge/{public.number}/"' in reader_panel
    assert text(client_for(plant.requester).get("/knowledge/suggest/", {"short_description": " "})).strip() == ""


def test_a_whole_sentence_still_suggests_what_shares_its_words(
    plant: Plant, plant_cis: dict[str, ConfigurationItem]
) -> None:
    """No article holds every word of "My label printer on line 3 is offline again": the ones sharing most
    of them are suggested instead of nothing."""
    public = article(plant.agent, "Label printer offline", "Power cycle")
    article(plant.agent, "Historian buffer full", "Restart the collector")
    sentence = {"short_description": "My label printer on line 3 is offline again"}
    panel = text(client_for(plant.requester).get("/knowledge/suggest/", sentence))
    assert f'href="/portal/knowledge/{public.number}/"' in panel and "Historian" not in panel


def test_demo_articles_are_published_and_idempotent(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> None:
    from plantdesk.problems.knowledge.demo import DEMO_ARTICLES, load_demo_articles

    assert load_demo_articles(plant.agent) == len(DEMO_ARTICLES)
    assert load_demo_articles(plant.agent) == 0
    assert set(Article.objects.values_list("state", flat=True)) == {"published"}
    assert Article.objects.filter(audience="public").count() == 3
