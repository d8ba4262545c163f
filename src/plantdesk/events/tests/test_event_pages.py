"""The event pages: the alert console (filters, site scoping, acknowledge, silences, maintenance), dead letters
and their replay, the integration setup pages, and the alerts on an incident's page and in the API."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from plantdesk.accounts.actions import do_create_user
from plantdesk.accounts.models import ApiToken, User
from plantdesk.accounts.tokens import hash_token, user_for_token
from plantdesk.changes.models import Window
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.models import AuditEntry
from plantdesk.events.forms import SilenceForm
from plantdesk.events.ingest import accept, dedup_key_of
from plantdesk.events.models import Alert, InboxEvent, Silence
from plantdesk.events.processor import process_pending
from plantdesk.testing.fixtures import ApiClient, Plant, client_for, refused_as_agents_only, text

pytestmark = pytest.mark.django_db

BER = {"source": "mes-ber", "node": "BER-L3-PLC01", "resource": "Filler", "type": "alarm",
       "metric": "motor_overtemp", "severity": "critical", "message": "Filler motor over temperature"}  # fmt: skip
SIN = {**BER, "source": "mes-sin", "node": "SIN-MES-APP01", "metric": "batch_queue", "message": "SIN batch queue stuck"}
UNBOUND = {**BER, "node": "mystery-box", "metric": "fan", "severity": "warning", "message": "Fan of a mystery box"}
_ids = itertools.count()


@pytest.fixture
def mes(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> User:
    return do_create_user("mes-ber", role="requester", actor=plant.admin, sites=["ber"], is_integration=True)


def send(mes: User, *events: dict[str, Any]) -> None:
    accept([{"event_id": f"page-{next(_ids)}", **e} for e in events], channel="rest", actor=mes)
    process_pending()


def alert_of(event: dict[str, Any]) -> Alert:
    return Alert.objects.select_related("incident").filter(dedup_key=dedup_key_of(event)).latest("id")


def rows(page: str) -> list[str]:
    """The alert ids of the console's rows, in order."""
    return re.findall(r'data-alert="(\d+)"', page)


# -- permissions ---------------------------------------------------------------------------------


def test_requesters_are_told_these_are_agent_pages_and_anonymous_users_go_to_the_login(plant: Plant) -> None:
    requester = client_for(plant.requester)
    for url in ("/events/alerts/", "/events/dead-letters/", "/events/silences/", "/events/integrations/"):
        response = requester.get(url)
        assert refused_as_agents_only(response), url
    assert Client().get("/events/alerts/")["Location"].startswith("/login/")
    assert refused_as_agents_only(requester.post("/events/dead-letters/replay/", {"ids": ["1"]}))


def test_an_agent_sees_his_sites_alerts_and_unbound_ones_but_not_another_sites(mes: User, plant: Plant) -> None:
    send(mes, BER, SIN, UNBOUND)
    ber, sin, unbound = alert_of(BER), alert_of(SIN), alert_of(UNBOUND)
    alice = text(client_for(plant.agent).get("/events/alerts/"))
    assert set(rows(alice)) == {str(ber.pk), str(unbound.pk)}
    assert "SIN batch queue stuck" not in alice
    siti = text(client_for(plant.agent_sin).get("/events/alerts/"))
    assert set(rows(siti)) == {str(sin.pk), str(unbound.pk)}
    assert set(rows(text(client_for(plant.admin).get("/events/alerts/")))) == {str(a.pk) for a in (ber, sin, unbound)}
    # Nor can he act on it by its id.
    assert client_for(plant.agent).post(f"/events/alerts/{sin.pk}/acknowledge/").status_code == 404
    assert not Alert.objects.get(pk=sin.pk).acknowledged_at


# -- the console ---------------------------------------------------------------------------------


def test_the_console_shows_what_an_agent_needs_on_a_row(mes: User, plant: Plant) -> None:
    send(mes, BER, BER)
    alert = alert_of(BER)
    assert alert.incident is not None
    page = text(client_for(plant.agent).get("/events/alerts/"))
    assert "sev-critical" in page and ">2</td>" in page  # severity and count
    assert "BER-L3-PLC01" in page and "Filler motor over temperature" in page
    assert f'href="/incidents/{alert.incident.number}/"' in page
    assert f'href="/events/silences/new/?alert={alert.pk}"' in page
    assert 'href="/changes/windows/?kind=maintenance&amp;maintain=BER-L3-PLC01#maintenance"' in page
    assert 'hx-trigger="every 5s"' in page and 'hx-get="/events/alerts/"' in page


