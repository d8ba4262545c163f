"""The window pages (list, plan, deactivate, CSV upload of production runs) and the schedule page (month and
week grids, site and line, times on the site's clock, the next-free-slot form), through Django's test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.changes.models import Window
from plantdesk.changes.tests.schedule_helpers import berlin_lines, change_manager, make_change, window
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.models import AuditEntry
from plantdesk.testing.fixtures import Plant, client_for, refused_as_agents_only, text

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
DASH = "\u2013"  # the calendar writes spans of times with an en dash

NIGHTS = {
    "kind": "maintenance", "name": "Line 3 Saturday nights", "time_zone": "Europe/Berlin",
    "start": "2026-03-21T22:00", "end": "2026-03-22T06:00", "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=3",
    "cis": "BER-L3", "ci_classes": "", "run_state": "", "external_id": "", "description": "",
}  # fmt: skip
CSV_HEADER = "equipment,start,end,state,external_id,name\n"
CSV_ROWS = (
    "BER-L3-PLC01,2026-05-04T06:00:00+02:00,2026-05-04T18:00:00+02:00,running,JO-1001,Batch 4711\n"
    "BER-L4-PLC01,2026-05-04T06:00:00+02:00,2026-05-05T06:00:00+02:00,planned,JO-1002,\n"
)


@pytest.fixture
def carl(plant: Plant) -> User:
    return change_manager(plant)


@pytest.fixture
def cis(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> dict[str, ConfigurationItem]:
    return berlin_lines(plant, plant_cis)


def csv_file(content: str, name: str = "runs.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def cell(page: str, day: str) -> str:
    """The calendar cell of one day (YYYY-MM-DD)."""
    match = re.search(rf'data-day="{day}">(.*?)</td>', page, re.S)
    assert match, f"no cell for {day}"
    return match.group(1)


# -- permissions ----------------------------------------------------------------------------------------------


def test_requesters_are_told_these_are_agent_pages_and_strangers_go_to_the_login(plant: Plant) -> None:
    requester = client_for(plant.requester)
    for url in ("/changes/windows/", "/changes/windows/new/", "/changes/schedule/", "/changes/schedule/next-slot/",
                "/changes/windows/production-runs/upload/"):  # fmt: skip
        response = requester.get(url)
        assert refused_as_agents_only(response), url
    assert Client().get("/changes/schedule/")["Location"].startswith("/login/")


def test_agents_read_windows_but_do_not_plan_deactivate_or_import_them(plant: Plant, carl: User, cis: Any) -> None:
    existing = window(carl, kind="blackout", name="Audit week", start="2026-05-18T00:00:00+02:00",
                      end="2026-05-23T00:00:00+02:00", sites=["ber"])  # fmt: skip
    alice = client_for(plant.agent)
    page = alice.get("/changes/windows/")
    assert page.status_code == 200 and "Audit week" in text(page)
    assert "Plan window" not in text(page) and "Deactivate</button>" not in text(page)
    assert alice.get("/changes/windows/new/").status_code == 403
    assert alice.post("/changes/windows/new/", NIGHTS).status_code == 403
    assert alice.post(f"/changes/windows/{existing.pk}/deactivate/", {"reason": "x"}).status_code == 403
    assert alice.get("/changes/windows/production-runs/upload/").status_code == 403
    upload = alice.post("/changes/windows/production-runs/upload/", {"file": csv_file(CSV_HEADER + CSV_ROWS)})
    assert upload.status_code == 403
    assert list(Window.objects.values_list("name", "active")) == [("Audit week", True)]


def test_forms_need_the_csrf_token(plant: Plant, carl: User, cis: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(carl)
    assert browser.post("/changes/windows/new/", NIGHTS).status_code == 403
    page = text(browser.get("/changes/windows/new/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    response = browser.post("/changes/windows/new/", {**NIGHTS, "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 303
    assert Window.objects.count() == 1


# -- planning and deactivating ----------------------------------------------------------------------------------


def test_a_change_manager_plans_a_window_on_the_local_clock(plant: Plant, carl: User, cis: Any) -> None:
    manager = client_for(carl)
    page = text(manager.get("/changes/windows/"))
    assert "Plan window" in page and 'value="Europe/Berlin"' in page  # his first site's zone
    response = manager.post("/changes/windows/new/", {**NIGHTS, "sites": ["ber"]})
    assert response.status_code == 303 and response["Location"] == "/changes/windows/"
    created = Window.objects.get()
    assert created.start == datetime(2026, 3, 21, 21, tzinfo=UTC)  # 22:00 CET
    assert created.last_end == datetime(2026, 4, 5, 4, tzinfo=UTC)  # 06:00 CEST, after the change to summer time
    assert [s.code for s in created.sites.all()] == ["ber"] and created.created_by == carl
    listed = text(manager.get("/changes/windows/"))
    assert "2026-03-21 22:00 CET" in listed and "FREQ=WEEKLY;BYDAY=SA;COUNT=3" in listed
    assert "2026-04-05 06:00 CEST" in listed


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"rrule": "FREQ=SOMETIMES"}, "Not an RFC 5545 RRULE"),
        ({"end": "2026-03-21T21:00"}, "Must be after start."),
        ({"cis": "BER-L3 BER-L9"}, "Unknown CI: BER-L9."),
        ({"ci_classes": "toaster", "cis": ""}, "Unknown CI class: toaster."),
        ({"time_zone": "Mars/Olympus"}, "An IANA time zone name"),
        ({"start": ""}, "This field is required"),
        ({"cis": ""}, "Name at least one CI, CI class or site"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_written(
    plant: Plant, carl: User, cis: Any, change: dict[str, str], words: str
) -> None:
    response = client_for(carl).post("/changes/windows/new/", {**NIGHTS, **change})
    assert response.status_code == 400
    page = text(response)
    assert words in page and 'class="field-error"' in page and 'name="name" value="Line 3 Saturday nights"' in page
    assert not Window.objects.exists()


def test_deactivation_asks_for_a_reason(plant: Plant, carl: User, cis: Any) -> None:
    existing = window(carl, kind="blackout", name="Audit week", start="2026-05-18T00:00:00+02:00",
                      end="2026-05-23T00:00:00+02:00", sites=["ber"])  # fmt: skip
    manager = client_for(carl)
    refused = manager.post(f"/changes/windows/{existing.pk}/deactivate/", {"reason": ""}, follow=True)
    assert "was not deactivated" in text(refused) and Window.objects.get().active
    done = manager.post(f"/changes/windows/{existing.pk}/deactivate/", {"reason": "Audit postponed"}, follow=True)
    assert "is deactivated" in text(done) and not Window.objects.get().active
    assert AuditEntry.objects.get(record_type="window", action="deactivated").reason == "Audit postponed"
    assert "Audit week" not in text(manager.get("/changes/windows/"))
    assert "Audit week" in text(manager.get("/changes/windows/?show=inactive"))
    assert manager.post("/changes/windows/999999/deactivate/", {"reason": "x"}).status_code == 404


def test_the_list_filters_and_costs_the_same_queries_for_many_windows(
    plant: Plant, carl: User, cis: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(51):
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n)
        window(carl, kind="blackout" if n % 2 else "maintenance", name=f"Window {n:02d}", cis=["BER-L3"],
               sites=["ber"], start=start, end=start + timedelta(days=1))  # fmt: skip
    window(carl, kind="blackout", name="Singapore freeze", sites=["sin"], start="2026-02-01T00:00:00Z",
           end="2026-02-02T00:00:00Z")  # fmt: skip
    alice = client_for(plant.agent)
    with django_assert_max_num_queries(14):
        page = text(alice.get("/changes/windows/"))
    assert "52 windows" in page and "Page 1 of 4" in page and page.count('<tr id="window-') == 15
    with django_assert_max_num_queries(14):
        last = text(alice.get("/changes/windows/?page=4"))
    # By first start; the Singapore freeze starts with Window 31, so the last page holds Windows 44 to 50.
    assert re.findall(r"<strong>(Window \d+)</strong>", last) == [f"Window {n}" for n in range(44, 51)]
    only = text(alice.get("/changes/windows/?kind=blackout&site=ber"))
    assert "Window 01" in only and "Window 00" not in only and "Singapore freeze" not in only
    plc = text(alice.get("/changes/windows/?ci=BER-L3-PLC01"))
    assert "Window 00" in plc and "Singapore freeze" not in plc
    assert "No CI &#x27;NOPE&#x27; that you can see." in text(alice.get("/changes/windows/?ci=NOPE"))


# -- production-run upload --------------------------------------------------------------------------------------


def test_a_csv_of_job_orders_is_imported_and_again_changes_nothing(plant: Plant, carl: User, cis: Any) -> None:
    manager = client_for(carl)
    response = manager.post("/changes/windows/production-runs/upload/", {"file": csv_file(CSV_HEADER + CSV_ROWS)})
    assert response.status_code == 200
    assert "2 created, 0 updated, 0 unchanged" in text(response)
    runs = {w.external_id: w for w in Window.objects.all()}
    assert runs["JO-1001"].name == "Batch 4711" and runs["JO-1002"].name == "Job order JO-1002"
    assert runs["JO-1001"].run_state == "running" and runs["JO-1001"].start == datetime(2026, 5, 4, 4, tzinfo=UTC)
    again = manager.post("/changes/windows/production-runs/upload/", {"file": csv_file(CSV_HEADER + CSV_ROWS)})
    assert "0 created, 0 updated, 2 unchanged" in text(again)
    # A BOM (Excel's UTF-8) and blank lines are fine; a later state updates the run.
    later = "\ufeff" + CSV_HEADER + "\n" + CSV_ROWS.replace("running,JO-1001", "completed,JO-1001") + "\n"
    assert "0 created, 1 updated, 1 unchanged" in text(
        manager.post("/changes/windows/production-runs/upload/", {"file": csv_file(later)})
    )


def test_a_bad_line_is_shown_with_its_number_and_nothing_is_imported(plant: Plant, carl: User, cis: Any) -> None:
    bad = CSV_HEADER + CSV_ROWS + "BER-L9-PLC01,2026-05-06T06:00:00+02:00,2026-05-06T05:00:00+02:00,paused,JO-1003,\n"
    response = client_for(carl).post("/changes/windows/production-runs/upload/", {"file": csv_file(bad)})
    assert response.status_code == 400
    rows = re.findall(r"<tr><td>(\d+)</td><td><code>([^<]*)</code></td><td>(\w+)</td>", text(response))
    assert sorted(rows) == [("4", "JO-1003", "end"), ("4", "JO-1003", "state")]  # the header is line 1
    assert "Nothing was imported" in text(response)
    assert not Window.objects.exists() and not AuditEntry.objects.filter(record_type="window").exists()
    unknown = CSV_HEADER + CSV_ROWS.replace("BER-L4-PLC01", "BER-L9-PLC01")
    page = text(client_for(carl).post("/changes/windows/production-runs/upload/", {"file": csv_file(unknown)}))
    assert "<td>3</td><td><code>JO-1002</code></td><td>equipment</td><td><code>BER-L9-PLC01</code></td>" in page


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("equipment,start,end,external_id\nBER-L3-PLC01,a,b,c\n", "missing column(s) state"),
        ("equipment,start,end,state,external_id,shift\n", "unknown column(s) shift"),
        (CSV_HEADER, "at least one production run"),
        (CSV_HEADER + "BER-L3-PLC01,a,b,running,JO-1,x,extra\n", "more values than the header"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused(plant: Plant, carl: User, cis: Any, content: str, words: str) -> None:
    response = client_for(carl).post("/changes/windows/production-runs/upload/", {"file": csv_file(content)})
    assert response.status_code == 400 and words in text(response).replace("&#x27;", "'")
    assert not Window.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(plant: Plant, carl: User, cis: Any) -> None:
    upload = SimpleUploadedFile("runs.csv", (CSV_HEADER + "BER-L3-PLC01,\xe9\n").encode("latin-1"))
    response = client_for(carl).post("/changes/windows/production-runs/upload/", {"file": upload})
    assert response.status_code == 400 and "not UTF-8" in text(response)


# -- the schedule page ----------------------------------------------------------------------------------------


@pytest.fixture
def may(plant: Plant, carl: User, cis: dict[str, ConfigurationItem]) -> dict[str, Any]:
    return {
        "change": make_change(plant.agent, [cis["BER-L3-PLC01"]], datetime(2026, 5, 6, 6, tzinfo=UTC),
                              datetime(2026, 5, 6, 10, tzinfo=UTC), short_description="Line 3 PLC firmware"),
        "sin": make_change(plant.admin, [cis["SIN-MES-APP01"]], datetime(2026, 5, 7, 14, tzinfo=UTC),
                           datetime(2026, 5, 7, 16, tzinfo=UTC), short_description="Singapore MES patch"),
        "nights": window(carl, kind="maintenance", name="Line 3 nights", start="2026-05-02T22:00:00+02:00",
                         end="2026-05-03T06:00:00+02:00", rrule="FREQ=WEEKLY;BYDAY=SA", cis=["BER-L3"]),
        "audit": window(carl, kind="blackout", name="FDA audit", start="2026-05-18T00:00:00+02:00",
                        end="2026-05-20T00:00:00+02:00", sites=["ber"]),
        "run": window(carl, kind="production_run", name="JO-7 filling", start="2026-05-11T06:00:00+02:00",
                      end="2026-05-11T18:00:00+02:00", cis=["BER-L4-PLC01"], run_state="held"),
    }  # fmt: skip


def test_the_month_grid_lists_changes_and_windows_per_day_on_the_sites_clock(plant: Plant, may: dict[str, Any]) -> None:
    response = client_for(plant.admin).get("/changes/schedule/?site=ber&view=month&date=2026-05-15")
    assert response.status_code == 200
    page = text(response)
    assert "May 2026" in page and 'data-zone="Europe/Berlin"' in page and "(CEST)" in page
    assert re.findall(r'data-day="([\d-]+)"', page)[:2] == ["2026-04-27", "2026-04-28"]  # whole weeks, Monday first
    change = cell(page, "2026-05-06")
    assert "Line 3 PLC firmware" in change and f"08:00{DASH}12:00" in change and "cal-change" in change
    assert f"/changes/{may['change'].number}/" in change and "Scheduled" in change
    # A night across midnight shows on both days; a blackout and a production run look different.
    assert "22:00 →" in cell(page, "2026-05-02") and "→ 06:00" in cell(page, "2026-05-03")
    assert "cal-blackout" in cell(page, "2026-05-18") and "all day" in cell(page, "2026-05-18")
    run = cell(page, "2026-05-11")
    assert "cal-production_run" in run and "Production run · Held" in run and f"06:00{DASH}18:00" in run
    assert "Singapore MES patch" not in page
    singapore = text(client_for(plant.admin).get("/changes/schedule/?site=sin&date=2026-05-15"))
    assert "Asia/Singapore" in singapore and f"22:00{DASH}00:00" in cell(singapore, "2026-05-07")
    assert "FDA audit" not in singapore


def test_the_week_grid_of_a_line(plant: Plant, may: dict[str, Any]) -> None:
    page = text(client_for(plant.agent).get("/changes/schedule/?line=BER-L3&view=week&date=2026-05-06"))
    assert re.findall(r'data-day="([\d-]+)"', page) == [f"2026-05-{d:02d}" for d in range(4, 11)]
    assert "Line 3 PLC firmware" in page and "Line 3 nights" in page and "JO-7 filling" not in page
    assert "line BER-L3" in page
    following = re.search(r'<a class="btn btn-small" href="\?([^"]+)">Next', page)
    assert following and set(following.group(1).split("&amp;")) == {"line=BER-L3", "view=week", "date=2026-05-11"}
    bad = client_for(plant.agent).get("/changes/schedule/?line=BER-L99")
    assert bad.status_code == 400 and "Unknown line" in text(bad).replace("&#x27;", "'")


@pytest.fixture
def may_31_late() -> Iterator[None]:
    """Sunday 2026-05-31 22:30 UTC: still May in UTC, already 1 June in Berlin."""
    with time_machine.travel(datetime(2026, 5, 31, 22, 30, tzinfo=UTC), tick=False):
        yield


def test_the_default_is_this_month_in_the_users_zone(may_31_late: None, plant: Plant, may: dict[str, Any]) -> None:
    page = text(client_for(plant.agent).get("/changes/schedule/"))
    assert timezone.now().date().isoformat() == "2026-05-31"  # in UTC
    today = timezone.now().astimezone(BERLIN).date()  # alice's zone is her site's
    assert today.isoformat() == "2026-06-01"
    assert f"{today:%B %Y}" in page and 'data-zone="Europe/Berlin"' in page
    assert re.search(rf'<td class="[^"]*cal-today[^"]*" data-day="{today.isoformat()}"', page)


@pytest.fixture
def before_the_spring_change() -> Iterator[None]:
    """Sunday 2027-03-07 22:00 UTC: 20 days on is 23:00 CET, five hours before 05:00 CEST on 2027-03-28."""
    with time_machine.travel(datetime(2027, 3, 7, 22, 0, tzinfo=UTC), tick=True):
        yield


def test_the_next_free_slot_form_answers_in_the_sites_zone(
    before_the_spring_change: None, plant: Plant, carl: User, cis: Any
) -> None:
    base = (timezone.now() + timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    assert base == datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
    window(carl, kind="blackout", name="Freeze", start=base - timedelta(hours=1), end=base + timedelta(hours=5),
           cis=["BER-L3"])  # fmt: skip
    local = base.astimezone(BERLIN)
    query = {"site": "ber", "cis": "BER-L3-PLC01", "duration_minutes": "120", "after": f"{local:%Y-%m-%dT%H:%M}",
             "assignee": "", "type": "normal"}  # fmt: skip
    alice = client_for(plant.agent)
    fragment = alice.get("/changes/schedule/next-slot/", query, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in text(fragment)
    assert "Free from 2027-03-28 05:00 CEST" in text(fragment)  # 5 h after 23:00 CET: the clocks went forward
    full = alice.get("/changes/schedule/next-slot/", query)
    assert full.status_code == 200 and "<html" in text(full) and "Free from" in text(full)
    wrong = alice.get("/changes/schedule/next-slot/", {**query, "cis": "BER-L9"}, headers={"HX-Request": "true"})
    assert wrong.status_code == 400 and "Unknown CI: BER-L9." in text(wrong)
    # An hour's maintenance a week never holds two hours of work: the form says so.
    window(carl, kind="maintenance", name="Line 4 hour", start="2026-01-05T06:00:00+01:00",
           end="2026-01-05T07:00:00+01:00", rrule="FREQ=WEEKLY", cis=["BER-L4"])  # fmt: skip
    never = alice.get("/changes/schedule/next-slot/", {**query, "cis": "BER-L4-PLC01"}, headers={"HX-Request": "true"})
    assert never.status_code == 409 and "No free slot of 120 minutes for BER-L4-PLC01" in text(never)
