"""One import entry for the API and the UI upload page (the CLI reads its file itself): size, encoding and
format of an uploaded file, then the importer's all-or-nothing run."""

from __future__ import annotations

from typing import Any

from plantdesk.accounts.models import User
from plantdesk.cmdb.importer import ImportReport, do_import_cis, parse
from plantdesk.core.errors import DomainError, InvalidInput

MAX_IMPORT_BYTES = 200 * 1024 * 1024  # about 1,000,000 CSV rows; a bigger CMDB is imported in parts or by CLI


class ImportTooLarge(DomainError):
    status = 413


def format_of(filename: str, content_type: str, explicit: str | None = None) -> str:
    """csv or json: as asked, else from the file name, else from the content type; CSV by default."""
    if explicit:
        if explicit not in ("csv", "json"):
            raise InvalidInput.for_field("format", "Use csv or json.")
        return explicit
    if filename.lower().endswith(".json") or "json" in content_type.lower():
        return "json"
    return "csv"


def decode(raw: bytes) -> str:
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    if not raw.strip():
        raise InvalidInput.for_field("file", "The file is empty.")
    try:
        return raw.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as exc:
        raise InvalidInput.for_field("file", f"Not UTF-8 text (byte {exc.start}).") from exc


def run_import(raw: bytes, fmt: str, *, actor: User, dry_run: bool) -> ImportReport:
    return do_import_cis(parse(decode(raw), fmt), actor=actor, dry_run=dry_run)


def report_to_dict(report: ImportReport, *, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "created": report.created,
        "updated": [{"name": name, "fields": fields} for name, fields in sorted(report.updated.items())],
        "unchanged": report.unchanged,
        "relationships_added": report.relationships_added,
    }
