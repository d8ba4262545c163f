"""The message catalogues (src/plantdesk/locale/<lang>/LC_MESSAGES/django.po), kept without GNU gettext:
every msgid marked in the Python code (gettext, gettext_lazy, ngettext, pgettext, also imported as `_`) and
in the templates ({% translate %}, {% blocktranslate %}, read through Django's own `templatize`, as
`makemessages` does) is extracted with Babel's pure-Python extractor. `plantdesk catalogue --update` merges
new msgids into each language's .po (keeping what is translated); the test suite fails on any msgid that a
shipped language does not translate (`missing_translations`). `make install` compiles the .po files."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po
from django.utils.translation.template import templatize

PACKAGE = Path(__file__).resolve().parent.parent
LOCALE_DIR = PACKAGE / "locale"
DOMAIN = "django"
SHIPPED = ("de",)  # English is the source language: its msgids are the English text
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
SKIPPED_DIRS = {"tests", "migrations", "testing", "simulator", "locale", "static"}


@dataclass(frozen=True)
class Message:
    msgid: str | tuple[str, ...]  # a plural message: (singular, plural)
    context: str | None
    location: tuple[str, int]
    comments: tuple[str, ...]


def _sources() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE)
        if SKIPPED_DIRS & set(relative.parts[:-1]) or path.name == "settings.py":
            continue
        if path.suffix == ".py" or (path.suffix == ".html" and "templates" in relative.parts):
            yield path


def extract_messages() -> list[Message]:
    """Every marked message of the package, in file order."""
    found: list[Message] = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            # templatize() keeps the layout as X/B filler, which Python's tokenizer reads as bad indentation.
            text = "\n".join(line.lstrip() for line in templatize(text, origin=str(path)).splitlines())
        relative = str(path.relative_to(PACKAGE.parent))
        for line, msgid, comments, context in extract(
            "python", io.BytesIO(text.encode("utf-8")), keywords=KEYWORDS, comment_tags=("Translators:",)
        ):
            if not msgid or (isinstance(msgid, tuple) and not msgid[0]):
                continue
            found.append(Message(msgid, context, (relative, line), tuple(comments)))
    return found


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN)
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _key(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def missing_translations(language: str) -> list[Message]:
    """The extracted messages that the language's catalogue lacks, leaves empty or marks fuzzy."""
    catalogue = read_catalogue(language)
    missing = []
    for message in extract_messages():
        entry = catalogue.get(_key(message.msgid), context=message.context)
        strings = entry.string if entry is not None else ""
        translated = all(strings) if isinstance(strings, tuple) else bool(strings)
        if entry is None or entry.fuzzy or not translated:
            missing.append(message)
    return missing


def placeholder_errors(language: str) -> list[str]:
    """Translations whose %(name)s placeholders differ from the msgid's (Babel's python-format checks)."""
    errors: list[str] = []
    for entry, problems in read_catalogue(language).check():
        errors.extend(f"{_key(entry.id)!r}: {problem}" for problem in problems)
    return errors


def update_catalogue(language: str) -> tuple[int, int]:
    """Merge the extracted messages into the language's .po: new ones untranslated, gone ones dropped.
    Returns (messages, untranslated)."""
    template = Catalog(locale=language, domain=DOMAIN, project="PlantDesk", fuzzy=False)
    for message in extract_messages():
        template.add(message.msgid, locations=[message.location], auto_comments=message.comments,
                     context=message.context)  # fmt: skip
    catalogue = read_catalogue(language)
    catalogue.project, catalogue.version, catalogue.copyright_holder = "PlantDesk", "", "the PlantDesk authors"
    catalogue.header_comment = f"# PlantDesk's messages in {language}; `plantdesk catalogue --update` adds new ones.\n#"
    catalogue.update(template, no_fuzzy_matching=True)
    catalogue.obsolete.clear()
    catalogue.fuzzy = False
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=120, omit_header=False, sort_output=False, include_lineno=False)
    untranslated = sum(1 for entry in catalogue if entry.id and not entry.string)
    return len([entry for entry in catalogue if entry.id]), untranslated