def test_filters_by_state_severity_site_area_and_unbound(mes: User, plant: Plant) -> None:
    send(mes, BER, UNBOUND, {**BER, "metric": "door", "severity": "minor", "message": "Door open"})
    send(mes, {**BER, "metric": "door", "severity": "clear"})
    ber, unbound, door = alert_of(BER), alert_of(UNBOUND), alert_of({**BER, "metric": "door"})
    assert door.state == "closed"
    Alert.objects.filter(pk=ber.pk).update(area="BER-L3")  # the line its PLC's failure reaches (no lines here)
    admin = client_for(plant.admin)

    def shown(**params: str) -> set[str]:
        response = admin.get("/events/alerts/", params)
        assert response.status_code == 200
        return set(rows(text(response)))

    assert shown() == {str(ber.pk), str(unbound.pk)}  # open by default
    assert shown(state="closed") == {str(door.pk)}
    assert shown(state="all") == {str(a.pk) for a in (ber, unbound, door)}
    assert shown(severity="warning") == {str(unbound.pk)}
    assert shown(unbound="on") == {str(unbound.pk)}
    assert shown(site="ber", state="all") == {str(ber.pk), str(door.pk)}
    assert shown(area="BER-L3") == {str(ber.pk)}
    bad = admin.get("/events/alerts/", {"severity": "disaster"})
    assert bad.status_code == 400 and "Severity: Select a valid choice." in text(bad)


def test_the_poll_gets_only_the_results_with_the_same_filters(mes: User, plant: Plant) -> None:
    send(mes, BER, UNBOUND)
    poll = client_for(plant.agent).get(
        "/events/alerts/?severity=warning", headers={"HX-Request": "true", "HX-Target": "alert-results"}
    )
    page = text(poll)
    assert "<html" not in page and rows(page) == [str(alert_of(UNBOUND).pk)]
    assert 'hx-get="/events/alerts/?severity=warning"' in page  # the next poll keeps the filter
    assert "HX-Request" in poll["Vary"]


def test_the_console_reads_a_page_of_alerts_in_a_fixed_number_of_queries(
    mes: User, plant: Plant, django_assert_max_num_queries: Any
) -> None:
    send(mes, *({**BER, "metric": f"m{i}", "message": f"Alarm {i}"} for i in range(30)), UNBOUND)
    Alert.objects.filter(pk=alert_of({**BER, "metric": "m1"}).pk).update(acknowledged_by=plant.agent)
    client = client_for(plant.agent)
    client.get("/events/alerts/")  # the session and the user, warm
    with django_assert_max_num_queries(9):
        page = text(client.get("/events/alerts/"))
    assert len(rows(page)) == 31
    with django_assert_max_num_queries(8):
        client.get("/events/alerts/", headers={"HX-Request": "true", "HX-Target": "alert-results"})


def test_an_agent_acknowledges_an_alert_and_returns_to_his_filtered_console(mes: User, plant: Plant) -> None:
    send(mes, BER)
    alert = alert_of(BER)
    agent = client_for(plant.agent)
    response = agent.post(f"/events/alerts/{alert.pk}/acknowledge/", {"next": "/events/alerts/?site=ber"})
    assert response.status_code == 303 and response["Location"] == "/events/alerts/?site=ber"
    alert.refresh_from_db()
    assert alert.acknowledged_by == plant.agent and alert.acknowledged_at is not None
    page = text(agent.get("/events/alerts/?site=ber"))
    assert "Acknowledged by Alice Agent" in page and "Acknowledge alert" not in page
    elsewhere = agent.post(f"/events/alerts/{alert.pk}/acknowledge/", {"next": "https://evil.example/"})
    assert elsewhere["Location"] == "/events/alerts/"
    assert AuditEntry.objects.filter(record_type="alert", record_id=alert.pk, action="acknowledged").count() == 1


