"""Reading API-level values into model values with errors that name the field: the pieces every record
app's `fields.py` shares (text, true/false, a choice), and the collector they report to."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from plantdesk.core.errors import FieldError, InvalidInput


class Errors(list[FieldError]):
    """The problems found so far; `prefix` names the row of an import ("3.start")."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__()
        self.prefix = prefix

    def add(self, field: str, message: str) -> None:
        self.append(FieldError(f"{self.prefix}{field}", message))

    def unknown(self, field: str, what: str, missing: Sequence[str]) -> None:
        """One error naming what was not found ("Unknown CI: BER-L9, BER-L10."), the first ten of them."""
        if missing:
            shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            self.add(field, f"Unknown {what}: {shown}.")

    def raise_if_any(self) -> None:
        if self:
            raise InvalidInput.for_fields(self)


def text(value: Any, field: str, errors: Errors, *, max_length: int, required: bool = False) -> str:
    """Stripped text (None reads as empty); not text, a NUL, too long or missing where required is an error."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, "Must be a string.")
        return ""
    value = value.strip()
    if "\x00" in value:
        errors.add(field, "Must not contain NUL characters.")
    elif required and not value:
        errors.add(field, "This field is required.")
    elif len(value) > max_length:
        errors.add(field, f"At most {max_length} characters (got {len(value)}).")
    return value


# Refused in record identifiers (CI names and aliases, group names, site codes): they end up in URLs, HTML,
# CSV exports and other systems, so no markup or quoting characters, and no control characters (C0, DEL, C1).
# Spaces, dots, dashes, slashes and letters of any script stay allowed.
IDENTIFIER_REFUSED = re.compile("[<>\"'`&\x00-\x1f\x7f-\x9f]")
IDENTIFIER_RULE = "no < > \" ' ` & and no control characters"


def identifier_problem(value: str) -> str | None:
    """Why `value` cannot be a record identifier, or None when it can."""
    found = IDENTIFIER_REFUSED.search(value)
    if found is None:
        return None
    char = found.group()
    shown = f"'{char}'" if char.isprintable() else f"the control character U+{ord(char):04X}"
    return f"Must not contain {shown} ({IDENTIFIER_RULE}): names are used in links, exports and other systems."


def identifier(value: Any, field: str, errors: Errors, *, max_length: int) -> str:
    """A required record identifier: stripped text without markup or control characters."""
    name = text(value, field, errors, max_length=max_length, required=True)
    problem = identifier_problem(name) if isinstance(value, str) and "\x00" not in name else None
    if problem is not None:  # (a NUL is already reported by text())
        errors.add(field, problem)
    return name


def boolean(value: Any, field: str, errors: Errors) -> bool:
    if not isinstance(value, bool):
        errors.add(field, "Must be true or false.")
    return bool(value)


def choice(value: Any, field: str, errors: Errors, allowed: Sequence[Any], *, blank: Any = None) -> Any:
    """One of `allowed`; where `blank` is given, None and "" read as it (an optional choice)."""
    if blank is not None and value in (None, ""):
        return blank
    if value not in allowed:
        errors.add(field, f"Must be one of {', '.join(map(str, allowed))}.")
    return value


def name_list(value: Any, field: str, errors: Errors, *, limit: int, noun: str = "names") -> list[str] | None:
    """A list of names (stripped, blanks dropped, each once, in the given order); None when it is not one."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors.add(field, f"Give a list of {noun}.")
        return None
    names = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(names) > limit:
        errors.add(field, f"At most {limit} {noun}.")
        return None
    return names
