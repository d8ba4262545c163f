"""The `plantdesk` console script: Django's management commands plus PlantDesk's own (CONTRACT.md 1)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plantdesk.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["plantdesk", *args])


if __name__ == "__main__":
    main()
