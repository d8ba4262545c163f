"""Per-record CSV and PDF export of a change: signature manifestations (21 CFR Part 11.50), invalidation,
the audit trail, who may download it, and CSV formula neutralisation."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC

import pytest
from pypdf import PdfReader

from plantdesk.changes.exporter import latin1, safe_cell
from plantdesk.changes.models import ChangeRequest
from plantdesk.changes.tests.conftest import ChangePlant, later
from plantdesk.changes.tests.helpers import create, qa_sign, to_scheduled
from plantdesk.core.models import Signature
from plantdesk.testing.fixtures import client_for, refused_as_agents_only

pytestmark = pytest.mark.django_db

MEANING_LABELS = {"approved": "Approved", "qa_approved": "QA approved", "reviewed": "Reviewed"}


def _csv_url(number: str) -> str:
    return f"/changes/{number}/export.csv"


def _pdf_url(number: str) -> str:
    return f"/changes/{number}/export.pdf"


def _sections(body: bytes) -> dict[str, list[dict[str, str]]]:
    """The sectioned CSV as {section: rows keyed by that section's header row}."""
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    sections: dict[str, list[dict[str, str]]] = {}
    columns: list[str] = []
    for row in csv.reader(io.StringIO(text[1:])):
        if row[0] == "section":
            columns = row
            continue
        sections.setdefault(row[0], []).append(dict(zip(columns, row, strict=True)))
    return sections


def _expected_manifestation(sig: Signature) -> str:
    when = f"{sig.signed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}"
    return f"Signed by {sig.printed_name} ({sig.username}) on {when} UTC, meaning: {MEANING_LABELS[sig.meaning]}"


def _pdf_text(body: bytes) -> tuple[str, int]:
    """The PDF's text as one whitespace-normalised string (lines wrap anywhere), and its page count."""
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages)


def _signed_gxp_change(cp: ChangePlant) -> tuple[str, list[Signature]]:
    """A GxP change approved by the CAB and QA with signatures, then signed by QA before implementation."""
    number = to_scheduled(cp)
    assert qa_sign(cp, number, "qa_pre_implement").status_code == 201
    sigs = list(Signature.objects.filter(record_label=number).order_by("signed_at", "id"))
    return number, sigs


def test_csv_shows_every_signature_manifestation_header_and_audit_trail(cp: ChangePlant) -> None:
    number, sigs = _signed_gxp_change(cp)
    assert {s.purpose for s in sigs} == {"approval", "qa_pre_implement"}
    cab = [s for s in sigs if s.purpose == "approval" and s.username in ("carl", "cora")]
    assert cab, "the CAB's approval was signed"

    response = client_for(cp.plant.agent).get(_csv_url(number))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{number}.csv"'
    sections = _sections(response.content)

    record = {r["field"]: r["value"] for r in sections["record"]}
    change = ChangeRequest.objects.get(number=number)
    assert record["number"] == number
    assert record["gxp_relevant"] == "Yes"
    assert record["state"] == "Scheduled"
    assert record["cis"] == "BER-MES-APP01"
    assert record["qms_change_control_ref"] == "CC-2026-0042"
    assert record["validation_impact"] == "Minor"
    assert change.planned_start is not None
    assert record["planned_start"] == f"{change.planned_start.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    plans = {r["field"]: r["value"] for r in sections["plans"]}
    assert plans["backout_plan"] == "Uninstall the patch."
    export = {r["field"]: r["value"] for r in sections["export"]}
    assert export["generated_by"] == "Alice Agent (alice)" and export["generated_at"].endswith(" UTC")

    rows = {int(r["id"]): r for r in sections["signatures"]}
    assert set(rows) == {s.pk for s in sigs}
    for sig in sigs:
        row = rows[sig.pk]
        assert row["manifestation"] == _expected_manifestation(sig)
        assert row["printed_name"] == sig.printed_name
        assert row["signed_at"] == f"{sig.signed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
        assert row["record_hash"] == sig.record_hash
        assert row["status"] == "VALID" and row["invalidated_reason"] == ""
    qa = next(r for r in rows.values() if r["purpose"] == "QA approval before implementation")
    assert qa["manifestation"].startswith("Signed by Quinn Tester (quinn) on ")
    assert qa["manifestation"].endswith(" UTC, meaning: QA approved")
    cab_row = rows[cab[0].pk]
    assert cab_row["manifestation"].endswith("meaning: Approved") and cab_row["purpose"] == "Approval decision"

    approvals = [a for a in sections["approvals"] if a["decision"] == "Approved"]
    assert {(a["group"], a["approver_name"]) for a in approvals} >= {
        ("Change Advisory Board", cab[0].printed_name),
        ("QA", "Quinn Tester"),
    }
    assert all(a["decided_at"].endswith(" UTC") and a["signature"].startswith("#") for a in approvals)

    trail = sections["audit_trail"]
    assert [e["action"] for e in trail].count("signed") == len(sigs)
    assert all(e["at"].endswith(" UTC") for e in trail)
    assert any(e["actor"] == "quinn" and e["actor_name"] == "Quinn Tester" for e in trail)


