from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    CHANGE_MANAGER = "change_manager", _("Change manager")
    QA = "qa", _("Quality assurance")
    ADMIN = "admin", _("Administrator")


class Language(models.TextChoices):
    """The languages shipped (settings.LANGUAGES). Blank on a user: the browser's language. Each is named in
    its own words, so that someone who cannot read the current page still finds their language."""

    ENGLISH = "en", "English"
    GERMAN = "de", "Deutsch"


class DateStyle(models.TextChoices):
    """How dates are written, shown and typed. Blank on a user: the language's own (ui.dates.LANGUAGE_STYLES)."""

    DAY_MONTH_YEAR = "dmy", "24.12.2026 06:00"
    YEAR_MONTH_DAY = "ymd", "2026-12-24 06:00"


# Roles that work records (queues, assignment, transitions) rather than only raise them.
FULFILLER_ROLES = frozenset({Role.AGENT, Role.MANAGER, Role.CHANGE_MANAGER, Role.QA, Role.ADMIN})


# The named account background jobs and the CLI act as. It cannot sign in (inactive), yet it reads and
# changes everything, as an administrator would.
SYSTEM_USERNAME = "system"