def test_acknowledging_needs_the_csrf_token(mes: User, plant: Plant) -> None:
    send(mes, BER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(plant.agent)
    assert client.post(f"/events/alerts/{alert_of(BER).pk}/acknowledge/").status_code == 403
    assert alert_of(BER).acknowledged_at is None


def test_a_closed_alert_cannot_be_acknowledged_and_the_agent_is_told_why(mes: User, plant: Plant) -> None:
    send(mes, BER)
    send(mes, {**BER, "severity": "clear"})
    agent = client_for(plant.agent)
    response = agent.post(f"/events/alerts/{alert_of(BER).pk}/acknowledge/", follow=True)
    assert "Only an open alert can be acknowledged." in text(response)


# -- silences and maintenance --------------------------------------------------------------------


def test_the_silence_form_is_prefilled_from_the_alert_and_creates_a_silence(mes: User, plant: Plant) -> None:
    send(mes, BER)
    alert = alert_of(BER)
    agent = client_for(plant.agent)
    form = text(agent.get(f"/events/silences/new/?alert={alert.pk}"))
    for name, value in (("source", "mes-ber"), ("node", "BER-L3-PLC01"), ("metric", "motor_overtemp")):
        assert re.search(rf'name="{name}"[^>]*value="{value}"', form), name
    posted = agent.post(
        f"/events/silences/new/?alert={alert.pk}",
        {"site": "ber", "source": "", "node": "BER-L3-*", "metric": "", "duration": "60", "comment": "Filler rebuild"},
    )
    assert posted.status_code == 303 and posted["Location"] == "/events/silences/"
    silence = Silence.objects.get()
    assert silence.matchers == {"node": "BER-L3-*", "site": "ber"} and silence.created_by == plant.agent
    assert 3500 < (silence.ends_at - silence.starts_at).total_seconds() <= 3600
    listing = text(agent.get("/events/silences/"))
    assert "node=BER-L3-*" in listing and "Filler rebuild" in listing and "Expire now" in listing
    expired = agent.post(f"/events/silences/{silence.pk}/expire/")
    assert expired.status_code == 303
    silence.refresh_from_db()
    assert silence.expired_early_at is not None
    assert "No silence is in force." in text(agent.get("/events/silences/"))


def test_a_silence_with_the_alerts_three_matchers_as_prefilled(mes: User, plant: Plant) -> None:
    send(mes, BER)
    matchers = SilenceForm.initial_for(alert_of(BER))
    posted = client_for(plant.agent).post("/events/silences/new/", matchers | {"comment": "Filler rebuild"})
    assert posted.status_code == 303
    assert Silence.objects.get().matchers == {
        "source": "mes-ber", "node": "BER-L3-PLC01", "metric": "motor_overtemp", "site": "ber",
    }  # fmt: skip


def test_an_agent_silences_only_their_own_sites(mes: User, plant: Plant) -> None:
    agent = client_for(plant.agent)  # Berlin
    form = text(agent.get("/events/silences/new/"))
    assert 'value="ber"' in form and 'value="sin"' not in form
    refused = agent.post("/events/silences/new/", {"site": "sin", "node": "*", "duration": "60", "comment": "x"})
    assert refused.status_code == 400 and not Silence.objects.exists()
    singapore = client_for(plant.agent_sin)
    singapore.post("/events/silences/new/", {"site": "sin", "node": "*", "duration": "60", "comment": "CIP"})
    theirs = Silence.objects.get()
    assert agent.post(f"/events/silences/{theirs.pk}/expire/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.expired_early_at is None


def test_silence_form_errors_name_the_field_and_nothing_is_saved(plant: Plant) -> None:
    agent = client_for(plant.agent)
    no_reason = agent.post("/events/silences/new/", {"source": "mes-*", "duration": "60", "comment": " "})
    assert no_reason.status_code == 400
    assert re.search(r'id="id_comment_error">Say why', text(no_reason))
    no_matcher = agent.post("/events/silences/new/", {"duration": "60", "comment": "why"})
    assert no_matcher.status_code == 400 and "At least one field: pattern pair." in text(no_matcher)
    bad_length = agent.post("/events/silences/new/", {"source": "x", "duration": "999999", "comment": "why"})
    assert bad_length.status_code == 400 and 'id="id_duration_error"' in text(bad_length)
    assert not Silence.objects.exists()


def test_an_agent_puts_a_ci_in_maintenance(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> None:
    """An agent (not a change manager) puts a CI in maintenance on the one windows page; the old events page
    sends them there with the CI filled in."""
    agent = client_for(plant.agent)
    old = agent.get("/events/maintenance/?ci=BER-L3-PLC01")
    assert old.status_code == 302
    assert old["Location"] == "/changes/windows/?kind=maintenance&maintain=BER-L3-PLC01#maintenance"
    assert 'value="BER-L3-PLC01"' in text(agent.get("/changes/windows/?kind=maintenance&maintain=BER-L3-PLC01"))
    posted = agent.post("/changes/windows/maintenance/", {"ci": "BER-L3-PLC01", "duration": "240",
                                                           "reason": "CHG0001234"})  # fmt: skip
    assert posted.status_code == 303
    window = Window.objects.get()
    assert [ci.name for ci in window.cis.all()] == ["BER-L3-PLC01"] and window.description == "CHG0001234"
    assert window.kind == "maintenance" and window.end - window.start == timedelta(hours=4)
    listed = text(agent.get("/changes/windows/?kind=maintenance"))
    assert "CHG0001234" in listed and f'action="/changes/windows/{window.pk}/deactivate/"' in listed  # theirs to end
    other_site = agent.post("/changes/windows/maintenance/", {"ci": "SIN-MES-APP01", "duration": "240", "reason": "x"})
    assert other_site.status_code == 400 and 'id="id_ci_error">No CI you can see' in text(other_site)
    assert Window.objects.count() == 1
    ended = agent.post(f"/changes/windows/{window.pk}/deactivate/", {"reason": "Done early."})
    assert ended.status_code == 303
    window.refresh_from_db()
    assert not window.active
    assert client_for(plant.ot_agent).post(f"/changes/windows/{window.pk}/deactivate/",
                                           {"reason": "not mine"}).status_code == 403  # fmt: skip


# -- dead letters --------------------------------------------------------------------------------


def test_dead_letters_are_listed_with_payload_and_hash_and_replayed(mes: User, plant: Plant) -> None:
    accept([{"source": "mes-ber", "severity": "disaster", "event_id": "dl-1"}, {"severity": "critical"}],
           channel="rest", actor=mes)  # fmt: skip
    fixable, hopeless = InboxEvent.objects.filter(status="dead").order_by("id")
    agent = client_for(plant.agent)
    page = text(agent.get("/events/dead-letters/"))
    assert "severity: one of critical" in page and "source: required." in page
    assert fixable.sha256 in page and hashlib.sha256(fixable.payload.encode()).hexdigest() == fixable.sha256
    assert "&quot;disaster&quot;" in page and "<details>" in page
    # An operator fixes the stored payload's reading (here: the payload itself, as an adapter fix would).
    InboxEvent.objects.filter(pk=fixable.pk).update(payload=fixable.payload.replace("disaster", "critical"))
    replayed = agent.post("/events/dead-letters/replay/", {"ids": [str(fixable.pk), str(hopeless.pk)]}, follow=True)
    body = text(replayed)
    assert f"Replayed #{fixable.pk}" in body and f"Still dead #{hopeless.pk}: source: required." in body
    assert InboxEvent.objects.get(pk=fixable.pk).status == "accepted"
    assert InboxEvent.objects.get(pk=hopeless.pk).status == "dead"
    assert "Select the dead letters" in text(agent.post("/events/dead-letters/replay/", {}, follow=True))


# -- integration accounts ------------------------------------------------------------------------


def test_an_admin_creates_an_integration_account_whose_key_is_shown_once_and_stored_hashed(plant: Plant) -> None:
    admin = client_for(plant.admin)
    created = admin.post("/events/integrations/", {"name": "prometheus-ber", "site": "ber"})
    assert created.status_code == 201 and "no-store" in created["Cache-Control"]
    page = text(created)
    key = re.search(r'<code id="new-key">(pd_[^<]+)</code>', page)
    assert key is not None
    account = User.objects.get(username="prometheus-ber")
    assert account.is_integration and account.role == "requester" and not account.has_usable_password()
    assert [s.code for s in account.sites.all()] == ["ber"]
    stored = ApiToken.objects.get(user=account)
    assert stored.key_hash == hash_token(key[1]) and key[1] not in stored.key_hash and user_for_token(key[1]) == account
    assert "url: http://testserver/integrations/alertmanager" in page
    assert f"credentials: {key[1]}" in page and "http://testserver/api/v1/events" in page
    assert "http://testserver/integrations/pagerduty" in page and "mqtt://" in page and "spBv1.0/" in page
    later = text(admin.get("/events/integrations/prometheus-ber/"))
    assert key[1] not in later and stored.prefix in later and "credentials: &lt;key&gt;" in later
    assert "prometheus-ber" in text(admin.get("/events/integrations/"))
    taken = admin.post("/events/integrations/", {"name": "prometheus-ber"})
    assert taken.status_code == 400 and 'id="id_name_error"' in text(taken)
    bad = admin.post("/events/integrations/", {"name": "no spaces please"})
    assert bad.status_code == 400 and 'id="id_name_error"' in text(bad)


def test_an_admin_rotates_a_key_and_the_revoked_one_is_refused(plant: Plant) -> None:
    admin = client_for(plant.admin)
    first = re.findall(r'id="new-key">([^<]+)<', text(admin.post("/events/integrations/", {"name": "mes-sin"})))[0]
    second = re.findall(r'id="new-key">([^<]+)<', text(admin.post("/events/integrations/mes-sin/keys/")))[0]
    old = ApiToken.objects.get(key_hash=hash_token(first))
    revoked = admin.post(f"/events/integrations/mes-sin/keys/{old.pk}/revoke/")
    assert revoked.status_code == 303
    assert user_for_token(first) is None and user_for_token(second) is not None
    rest = Client().post("/api/v1/events", json.dumps(BER), content_type="application/json",
                         headers={"Authorization": f"Bearer {first}"})  # fmt: skip
    assert rest.status_code == 401
    assert AuditEntry.objects.filter(record_label="mes-sin", action="token_revoked").count() == 1


def test_integration_pages_are_for_administrators_only(plant: Plant) -> None:
    do_create_user("mes-x", role="requester", actor=plant.admin, is_integration=True)
    agent = client_for(plant.agent)
    assert agent.get("/events/integrations/").status_code == 403
    assert agent.get("/events/integrations/mes-x/").status_code == 403
    assert agent.post("/events/integrations/", {"name": "sneaky"}).status_code == 403
    assert agent.post("/events/integrations/mes-x/keys/").status_code == 403
    assert not User.objects.filter(username="sneaky").exists() and not ApiToken.objects.exists()
    assert client_for(plant.admin).get("/events/integrations/alice/").status_code == 404  # a person, not a sender
    assert "Integrations" not in text(agent.get("/events/alerts/")).split("<main")[1].split("</nav>")[0]


# -- the incident's alerts -----------------------------------------------------------------------


def test_the_incident_page_lists_its_alerts_with_their_raw_events(mes: User, plant: Plant) -> None:
    send(mes, BER)
    send(mes, {**BER, "message": "Filler motor still hot"})
    alert = alert_of(BER)
    assert alert.incident is not None and alert.count == 2
    raw = list(InboxEvent.objects.filter(dedup_key=alert.dedup_key).order_by("-id"))
    page = text(client_for(plant.agent).get(f"/incidents/{alert.incident.number}/"))
    section = page.split('id="incident-alerts-title"')[1]
    assert "count 2" in section and "Raw events (2)" in section
    assert raw[0].sha256 in section and raw[1].sha256 in section
    assert section.index(raw[0].sha256) < section.index(raw[1].sha256)  # newest first
    assert "Filler motor still hot" in section
    # A requester's own view of an incident never shows alerts.
    portal = text(client_for(plant.requester).get(f"/portal/{alert.incident.number}/"))
    assert "incident-alerts-title" not in portal and raw[0].sha256 not in portal


def test_the_raw_events_of_many_alerts_are_read_in_one_query(
    mes: User, plant: Plant, django_assert_max_num_queries: Any
) -> None:
    from plantdesk.events.incident_alerts import alerts_of_incident
    from plantdesk.incidents.models import Incident

    send(mes, BER)
    incident = Incident.objects.get(pk=alert_of(BER).incident_id)
    events = [{**BER, "metric": f"m{i}"} for i in range(6)]
    send(mes, *events, *events, *events)
    Alert.objects.filter(dedup_key__in=[dedup_key_of(e) for e in events]).update(incident=incident)
    with django_assert_max_num_queries(3):
        found = alerts_of_incident(plant.agent, incident, event_limit=2)
    assert found.count == 7 and len(found.items) == 7
    assert sorted(len(item.events) for item in found.items) == [1, 2, 2, 2, 2, 2, 2]
    for item in found.items:
        assert all(e.dedup_key == item.alert.dedup_key for e in item.events)


def test_the_api_returns_an_incidents_alerts_with_their_raw_events(mes: User, plant: Plant) -> None:
    send(mes, BER, BER)
    alert = alert_of(BER)
    assert alert.incident is not None
    _check_api(plant, alert.incident.number, alert)


def _check_api(plant: Plant, number: str, alert: Alert) -> None:
    body = ApiClient(plant.agent).get(f"/incidents/{number}/alerts")
    assert body.status_code == 200, text(body)
    data = body.json()
    assert data["count"] == 1
    item = data["items"][0]
    assert (item["id"], item["count"], item["ci"], item["incident"]) == (alert.pk, 2, "BER-L3-PLC01", number)
    assert len(item["events"]) == 2 and item["events"][0]["id"] > item["events"][1]["id"]
    first = item["events"][0]
    assert first["sha256"] == hashlib.sha256(first["payload"].encode()).hexdigest() and first["channel"] == "rest"
    assert ApiClient(plant.requester).get(f"/incidents/{number}/alerts").status_code == 403
    assert ApiClient(plant.agent_sin).get(f"/incidents/{number}/alerts").status_code == 404
    assert ApiClient(plant.agent).get("/incidents/INC9999999/alerts").status_code == 404
