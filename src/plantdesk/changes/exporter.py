"""Per-record export of a change request (DOMAIN.md section 8): CSV and PDF with the header, plans,
approvals, the e-signature manifestations (21 CFR Part 11.50: printed name, UTC date and time, meaning;
invalidated signatures shown as such) and the audit trail.

Both formats render the same `ChangeRecord`, so what an inspector reads in the PDF is what the CSV holds.
Text is exported verbatim; only the PDF, whose core fonts are Latin-1, substitutes characters it cannot
show (and says so on the record), while the CSV keeps the exact Unicode text.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import TextChoices
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from plantdesk.accounts.models import User
from plantdesk.changes.choices import ApprovalState, SignaturePurpose, TaskState
from plantdesk.changes.fields import FIELD_LABELS
from plantdesk.changes.models import RECORD_TYPE, ChangeRequest
from plantdesk.changes.record import signable_values
from plantdesk.core.choices import SignatureMeaning
from plantdesk.core.history import history_for
from plantdesk.core.models import Signature
from plantdesk.core.signatures import manifestation, signatures_of, verify
from plantdesk.ui.readable import readable_history

VALID = "VALID"
INVALIDATED = "INVALIDATED"
# Marked valid but its binding no longer verifies (the record or the signature row was altered outside the
# actions): an inspector must see that rather than a VALID the data does not support.
NOT_VERIFIED = "NOT VERIFIED"


def utc(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if value is not None else ""


def _label(choices: type[TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:  # a value from before the list changed: show it as stored
        return value


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _person(user: User | None) -> str:
    return f"{user.printed_name} ({user.username})" if user is not None else ""


@dataclass
class SignatureLine:
    id: int
    manifestation: str
    username: str
    printed_name: str
    meaning: str
    purpose: str
    signed_at: str
    record_hash: str
    signed_fields: str
    status: str
    invalidated_at: str
    invalidated_reason: str
    comment: str


@dataclass
class ChangeRecord:
    """Everything an export of one change shows, as display text."""

    number: str
    short_description: str
    generated_at: str
    generated_by: str
    header: list[tuple[str, str, str]]  # (field, label, value)
    plans: list[tuple[str, str, str]]
    approvals: list[dict[str, str]]
    signatures: list[SignatureLine]
    tasks: list[dict[str, str]]
    audit_trail: list[dict[str, str]]


def _signature_line(sig: Signature, values: dict[str, str]) -> SignatureLine:
    status = INVALIDATED if not sig.valid else VALID if verify(sig, values) else NOT_VERIFIED
    return SignatureLine(
        id=sig.pk,
        manifestation=manifestation(sig, lambda m: _label(SignatureMeaning, m)),
        username=sig.username,
        printed_name=sig.printed_name,
        meaning=_label(SignatureMeaning, sig.meaning),
        purpose=_label(SignaturePurpose, sig.purpose),
        signed_at=utc(sig.signed_at),
        record_hash=sig.record_hash,
        signed_fields=", ".join(sig.signed_fields),
        status=status,
        invalidated_at=utc(sig.invalidated_at),
        invalidated_reason=sig.invalidated_reason,
        comment=sig.comment,
    )


def collect(
    change: ChangeRequest, *, generated_by: User | None = None, generated_at: datetime | None = None
) -> ChangeRecord:
    """Read a change the caller may see (queries.get_visible) into display text."""
    c = change
    rows = [
        ("number", c.number),
        ("short_description", c.short_description),
        ("type", c.get_type_display()),
        ("template", c.template.name if c.template is not None else ""),
        ("state", c.get_state_display()),
        ("site", f"{c.site.code} ({c.site.name})" if c.site is not None else "Enterprise-wide"),
        ("gxp_relevant", _yes_no(c.gxp_relevant)),
        ("planned_start", utc(c.planned_start)),
        ("planned_end", utc(c.planned_end)),
        ("actual_start", utc(c.actual_start)),
        ("actual_end", utc(c.actual_end)),
        ("cis", ", ".join(sorted(link.ci.name for link in c.ci_links.all()))),
        ("risk", c.get_risk_display()),
        ("validation_impact", c.get_validation_impact_display() if c.validation_impact else ""),
        ("validation_specs_affected", c.validation_specs_affected),
        ("validation_retest_scope", c.validation_retest_scope),
        ("validation_data_migration", _yes_no(c.validation_data_migration)),
        ("validation_part11_affected", _yes_no(c.validation_part11_affected)),
        ("qms_change_control_ref", c.qms_change_control_ref),
        ("deviation_ref", c.deviation_ref),
        ("approval", c.get_approval_display()),
        ("requested_by", _person(c.requested_by)),
        ("assignment_group", c.assignment_group.name if c.assignment_group is not None else ""),
        ("assignee", _person(c.assignee)),
        ("override_reason", c.override_reason),
        ("review_outcome", c.get_review_outcome_display() if c.review_outcome else ""),
        ("review_notes", c.review_notes),
        ("verification_evidence", c.verification_evidence),
        ("cancel_reason", c.cancel_reason),
        ("opened_at", utc(c.opened_at)),
        ("updated_at", utc(c.updated_at)),
        ("closed_at", utc(c.closed_at)),
    ]
    header = [(name, str(FIELD_LABELS[name]), value) for name, value in rows]
    plans = [
        ("description", "Description", c.description),
        ("justification", "Justification", c.justification),
        ("implementation_plan", "Implementation plan", c.implementation_plan),
        ("backout_plan", "Back-out plan", c.backout_plan),
        ("test_plan", "Test plan", c.test_plan),
    ]
    approvals = [
        {
            "round": str(a.round),
            "level": str(a.level),
            "group": a.group.name if a.group else a.step,
            "rule": a.rule,
            "approver": a.approver.username,
            "approver_name": a.approver.printed_name,
            "decision": _label(ApprovalState, a.state),
            "decided_at": utc(a.decided_at),
            "comment": a.comment,
            "signature": f"#{a.signature_id}" if a.signature_id is not None else "",
        }
        for a in c.approvals.select_related("group", "approver").order_by("round", "level", "id")
    ]
    values = signable_values(c)
    sigs = [_signature_line(sig, values) for sig in signatures_of(RECORD_TYPE, c.pk)]
    tasks = [
        {
            "order": str(t.order),
            "short_description": t.short_description,
            "state": _label(TaskState, t.state),
            "assignee": _person(t.assignee),
            "done_at": utc(t.done_at),
            "done_by": _person(t.done_by),
            "notes": t.notes,
        }
        for t in c.tasks.select_related("assignee", "done_by").order_by("order")
    ]
    # The exports are for agents and inspectors, who read the whole trail (the history endpoint does too).
    # Both forms, as 11.50 asks: the exact stored values, and the labels a reader reads (times in UTC here).
    with timezone.override(UTC):
        entries = readable_history(history_for(RECORD_TYPE, c.pk, include_internal=True))
    trail = [{**{k: str(e[k]) for k in AUDIT_COLUMNS if k != "at"}, "at": utc(e["at"])} for e in entries]
    return ChangeRecord(
        number=c.number,
        short_description=c.short_description,
        generated_at=utc(generated_at or timezone.now()),
        generated_by=_person(generated_by) or "PlantDesk",
        header=header,
        plans=plans,
        approvals=approvals,
        signatures=sigs,
        tasks=tasks,
        audit_trail=trail,
    )


# -- CSV -----------------------------------------------------------------------------------------------

APPROVAL_COLUMNS = [
    "round", "level", "group", "rule", "approver", "approver_name", "decision", "decided_at", "comment", "signature",
]  # fmt: skip
SIGNATURE_COLUMNS = [
    "id", "manifestation", "username", "printed_name", "meaning", "purpose", "signed_at", "record_hash",
    "signed_fields", "status", "invalidated_at", "invalidated_reason", "comment",
]  # fmt: skip
TASK_COLUMNS = ["order", "short_description", "state", "assignee", "done_at", "done_by", "notes"]
AUDIT_COLUMNS = [
    "at", "actor", "actor_name", "action", "field", "old", "new", "reason", "what", "old_label", "new_label",
]  # fmt: skip
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: str) -> str:
    """Neutralise a formula: a leading quote makes spreadsheets show the text instead of evaluating it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def change_csv(change: ChangeRequest, *, generated_by: User | None = None, generated_at: datetime | None = None) -> str:
    """A sectioned CSV: each section opens with its own header row ("section", then its columns) and every
    row names its section first, so a reader can split the file by the first column."""
    record = collect(change, generated_by=generated_by, generated_at=generated_at)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def section(name: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        writer.writerow(["section", *columns])
        for row in rows:
            writer.writerow([name, *(safe_cell(v) for v in row)])

    section(
        "export",
        ["field", "value"],
        [("record", record.number), ("generated_at", record.generated_at), ("generated_by", record.generated_by)],
    )
    section("record", ["field", "label", "value"], record.header)
    section("plans", ["field", "label", "value"], record.plans)
    section("approvals", APPROVAL_COLUMNS, ([a[k] for k in APPROVAL_COLUMNS] for a in record.approvals))
    section(
        "signatures",
        SIGNATURE_COLUMNS,
        ([str(getattr(s, k)) for k in SIGNATURE_COLUMNS] for s in record.signatures),
    )
    section("tasks", TASK_COLUMNS, ([t[k] for k in TASK_COLUMNS] for t in record.tasks))
    section("audit_trail", AUDIT_COLUMNS, ([e[k] for k in AUDIT_COLUMNS] for e in record.audit_trail))
    return out.getvalue()


# -- PDF -----------------------------------------------------------------------------------------------

# Typography the Latin-1 core fonts lack but that has a faithful plain equivalent.
_PLAIN = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
        "\u2026": "...", "\u2022": "*", "\u20ac": "EUR", "\u2122": "(TM)", "\u2192": "->", "\u2190": "<-",
        "\u00ad": "", "\u200b": "", "\ufeff": "",
    }
)  # fmt: skip


