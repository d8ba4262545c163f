"""Turning API-level CI values (class name, site code, group name, username) into model values."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from plantdesk.accounts.choices import Role
from plantdesk.accounts.lookups import active_user, group_named, site_coded
from plantdesk.accounts.models import Site, User
from plantdesk.accounts.permissions import user_site_ids
from plantdesk.cmdb.choices import Criticality, GampCategory, Status, ValidationStatus
from plantdesk.cmdb.queries import ci_classes
from plantdesk.core.errors import FieldError
from plantdesk.core.fields import identifier_problem

TEXT_FIELDS = {
    "name": 255, "description": 5000, "system_owner": 150, "process_owner": 150, "qa_owner": 150,
    "security_zone": 80, "conduit": 80, "purdue_level": 8,
}  # fmt: skip
BOOL_FIELDS = {"gxp_relevant", "part11_applicable"}
DATE_FIELDS = {"last_periodic_review", "next_periodic_review"}
LEVEL_FIELDS = {"security_level_target", "security_level_achieved"}  # IEC 62443 SL 0..4
CHOICE_FIELDS: dict[str, list[Any]] = {
    "status": Status.values, "criticality": Criticality.values, "validation_status": ["", *ValidationStatus.values],
}  # fmt: skip
REFERENCE_FIELDS = {"ci_class", "site", "support_group", "owner", "gamp_category"}
EDITABLE = (
    set(TEXT_FIELDS)
    | BOOL_FIELDS
    | DATE_FIELDS
    | LEVEL_FIELDS
    | set(CHOICE_FIELDS)
    | REFERENCE_FIELDS
    | {
        "attributes",
        "aliases",
    }
)
AUDITED = sorted((EDITABLE - {"aliases"}) | {"retire_reason"})


# Names the CMDB pages and API use for themselves (/cmdb/new/, /api/v1/cis/import, /cmdb/<name>/edit/ ...).
RESERVED_NAMES = frozenset({"new", "import", "suggest"})
RESERVED_NAME = re.compile(r"/(edit|retire|relationships|impact)(/|$)|/$")


def _name_problem(name: str) -> str | None:
    if problem := identifier_problem(name.strip()):
        return problem
    if name.strip() in RESERVED_NAMES or RESERVED_NAME.search(name.strip()):
        return f"{name.strip()!r} is reserved for the CMDB's own pages; choose another name."
    return None


def resolve_ci_fields(data: Mapping[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    """Model values for `data`; problems are appended to `errors` (the caller raises once, naming all)."""
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in EDITABLE:
            errors.append(FieldError(name, "Unknown field."))
        elif name in TEXT_FIELDS:
            if not isinstance(raw, str) or len(raw) > TEXT_FIELDS[name] or "\x00" in raw:
                errors.append(FieldError(name, f"Must be text of at most {TEXT_FIELDS[name]} characters."))
            elif name == "name" and (problem := _name_problem(raw)):
                errors.append(FieldError(name, problem))
            else:
                values[name] = raw.strip()
        elif name in BOOL_FIELDS:
            if not isinstance(raw, bool):
                errors.append(FieldError(name, "Must be true or false."))
            values[name] = raw
        elif name in DATE_FIELDS:
            values[name] = _date(name, raw, errors)
        elif name in LEVEL_FIELDS:
            if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 4):
                errors.append(FieldError(name, "Must be a security level from 0 to 4."))
            values[name] = raw
        elif name in CHOICE_FIELDS:
            if raw not in CHOICE_FIELDS[name]:
                errors.append(FieldError(name, f"Must be one of {', '.join(map(str, CHOICE_FIELDS[name]))}."))
            values[name] = raw
        elif name == "aliases":
            values[name] = _aliases(raw, errors)
        elif name == "attributes":
            values[name] = raw
        else:
            values[name] = _reference(name, raw, errors)
    return values


def check_site(site: Site | None, actor: User, errors: list[FieldError]) -> None:
    """Agents keep the CMDB of the sites they serve; only administrators place CIs anywhere, or nowhere
    (enterprise-wide)."""
    if actor.role == Role.ADMIN:
        return
    if site is None:
        errors.append(FieldError("site", "Only administrators keep enterprise-wide CIs; choose one of your sites."))
    elif site.pk not in user_site_ids(actor):
        errors.append(FieldError("site", f"You do not serve site {site.code}."))


def _date(name: str, raw: Any, errors: list[FieldError]) -> dt.date | None:
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        pass
    errors.append(FieldError(name, "Must be a date (YYYY-MM-DD)."))
    return None


def _aliases(raw: Any, errors: list[FieldError]) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(a, str) and 0 < len(a.strip()) <= 255 for a in raw):
        errors.append(FieldError("aliases", "Must be a list of names of 1 to 255 characters."))
        return []
    cleaned = [a.strip() for a in raw]
    problem = next((p for a in cleaned if (p := identifier_problem(a))), None)
    if problem is not None:
        errors.append(FieldError("aliases", problem))
    if len(set(cleaned)) != len(cleaned):
        errors.append(FieldError("aliases", "An alias is listed twice."))
    return cleaned


def _reference(name: str, raw: Any, errors: list[FieldError]) -> Any:
    if raw in (None, ""):
        if name == "ci_class":
            errors.append(FieldError(name, "This field is required."))
        return None
    if name == "gamp_category":
        if raw not in GampCategory.values:
            errors.append(FieldError(name, "Must be 1, 3, 4 or 5."))
        return raw
    found: Any = None
    if isinstance(raw, str):
        lookup: dict[str, Callable[[str], Any]] = {
            "ci_class": ci_classes().get, "site": site_coded, "support_group": group_named, "owner": active_user,
        }  # fmt: skip
        found = lookup[name](raw)
    if found is None:
        errors.append(FieldError(name, f"Unknown {name.replace('_', ' ')} {raw!r}."))
    return found
