"""A change's history and signatures read as labels (21 CFR 11.50); the exports keep the stored values too."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
import time_machine

from plantdesk.changes.tests.conftest import ChangePlant
from plantdesk.changes.tests.helpers import create, qa_sign
from plantdesk.testing.fixtures import client_for, text

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Berlin (CET)
RAW_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def visible(html: str) -> str:
    """What a reader sees: the text between the tags (attributes such as title= and datetime= dropped)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def signed_change(cp: ChangePlant) -> str:
    with time_machine.travel(MONDAY, tick=False):
        number = create(cp)
        assert qa_sign(cp, number, "qa_pre_implement").status_code == 201
    return number


def test_history_shows_labels_and_times_in_the_site_zone_not_codes(cp: ChangePlant, signed_change: str) -> None:
    with time_machine.travel(MONDAY, tick=False):
        page = visible(text(client_for(cp.plant.agent).get(f"/changes/{signed_change}/")))
    assert "Times in Europe/Berlin (CET)" in page
    # planned_start "2026-11-28T09:00:00+00:00" is read as the plant reads it
    assert "Planned start 2026-11-28 10:00 CET" in page
    assert "Site Berlin plant (ber)" in page
    assert (
        "Risk assessment answers Is a back-out impossible or untested? No; Does the change stop or slow production? No"
        in page
    )
    assert "Validation impact Minor" in page and "Assignee Alice Agent" in page
    assert not RAW_ISO.search(page), RAW_ISO.search(page)
    assert "qa_approved" not in page and "qa_pre_implement" not in page and "UTC" not in page


def test_a_signature_reads_with_its_meaning_label_and_the_page_zone(cp: ChangePlant, signed_change: str) -> None:
    with time_machine.travel(MONDAY, tick=False):
        page = visible(text(client_for(cp.plant.agent).get(f"/changes/{signed_change}/")))
    signatures = page.split("Electronic signatures", 1)[1]
    assert "QA approval before implementation · Signed by Quinn Tester (quinn) on 2026-11-23 10:00 CET" in signatures
    assert ", meaning: QA approved" in signatures
    history = page.split("History", 1)[1]
    entry = "Signed: QA approval before implementation Quinn Tester (quinn): QA approved, 2026-11-23 10:00 CET"
    assert entry in history


def test_the_csv_export_keeps_the_stored_values_beside_their_labels(cp: ChangePlant, signed_change: str) -> None:
    with time_machine.travel(MONDAY, tick=False):
        body = client_for(cp.plant.agent).get(f"/changes/{signed_change}/export.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header = next(r for r in rows if r[:2] == ["section", "at"])
    trail = [dict(zip(header, r, strict=True)) for r in rows if r[0] == "audit_trail"]
    site = next(e for e in trail if e["field"] == "site")
    assert (site["new"], site["new_label"], site["what"]) == ("ber", "Berlin plant (ber)", "Site")
    start = next(e for e in trail if e["field"] == "planned_start")
    assert start["new"] == "2026-11-28T09:00:00+00:00" and start["new_label"] == "2026-11-28 09:00 UTC"
    signed = next(e for e in trail if e["action"] == "signed")
    assert signed["new"].startswith("Quinn Tester (quinn): qa_approved, 2026-11-23T09:00:00")
    assert signed["new_label"] == "Quinn Tester (quinn): QA approved, 2026-11-23 09:00 UTC"
