"""A person's own settings (their settings page): language and date style. Audited like any user change."""

from __future__ import annotations

from plantdesk.accounts.choices import DateStyle, Language
from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.core.errors import FieldError, InvalidInput

PREFERENCE_FIELDS = ("language", "date_format")


def do_update_preferences(user: User, *, actor: User, language: str, date_format: str) -> list[str]:
    """Set `language` ('' follows the browser) and `date_format` ('' follows the language); returns what changed.
    People change their own; an administrator may change anyone's."""
    errors: list[FieldError] = []
    if language not in ("", *Language.values):
        errors.append(
            FieldError("language", f"Unknown language {language!r}; use one of {', '.join(Language.values)}.")
        )
    if date_format not in ("", *DateStyle.values):
        errors.append(
            FieldError("date_format", f"Unknown date format {date_format!r}; use one of {', '.join(DateStyle.values)}.")
        )
    if actor.pk != user.pk and not actor.is_plantdesk_admin:
        errors.append(FieldError("user", "Only administrators change another person's settings."))
    if errors:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = {name: getattr(locked, name) for name in PREFERENCE_FIELDS}
        after = {"language": language, "date_format": date_format}
        changed = audit.record_changes(actor=actor, obj=locked, record_type="user", before=before, after=after)
        if changed:
            for name in changed:
                setattr(locked, name, after[name])
            locked.save(update_fields=changed)
            for name in changed:
                setattr(user, name, after[name])
    return changed