# Letters outside Latin-1 that Unicode does not decompose into a base letter (printed names use them).
_BASE_LETTERS = {
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0126": "H", "\u0127": "h", "\u0131": "i",
    "\u0152": "OE", "\u0153": "oe", "\u0166": "T", "\u0167": "t", "\u014a": "N", "\u014b": "n",
}  # fmt: skip


def latin1(text: str) -> tuple[str, bool]:
    """Text the core fonts can show, and whether anything was substituted: typography by its plain form,
    accented letters outside Latin-1 by their base letter, anything else by "?"; control characters
    (other than line breaks) by a space, since the fonts have no glyph for them."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_PLAIN)
    out: list[str] = []
    replaced = False
    for ch in text:
        code = ord(ch)
        if ch == "\n" or 0x20 <= code < 0x7F or 0xA0 <= code <= 0xFF:
            out.append(ch)
            continue
        if code < 0x20 or 0x7F <= code < 0xA0:
            out.append(" ")
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        base = _BASE_LETTERS.get(ch) or "".join(
            c for c in decomposed if ord(c) <= 0xFF and not unicodedata.combining(c)
        )
        out.append(base or "?")
        replaced = True
    return "".join(out), replaced


class _RecordPDF(FPDF):
    def __init__(self, record: ChangeRecord) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.record = record
        self.replaced = False
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)
        # Made safe now: the footer of the last page is drawn after the substitution note is decided.
        self.footer_who = self.safe(record.generated_by)

    def safe(self, text: str) -> str:
        result, replaced = latin1(text)
        self.replaced = self.replaced or replaced
        return result

    def header(self) -> None:
        # Every page names the record, so a loose page still says what it belongs to.
        self.set_font("helvetica", "", 8)
        self.set_text_color(90)
        title = f"PlantDesk change record {self.record.number}"
        self.cell(0, 5, self.safe(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="R")
        self.set_text_color(0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("helvetica", "", 8)
        self.set_text_color(90)
        # "{nb}" is fpdf's alias for the page count, filled in when the document is output.
        text = f"Generated {self.record.generated_at} by {self.footer_who} - page {self.page_no()}/{{nb}}"
        self.cell(0, 5, text, align="C")
        self.set_text_color(0)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("helvetica", "B", 12)
        self.cell(0, 7, self.safe(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(160)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)

    def para(self, text: str, *, style: str = "", size: float = 9, indent: float = 0) -> None:
        self.set_font("helvetica", style, size)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, 4.5, self.safe(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def key_value(self, label: str, value: str, *, label_width: float = 55) -> None:
        self.set_font("helvetica", "B", 9)
        self.multi_cell(label_width, 4.5, self.safe(label), align="L", new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_font("helvetica", "", 9)
        self.multi_cell(0, 4.5, self.safe(value or "-"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def none(self, text: str) -> None:
        self.para(text, style="I")


def _entries(pdf: _RecordPDF, items: Sequence[Any], render: Callable[[Any], None], empty: str) -> None:
    if not items:
        pdf.none(empty)
    for item in items:
        render(item)
        pdf.ln(1.5)


def change_pdf(
    change: ChangeRequest, *, generated_by: User | None = None, generated_at: datetime | None = None
) -> bytes:
    record = collect(change, generated_by=generated_by, generated_at=generated_at)
    pdf = _RecordPDF(record)
    pdf.set_title(pdf.safe(f"{record.number} {record.short_description}"))
    pdf.set_creator("PlantDesk")
    pdf.set_creation_date(generated_at or timezone.now())
    pdf.add_page()

    pdf.set_font("helvetica", "B", 15)
    pdf.multi_cell(0, 7, pdf.safe(f"Change request {record.number}"), align="L")
    pdf.para(record.short_description, size=11)
    pdf.ln(1)

    pdf.heading("Record")
    for _, label, value in record.header:
        pdf.key_value(label, value)

    pdf.heading("Plans")
    for _, label, value in record.plans:
        pdf.para(label, style="B")
        pdf.para(value or "-", indent=4)
        pdf.ln(1)

    def approval(a: dict[str, str]) -> None:
        signed = f", e-signature {a['signature']}" if a["signature"] else ""
        pdf.para(
            f"Round {a['round']}, level {a['level']}, {a['group']} ({a['rule']}): {a['approver_name']} "
            f"({a['approver']}) - {a['decision']}{', ' + a['decided_at'] if a['decided_at'] else ''}{signed}",
            style="B",
        )
        if a["comment"]:
            pdf.para(f"Comment: {a['comment']}", indent=4)

    pdf.heading("Approvals")
    _entries(pdf, record.approvals, approval, "No approvals.")

    def signature(s: SignatureLine) -> None:
        pdf.para(f"#{s.id} {s.manifestation}", style="B")
        pdf.para(f"Purpose: {s.purpose}", indent=4)
        pdf.para(f"Signed fields: {s.signed_fields}", indent=4)
        pdf.para(f"Record hash (SHA-256): {s.record_hash}", indent=4)
        if s.status == INVALIDATED:
            pdf.para(f"Status: INVALIDATED {s.invalidated_at}: {s.invalidated_reason}", style="B", indent=4)
        elif s.status == NOT_VERIFIED:
            pdf.para("Status: NOT VERIFIED - the signed values no longer match the record.", style="B", indent=4)
        else:
            pdf.para("Status: VALID", indent=4)
        if s.comment:
            pdf.para(f"Comment: {s.comment}", indent=4)

    pdf.heading("Electronic signatures")
    _entries(pdf, record.signatures, signature, "No electronic signatures.")

    def task(t: dict[str, str]) -> None:
        pdf.para(f"{t['order']}. {t['short_description']} - {t['state']}", style="B")
        details = [
            f"Assignee: {t['assignee']}" if t["assignee"] else "",
            f"Done {t['done_at']} by {t['done_by']}" if t["done_at"] else "",
        ]
        if any(details):
            pdf.para("; ".join(d for d in details if d), indent=4)
        if t["notes"]:
            pdf.para(f"Notes: {t['notes']}", indent=4)

    pdf.heading("Tasks")
    _entries(pdf, record.tasks, task, "No tasks.")

    def audit_entry(e: dict[str, str]) -> None:
        target = f" {e['field']}" if e["field"] else ""
        pdf.para(f"{e['at']}  {e['actor_name']} ({e['actor']})  {e['what']}", style="B", size=8.5)
        pdf.para(f"Stored as: {e['action']}{target}", size=8, indent=4)
        # Old and new values in full: the trail is evidence, so nothing is shortened. The label a person
        # reads first, the exact stored value after it where the two differ.
        for name in ("old", "new"):
            if e[name]:
                stored = f" [stored: {e[name]}]" if e[f"{name}_label"] != e[name] else ""
                pdf.para(f"{name.capitalize()}: {e[f'{name}_label']}{stored}", size=8.5, indent=4)
        if e["reason"]:
            pdf.para(f"Reason: {e['reason']}", size=8.5, indent=4)

    pdf.heading("Audit trail")
    _entries(pdf, record.audit_trail, audit_entry, "No audit entries.")

    if pdf.replaced:
        pdf.ln(2)
        pdf.para(
            "Note: characters this PDF's Latin-1 font cannot show were replaced by a plain equivalent or '?'. "
            "The CSV export of this record holds the exact text.",
            style="I",
            size=8,
        )
    return bytes(pdf.output())
