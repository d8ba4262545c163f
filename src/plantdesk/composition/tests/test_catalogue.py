"""Every string marked for translation has its German translation, with the same placeholders: a new
untranslated string fails here (`plantdesk catalogue --update` adds it to the .po, then translate it)."""

from __future__ import annotations

from plantdesk.composition import catalogue


def test_the_extraction_finds_python_and_template_strings() -> None:
    found = {message.msgid for message in catalogue.extract_messages()}
    assert "Planned start" in found  # a form label (gettext_lazy as _)
    assert "Save settings" in found  # a template's {% translate %}
    assert ("%(count)d conflict found.", "%(count)d conflicts found.") in found  # ngettext


def test_every_message_has_a_german_translation() -> None:
    missing = [f"{m.location[0]}:{m.location[1]} {m.msgid!r}" for m in catalogue.missing_translations("de")]
    assert missing == [], "untranslated (run `plantdesk catalogue --update`, then translate):\n" + "\n".join(missing)


def test_german_translations_keep_the_placeholders() -> None:
    assert catalogue.placeholder_errors("de") == []
