"""The agent UI and the requester portal through Django's test client (real database, real actions)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plantdesk.core.models import AuditEntry
from plantdesk.incidents.actions import do_add_comment, do_transition_incident
from plantdesk.incidents.models import Incident
from plantdesk.testing.fixtures import PASSWORD, Plant, client_for, make_incident, text

pytestmark = pytest.mark.django_db


# -- login and landing ----------------------------------------------------------------------------


def test_login_page_and_wrong_password_message(plant: Plant) -> None:
    client = Client()
    assert "Log in" in text(client.get("/login/"))
    response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 400
    assert "Invalid username or password" in text(response)


def test_repeated_failures_say_the_account_is_locked(plant: Plant, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert "Too many failed attempts" in text(response)
    # Even the right password is refused while locked.
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "Too many failed attempts" in text(response)


def test_agents_land_on_the_queue_and_requesters_on_the_portal(plant: Plant) -> None:
    client = Client()
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").url == "/incidents/"
    assert client_for(plant.requester).get("/").url == "/portal/"
    assert client_for(plant.requester).get("/incidents/").url == "/portal/"


def test_pages_need_a_login(plant: Plant) -> None:
    for path in ("/", "/incidents/", "/portal/", "/portal/new/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response.url.startswith("/login/")


def test_logout_is_a_post(plant: Plant) -> None:
    client = client_for(plant.agent)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/incidents/").status_code == 302


# -- queue ----------------------------------------------------------------------------------------


def test_queue_lists_filters_and_sorts(plant: Plant) -> None:
    urgent = make_incident(plant.agent, short_description="Filler PLC down", impact=1, urgency=1)
    make_incident(plant.agent, short_description="Printer jam", impact=3, urgency=3)
    client = client_for(plant.agent)
    page = text(client.get("/incidents/"))
    assert "Filler PLC down" in page
    assert "Printer jam" in page
    assert "Showing 1 to 2 of 2 incidents" in page
    assert page.index("Filler PLC down") < page.index("Printer jam")
    reversed_page = text(client.get("/incidents/?sort=-priority"))
    assert reversed_page.index("Printer jam") < reversed_page.index("Filler PLC down")
    filtered = text(client.get("/incidents/", {"priority": "1"}))
    assert "Filler PLC down" in filtered
    assert "Printer jam" not in filtered
    assert urgent.number in text(client.get("/incidents/", {"q": urgent.number}))
    assert "No incidents match" in text(client.get("/incidents/", {"q": "nothing like this"}))


def test_queue_htmx_request_returns_only_the_results(plant: Plant) -> None:
    make_incident(plant.agent, short_description="Filler PLC down")
    response = client_for(plant.agent).get(
        "/incidents/", {"q": "Filler"}, headers={"HX-Request": "true", "HX-Target": "queue-results"}
    )
    assert response.status_code == 200
    assert "Filler PLC down" in text(response)
    assert "<html" not in text(response)
    assert "HX-Request" in response["Vary"]


def test_queue_named_views(plant: Plant) -> None:
    mine = make_incident(plant.agent, short_description="Mine", assignment_group="MES Support", assignee="alice")
    free = make_incident(plant.agent, short_description="Nobody on it", assignment_group="MES Support")
    other = make_incident(plant.agent, short_description="Network thing", assignment_group="Network")
    client = client_for(plant.agent)
    my_work = text(client.get("/incidents/?view=my_work"))
    assert mine.short_description in my_work
    assert free.short_description not in my_work
    unassigned = text(client.get("/incidents/?view=unassigned"))
    assert free.short_description in unassigned
    assert mine.short_description not in unassigned
    assert other.short_description not in unassigned
    in_groups = text(client.get("/incidents/?view=my_groups"))
    assert mine.short_description in in_groups
    assert other.short_description not in in_groups
    assert other.short_description in text(client.get("/incidents/?view=all_open"))


@pytest.mark.parametrize(
    "query",
    ["priority=9", "state=bogus", "view=everything", "sort=drop_table", "page=0", "page=abc", "q=" + "x" * 300],
)
def test_bad_queue_parameters_answer_400_not_500(plant: Plant, query: str) -> None:
    response = client_for(plant.agent).get(f"/incidents/?{query}")
    assert response.status_code == 400


def test_queue_paginates_50_per_page(plant: Plant) -> None:
    for i in range(52):
        make_incident(plant.agent, short_description=f"Bulk {i}")
    client = client_for(plant.agent)
    assert "Showing 1 to 50 of 52 incidents" in text(client.get("/incidents/"))
    second = text(client.get("/incidents/?page=2"))
    assert "Showing 51 to 52 of 52 incidents" in second
    assert "Page 2 of 2" in second


def test_queue_query_count_does_not_grow_with_rows(plant: Plant, plant_cis: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(plant.agent)

    def queries_for_queue_with(rows: int) -> int:
        # Each row shows its CI's name; two incidents per CI at most, so no major-incident banner joins in.
        names = ["BER-MES-APP01", "BER-HIST01", "BER-L3-PLC01", "BER-OTGW01"] * 2
        while (n := Incident.objects.count()) < rows:
            ci = names[n] if n < len(names) else None
            make_incident(plant.agent, short_description="Row", assignment_group="MES Support", assignee="alice", ci=ci)
        client.get("/incidents/")  # warm the session and caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/incidents/")
        assert f"Showing 1 to {rows} of {rows} incidents" in text(response)
        return len(captured.captured_queries)

    few = queries_for_queue_with(3)
    assert few <= 13  # with the person's column choice
    assert queries_for_queue_with(30) == few


# -- detail, edit, transitions, journal -----------------------------------------------------------


def test_detail_shows_fields_journal_and_actions(plant: Plant) -> None:
    incident = make_incident(plant.agent, short_description="Line 3 MES frozen", impact=1, urgency=1)
    do_add_comment(incident, "Operator informed", "public", actor=plant.agent)
    do_add_comment(incident, "Checked DB locks", "internal", actor=plant.agent)
    page = text(client_for(plant.agent).get(f"/incidents/{incident.number}/"))
    assert "Line 3 MES frozen" in page
    assert "P1 Critical" in page
    assert "Operator informed" in page
    assert "Checked DB locks" in page
    assert "Work note · internal" in page
    for label in ("Start work", "Put on hold", "Resolve", "Cancel incident"):
        assert label in page
    assert "CET" in page or "CEST" in page  # alice is in Berlin: times name the zone


def test_unknown_or_invisible_incident_is_404(plant: Plant) -> None:
    incident = make_incident(plant.requester_sin, short_description="Singapore only")
    assert client_for(plant.agent).get(f"/incidents/{incident.number}/").status_code == 404
    assert client_for(plant.agent).get("/incidents/INC9999999/").status_code == 404


def test_edit_saves_and_shows_field_errors(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    client = client_for(plant.agent)
    page = client.get(f"/incidents/{incident.number}/")
    updated_at = page.context["edit_form"].initial["updated_at"]
    form = {**page.context["edit_form"].initial, "impact": "1", "urgency": "1", "updated_at": updated_at}
    form["major_incident"] = ""
    response = client.post(f"/incidents/{incident.number}/edit/", form)
    assert response.status_code == 303
    incident.refresh_from_db()
    assert incident.priority == 1
    bad = client.post(f"/incidents/{incident.number}/edit/", {**form, "impact": "7", "parent": "INC404"})
    assert bad.status_code == 400
    assert "Must be 1 (high), 2 (medium) or 3 (low)." in text(bad)
    assert "Unknown incident &#x27;INC404&#x27;." in text(bad)


def test_edit_with_a_stale_form_is_refused(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    client = client_for(plant.agent)
    initial = client.get(f"/incidents/{incident.number}/").context["edit_form"].initial
    do_add_comment(incident, "someone else was faster", "public", actor=plant.manager)
    response = client.post(f"/incidents/{incident.number}/edit/", {**initial, "impact": "1"})
    assert response.status_code == 409
    assert "changed by someone else" in text(response)


def test_htmx_edit_error_swaps_only_the_form(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    response = client_for(plant.agent).post(
        f"/incidents/{incident.number}/edit/", {"assignee": "rita"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "&#x27;rita&#x27; is a requester and cannot work incidents." in text(response)
    assert "<html" not in text(response)


def test_transition_flow_with_required_fields(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    client = client_for(plant.agent)
    url = f"/incidents/{incident.number}/transition/"
    assert client.post(url, {"to": "in_progress"}).status_code == 303
    missing = client.post(url, {"to": "on_hold"})
    assert missing.status_code == 400
    assert "Required: one of awaiting_caller" in text(missing)
    assert client.post(url, {"to": "on_hold", "hold_reason": "awaiting_vendor"}).status_code == 303
    no_code = client.post(url, {"to": "resolved", "resolution_notes": "Fixed"}, headers={"HX-Request": "true"})
    assert no_code.status_code == 400
    assert "A resolution code is required." in text(no_code)
    ok = client.post(url, {"to": "resolved", "resolution_code": "solved_fix", "resolution_notes": "Fixed"})
    assert ok.status_code == 303
    incident.refresh_from_db()
    assert incident.state == "resolved"
    history = text(client.get(f"/incidents/{incident.number}/?tab=history"))
    for shown in ("In progress", "On hold", "Awaiting vendor", "Resolved", "Resolution code", "solved_fix"):
        assert shown in history


def test_an_illegal_transition_is_shown_not_crashed(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    client = client_for(plant.agent)
    response = client.post(f"/incidents/{incident.number}/transition/", {"to": "closed"}, follow=True)
    assert response.status_code == 200
    assert "cannot go from new to closed" in text(response)
    assert client.post(f"/incidents/{incident.number}/transition/", {}).status_code == 303


def test_comment_and_work_note(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    client = client_for(plant.agent)
    url = f"/incidents/{incident.number}/comment/"
    assert client.post(url, {"body": "Visible to Rita", "visibility": "public"}).status_code == 303
    assert client.post(url, {"body": "Internal only", "visibility": "internal"}).status_code == 303
    empty = client.post(url, {"body": "  ", "visibility": "public"})
    assert empty.status_code == 400
    assert "A comment cannot be empty." in text(empty)
    page = text(client.get(f"/incidents/{incident.number}/"))
    assert "Visible to Rita" in page
    assert "Internal only" in page


def test_agent_creates_an_incident(plant: Plant) -> None:
    client = client_for(plant.agent)
    assert client.get("/incidents/new/").status_code == 200
    response = client.post(
        "/incidents/new/",
        {"short_description": "Scanner broken", "impact": "2", "urgency": "1", "caller": "rita", "source": "phone"},
    )
    assert response.status_code == 303
    incident = Incident.objects.get(short_description="Scanner broken")
    assert incident.caller == plant.requester
    assert incident.priority == 2
    bad = client.post("/incidents/new/", {"short_description": "", "impact": "2", "urgency": "2", "caller": "nobody"})
    assert bad.status_code == 400
    assert "This field is required." in text(bad)


# -- portal ---------------------------------------------------------------------------------------


def test_requester_raises_sees_and_comments(plant: Plant) -> None:
    client = client_for(plant.requester)
    response = client.post(
        "/portal/new/",
        {"short_description": "My terminal is dead", "description": "Black screen", "impact": "3", "urgency": "2"},
    )
    assert response.status_code == 303
    incident = Incident.objects.get(short_description="My terminal is dead")
    assert incident.caller == plant.requester
    assert incident.source == "portal"
    assert "My terminal is dead" in text(client.get("/portal/"))
    do_add_comment(incident, "Secret agent note", "internal", actor=plant.agent)
    do_add_comment(incident, "We are on it", "public", actor=plant.agent)
    assert client.post(f"/portal/{incident.number}/comment/", {"body": "Thanks!"}).status_code == 303
    page = text(client.get(f"/portal/{incident.number}/"))
    assert "We are on it" in page
    assert "Thanks!" in page
    assert "Secret agent note" not in page
    # A requester posting "internal" is refused with the action's message, not a 500.
    refused = client.post(f"/portal/{incident.number}/comment/", {"body": "x", "visibility": "internal"})
    assert refused.status_code == 400
    # Agent pages send the requester to their portal view of the same incident.
    assert client.get(f"/incidents/{incident.number}/").url == f"/portal/{incident.number}/"


def test_requester_cannot_open_someone_elses_incident(plant: Plant) -> None:
    other = make_incident(plant.requester2, short_description="Rob's problem")
    client = client_for(plant.requester)
    assert client.get(f"/portal/{other.number}/").status_code == 404
    assert client.post(f"/portal/{other.number}/comment/", {"body": "hi"}).status_code == 404
    assert "Rob&#x27;s problem" not in text(client.get("/portal/"))


def test_requester_reopens_and_accepts_a_resolution(plant: Plant) -> None:
    incident = make_incident(plant.requester)
    do_transition_incident(
        incident, "resolved", actor=plant.agent, resolution_code="solved_fix", resolution_notes="Rebooted"
    )
    client = client_for(plant.requester)
    page = text(client.get(f"/portal/{incident.number}/"))
    assert "Accept resolution" in page
    assert "Reopen" in page
    assert client.post(f"/portal/{incident.number}/transition/", {"to": "in_progress"}).status_code == 303
    incident.refresh_from_db()
    assert incident.state == "in_progress"
    assert incident.reopen_count == 1
    # Not allowed for a caller: putting their own incident on hold.
    response = client.post(f"/portal/{incident.number}/transition/", {"to": "on_hold"}, follow=True)
    assert "allowed next states" in text(response)


def test_portal_raise_shows_field_errors(plant: Plant) -> None:
    client = client_for(plant.requester)
    missing = client.post("/portal/new/", {"short_description": "", "impact": "2", "urgency": "2"})
    assert missing.status_code == 400
    assert "This field is required." in text(missing)
    response = client.post(
        "/portal/new/", {"short_description": "Broken", "impact": "5", "urgency": "2", "category": "nonsense"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "Must be 1 (high), 2 (medium) or 3 (low)." in page
    assert "Unknown category &#x27;nonsense&#x27;." in page


def test_views_write_audited_changes(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    client_for(plant.agent).post(f"/incidents/{incident.number}/transition/", {"to": "in_progress"})
    assert AuditEntry.objects.filter(record_label=incident.number, field="state", new="in_progress").exists()


def test_edit_form_keeps_a_retired_category(plant: Plant) -> None:
    from plantdesk.core.models import ChoiceOption

    incident = make_incident(plant.agent, category="network")
    retired = ChoiceOption.objects.get(choice_set="incident_category", value="network")
    retired.active = False
    retired.save()  # as an administrator would, which also refreshes the cached option list
    page = text(client_for(plant.agent).get(f"/incidents/{incident.number}/"))
    assert '<option value="network" selected>network</option>' in page


def test_too_long_short_description_gives_the_api_message(plant: Plant) -> None:
    response = client_for(plant.requester).post(
        "/portal/new/", {"short_description": "x" * 200, "impact": "2", "urgency": "2"}
    )
    assert response.status_code == 400
    assert "At most 160 characters (got 200)." in text(response)


@pytest.mark.parametrize("target", ["%d", "%s%s", "%", "flying"])
def test_a_mangled_transition_target_is_refused_not_a_crash(plant: Plant, target: str) -> None:
    incident = make_incident(plant.agent, caller="rita")
    agent = client_for(plant.agent).post(f"/incidents/{incident.number}/transition/", {"to": target})
    assert agent.status_code < 500
    portal = client_for(plant.requester).post(f"/portal/{incident.number}/transition/", {"to": target})
    assert portal.status_code < 500
    incident.refresh_from_db()
    assert incident.state == "new"


def test_child_list_shows_only_visible_children(plant: Plant) -> None:
    parent = make_incident(plant.manager, caller="rita")
    hidden = make_incident(plant.manager, caller="sam", site="sin", parent=parent.number)
    visible = make_incident(plant.manager, caller="rita", parent=parent.number)
    page = text(client_for(plant.agent).get(f"/incidents/{parent.number}/"))
    assert visible.number in page
    assert hidden.number not in page


def test_major_incident_page_has_a_communication_log(plant: Plant) -> None:
    from plantdesk.incidents.actions import do_update_incident

    incident = make_incident(plant.agent, caller="rita")
    agent = client_for(plant.agent)
    assert "communication log" not in text(agent.get(f"/incidents/{incident.number}/")).lower()
    do_update_incident(incident, {"major_incident": True}, actor=plant.manager)
    empty = agent.post(f"/incidents/{incident.number}/communicate/", {"body": ""})
    assert empty.status_code == 400
    assert "A comment cannot be empty." in text(empty)
    posted = agent.post(f"/incidents/{incident.number}/communicate/", {"body": "Vendor on site at 15:00."})
    assert posted.status_code == 303
    page = text(agent.get(f"/incidents/{incident.number}/"))
    assert "communication log" in page.lower()
    assert "Vendor on site at 15:00." in page


def test_queue_proposes_a_major_incident_when_one_ci_floods(plant: Plant, plant_cis: dict[str, Any]) -> None:
    numbers = [make_incident(plant.agent, ci="BER-OTGW01").number for _ in range(3)]
    page = text(client_for(plant.agent).get("/incidents/"))
    assert "Possible major incident" in page
    assert "BER-OTGW01" in page
    assert all(n in page for n in numbers)
