"""A change's field values as text: what the audit trail diffs and what signatures hash."""

from __future__ import annotations

from plantdesk.changes.fields import AUDITED_FIELDS, CLOSE_SIGNED_FIELDS, PLAN_SIGNED_FIELDS
from plantdesk.changes.models import RECORD_TYPE, ChangeRequest
from plantdesk.core import audit
from plantdesk.core.models import Signature


def ci_names(change: ChangeRequest) -> list[str]:
    """The affected CIs' names; actions keep them on the instance so one action reads them once."""
    cached: list[str] | None = getattr(change, "_ci_names", None)
    if cached is None:
        cached = sorted(link.ci.name for link in change.ci_links.select_related("ci"))
        change._ci_names = cached  # type: ignore[attr-defined]
    return cached


def set_ci_names(change: ChangeRequest, names: list[str]) -> None:
    change._ci_names = sorted(names)  # type: ignore[attr-defined]


def values_of(change: ChangeRequest, fields: tuple[str, ...] | list[str] = tuple(AUDITED_FIELDS)) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in fields:
        values[name] = ", ".join(ci_names(change)) if name == "cis" else audit.as_text(getattr(change, name))
    return values


def plan_values(change: ChangeRequest) -> dict[str, str]:
    return values_of(change, PLAN_SIGNED_FIELDS)


def close_values(change: ChangeRequest) -> dict[str, str]:
    return values_of(change, CLOSE_SIGNED_FIELDS)


def signable_values(change: ChangeRequest) -> dict[str, str]:
    """Every value a signature on a change may cover; a conflict override also covers the conflicts it
    accepted."""
    return {
        **values_of(change, (*PLAN_SIGNED_FIELDS, *CLOSE_SIGNED_FIELDS)),
        "conflicts": "; ".join(change.override_keys),
    }


def valid_signatures(change: ChangeRequest, purpose: str) -> list[Signature]:
    from plantdesk.core.signatures import verify

    rows = Signature.objects.filter(record_type=RECORD_TYPE, record_id=change.pk, purpose=purpose, valid=True)
    values = signable_values(change)
    return [sig for sig in rows if verify(sig, values)]
