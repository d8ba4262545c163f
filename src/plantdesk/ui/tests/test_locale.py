"""The pages' language and date style: the browser's language before sign-in, the person's own setting
after it (their settings page), German and English dates shown with the zone named."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.utils import timezone, translation

from plantdesk.accounts.preference_actions import do_update_preferences
from plantdesk.core.models import AuditEntry
from plantdesk.testing.fixtures import Plant, client_for, text
from plantdesk.ui import dates
from plantdesk.ui.templatetags.plantdesk_ui import localdate, localdt

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
CHRISTMAS_MORNING = datetime(2026, 12, 24, 5, 0, tzinfo=UTC)  # 06:00 in Berlin


def test_the_login_page_follows_the_browsers_language_and_falls_back_to_english() -> None:
    german = Client().get("/login/", headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in text(german) and german["Content-Language"] == "de"
    assert "Anmelden" in text(german)
    french = Client().get("/login/", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert '<html lang="en">' in text(french) and "Log in" in text(french)


def test_a_signed_in_person_reads_their_own_language_whatever_the_browser_asks(plant: Plant) -> None:
    alice = plant.agent
    do_update_preferences(alice, actor=alice, language="de", date_format="")
    page = client_for(alice).get("/incidents/", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="de">' in text(page) and "Warteschlange" in text(page)
    rita = client_for(plant.requester).get("/portal/", headers={"accept-language": "de"})  # no setting: browser
    assert "Meine Störungen" in text(rita)


def test_the_api_stays_english_for_a_german_user(plant: Plant) -> None:
    alice = plant.agent
    do_update_preferences(alice, actor=alice, language="de", date_format="")
    response = client_for(alice).get("/api/v1/incidents/NOPE")
    assert response["Content-Language"] == "en"


def test_the_settings_page_saves_language_and_format_through_the_audited_action(plant: Plant) -> None:
    alice = client_for(plant.agent)
    page = text(alice.get("/incidents/"))
    assert 'href="/settings/"' in page  # the name in the top bar leads there
    form = text(alice.get("/settings/"))
    assert 'name="language"' in form and 'name="date_format"' in form and "24.12.2026 06:00" in form
    saved = alice.post("/settings/", {"language": "de", "date_format": ""}, follow=True)
    assert "Ihre Einstellungen sind gespeichert." in text(saved) and "Einstellungen" in text(saved)
    plant.agent.refresh_from_db()
    assert plant.agent.language == "de"
    assert AuditEntry.objects.filter(record_type="user", record_id=plant.agent.pk, field="language", new="de").exists()


def test_the_settings_page_refuses_an_unknown_language_and_changes_nothing(plant: Plant) -> None:
    response = client_for(plant.agent).post("/settings/", {"language": "xx", "date_format": ""})
    assert response.status_code == 400 and 'id="id_language_error"' in text(response)
    plant.agent.refresh_from_db()
    assert plant.agent.language == ""


@pytest.mark.parametrize(
    ("language", "style", "shown", "day"),
    [
        ("de", "", "24.12.2026 06:00 CET", "24.12.2026"),
        ("en", "", "2026-12-24 06:00 CET", "2026-12-24"),
        ("en", "dmy", "24.12.2026 06:00 CET", "24.12.2026"),  # an English reader who writes day first
        ("de", "ymd", "2026-12-24 06:00 CET", "2026-12-24"),
    ],
)
def test_times_are_shown_in_one_style_per_reader_with_the_zone_named(
    language: str, style: str, shown: str, day: str
) -> None:
    token = dates.activate_style(style)
    try:
        with translation.override(language), timezone.override(BERLIN):
            assert localdt(CHRISTMAS_MORNING) == shown
            assert localdate(date(2026, 12, 24)) == day
    finally:
        dates.deactivate_style(token)


def test_a_zone_without_an_abbreviation_is_named_by_its_iana_name() -> None:
    with translation.override("de"), timezone.override(zoneinfo.ZoneInfo("Asia/Singapore")):
        assert localdt(CHRISTMAS_MORNING) == "24.12.2026 13:00 Asia/Singapore"