def test_editing_a_signed_field_shows_the_signatures_invalidated_in_csv_and_pdf(cp: ChangePlant) -> None:
    number, sigs = _signed_gxp_change(cp)
    edited = cp.api(cp.plant.agent).patch(f"/changes/{number}", {"planned_end": later(5, 3).isoformat()})
    assert edited.status_code == 200
    agent = client_for(cp.plant.agent)

    rows = {int(r["id"]): r for r in _sections(agent.get(_csv_url(number)).content)["signatures"]}
    for sig in sigs:
        sig.refresh_from_db()
        row = rows[sig.pk]
        assert row["status"] == "INVALIDATED"
        assert "planned_end" in row["invalidated_reason"]
        assert row["invalidated_at"].endswith(" UTC")
        assert row["manifestation"].startswith(_expected_manifestation(sig) + " (INVALIDATED ")
    trail = _sections(agent.get(_csv_url(number)).content)["audit_trail"]
    assert any(e["action"] == "signature_invalidated" and "planned_end" in e["reason"] for e in trail)
    assert any(e["field"] == "planned_end" and e["old"] and e["new"] for e in trail)

    text, _ = _pdf_text(agent.get(_pdf_url(number)).content)
    for sig in sigs:
        assert _expected_manifestation(sig) in text
    assert text.count("Status: INVALIDATED") == len(sigs)
    assert "Status: VALID" not in text


def test_pdf_is_a_real_pdf_with_manifestations_audit_trail_and_footer(cp: ChangePlant) -> None:
    number, sigs = _signed_gxp_change(cp)
    response = client_for(cp.plant.agent).get(_pdf_url(number))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    text, pages = _pdf_text(response.content)

    assert f"Change request {number}" in text and "Patch MES app server" in text
    for sig in sigs:
        assert f"#{sig.pk} {_expected_manifestation(sig)}" in text
        assert f"Record hash (SHA-256): {sig.record_hash}" in text
    assert text.count("Status: VALID") == len(sigs)
    assert "Purpose: QA approval before implementation" in text
    assert "QMS change-control reference CC-2026-0042" in text
    assert "Audit trail" in text and "Quinn Tester (quinn) Signed: QA approval before implementation" in text
    trail = text.split("Audit trail", 1)[1]
    # The label a person reads, and the exact stored value beside it (21 CFR 11.50).
    assert "Stored as: signed qa_pre_implement" in trail and "(quinn): QA approved, " in trail
    assert "[stored: Quinn Tester (quinn): qa_approved, " in trail
    footers = re.findall(
        r"Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by Alice Agent \(alice\) - page (\d+)/(\d+)", text
    )
    assert [(int(n), int(total)) for n, total in footers] == [(n, pages) for n in range(1, pages + 1)]


def test_a_tampered_record_shows_its_signature_as_not_verified(cp: ChangePlant) -> None:
    number, _ = _signed_gxp_change(cp)
    # Around the actions (as a database tool could): the flag still says valid, the binding does not hold.
    ChangeRequest.objects.filter(number=number).update(backout_plan="Reinstall everything.")
    rows = _sections(client_for(cp.plant.agent).get(_csv_url(number)).content)["signatures"]
    assert {r["status"] for r in rows} == {"NOT VERIFIED"}


def test_only_agents_who_see_the_change_download_it(cp: ChangePlant) -> None:
    number = create(cp)
    for url in (_csv_url(number), _pdf_url(number)):
        assert client_for(cp.plant.agent_sin).get(url).status_code == 404  # a Berlin change
        requester = client_for(cp.plant.requester).get(url)
        assert refused_as_agents_only(requester)
        assert client_for(cp.plant.agent).post(url).status_code == 405
        assert client_for(cp.carl).get(url).status_code == 200
    assert client_for(cp.plant.agent).get(_csv_url("CHG9999999")).status_code == 404
    anonymous = client_for(cp.plant.agent)
    anonymous.logout()
    assert anonymous.get(_csv_url(number)).status_code == 302
    # The number is matched as get_visible does, whatever its case.
    assert client_for(cp.plant.agent).get(_csv_url(number.lower())).status_code == 200


def test_formula_like_text_is_neutralised_in_the_csv(cp: ChangePlant) -> None:
    formula = '=HYPERLINK("http://evil.example/x","Click")'
    number = create(cp, short_description=formula, backout_plan="@SUM(1+1)", test_plan="-2+3")
    body = client_for(cp.plant.agent).get(_csv_url(number)).content
    sections = _sections(body)
    assert {r["field"]: r["value"] for r in sections["record"]}["short_description"] == "'" + formula
    plans = {r["field"]: r["value"] for r in sections["plans"]}
    assert (plans["backout_plan"], plans["test_plan"]) == ("'@SUM(1+1)", "'-2+3")
    for rows in sections.values():
        for row in rows:
            assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values()), row


def test_text_outside_latin1_keeps_exact_in_csv_and_is_substituted_in_pdf(cp: ChangePlant) -> None:
    title = "Łódź line → MES “patch” \u2013 5 € 漢字"
    number = create(cp, short_description=title)
    agent = client_for(cp.plant.agent)
    record = {r["field"]: r["value"] for r in _sections(agent.get(_csv_url(number)).content)["record"]}
    assert record["short_description"] == title
    text, _ = _pdf_text(agent.get(_pdf_url(number)).content)
    assert 'Lódz line -> MES "patch" - 5 EUR ??' in text
    assert "The CSV export of this record holds the exact text." in text


def test_cell_and_text_helpers() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "a=b", "")] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "a=b", "",
    ]  # fmt: skip
    assert latin1("Müller") == ("Müller", False)
    assert latin1("Łukasz Œuvre") == ("Lukasz OEuvre", True)
    assert latin1("Nguyễn\u0007Văn") == ("Nguyen Van", True)
    assert latin1("a\r\nb\u2014c") == ("a\nb-c", False)
