"""`plantdesk catalogue --update`: merge newly marked strings into each shipped language's .po file;
`--check`: list what a shipped language does not translate (exit status 1), as the test suite does."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plantdesk.composition import catalogue


class Command(BaseCommand):
    help = "Update or check the message catalogues of the shipped languages (no GNU gettext needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--update", action="store_true", help="merge new msgids into the .po files")
        parser.add_argument("--check", action="store_true", help="fail on any untranslated msgid")

    def handle(self, *args: Any, **options: Any) -> None:
        for language in catalogue.SHIPPED:
            if options["update"]:
                total, untranslated = catalogue.update_catalogue(language)
                self.stdout.write(f"{language}: {total} messages, {untranslated} untranslated")
            if options["check"] or not options["update"]:
                missing = catalogue.missing_translations(language)
                for message in missing:
                    file, line = message.location
                    self.stdout.write(f"{file}:{line}: {message.msgid!r}")
                problems = catalogue.placeholder_errors(language)
                for problem in problems:
                    self.stdout.write(problem)
                if missing or problems:
                    raise CommandError(f"{language}: {len(missing)} untranslated, {len(problems)} placeholder errors")
                self.stdout.write(f"{language}: every message is translated")
