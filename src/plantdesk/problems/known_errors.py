"""A problem's known error and the publishing of its workaround (CONTRACT.md section 8).

Publishing posts the workaround once to every linked open incident per workaround version: a new version
is made only when the text changes, and `WorkaroundPosting` (unique per incident, known error and version)
makes a second publish of the same version, or a retry after a crash, post nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.core.errors import Conflict, Forbidden
from plantdesk.incidents import actions as incident_actions
from plantdesk.incidents.choices import OPEN_STATES as INCIDENT_OPEN_STATES
from plantdesk.problems.choices import FINAL_STATES
from plantdesk.problems.fields import known_error_fields
from plantdesk.problems.models import RECORD_TYPE, KnownError, KnownErrorCI, Problem, WorkaroundPosting
from plantdesk.problems.record import emit, lock

KNOWN_ERROR_FIELDS = ["symptom", "root_cause", "workaround", "vendor", "product_model", "affected_version"]
PAYLOAD_FIELDS = frozenset({*KNOWN_ERROR_FIELDS, "cis", "publish"})


@dataclass(frozen=True)
class KnownErrorResult:
    known_error: KnownError
    posted_to: list[str]  # incident numbers the workaround was posted to by this call


def do_set_known_error(problem: Problem, data: Mapping[str, Any], *, actor: User) -> KnownErrorResult:
    """Create or replace the known error; with `publish`, publish its workaround (a new version only when
    the text changed since the last publish: an unchanged re-publish writes nothing)."""
    if not actor.is_fulfiller:
        raise Forbidden("Known errors are kept by agents.")
    from plantdesk.problems.fields import refuse_unknown

    refuse_unknown(data, PAYLOAD_FIELDS)
    values = known_error_fields(data, actor=actor)
    cis = values.pop("cis")
    publish = data.get("publish") is True
    with audit.action_transaction():
        locked = lock(problem, actor)
        if locked.state in FINAL_STATES:
            raise Conflict(f"{locked.number} is {locked.state}; its known error can no longer change.")
        now = timezone.now()
        known = KnownError.objects.select_for_update().filter(problem=locked).first()
        created = known is None
        if known is None:
            known = KnownError(problem=locked, created_at=now, updated_at=now, **values)
            before = audit.default_snapshot(KnownError, [*KNOWN_ERROR_FIELDS, "cis"])
        else:
            before = {**audit.snapshot(known, KNOWN_ERROR_FIELDS), "cis": _ci_text(known)}
            for name, value in values.items():
                setattr(known, name, value)
        known.problem = locked  # the audit label names the problem
        known.site_id = locked.site_id
        ci_text = ", ".join(sorted(ci.name for ci in cis))
        after = {**audit.snapshot(known, KNOWN_ERROR_FIELDS), "cis": ci_text}
        changed = audit.record_changes(actor=actor, obj=locked, record_type=RECORD_TYPE, before=before, after=after,
                                       action="known_error")  # fmt: skip
        new_version = publish and known.workaround.strip() != known.published_workaround.strip()
        if new_version:
            known.workaround_version += 1
            known.published_workaround = known.workaround
            known.published, known.published_at, known.published_by = True, now, actor
            audit.record(actor=actor, record_type=RECORD_TYPE, record_id=locked.pk, record_label=locked.number,
                         action="workaround_published", field="workaround_version",
                         old=known.workaround_version - 1, new=known.workaround_version)  # fmt: skip
        if not (changed or new_version or created):
            return KnownErrorResult(known, [])
        known.updated_at = now
        known.save()
        if "cis" in changed or created:
            KnownErrorCI.objects.filter(known_error=known).delete()
            KnownErrorCI.objects.bulk_create(KnownErrorCI(known_error=known, ci=ci) for ci in cis)
        emit("known_error_changed", locked, actor, data={"published": new_version})
        posted = post_published_workaround(locked, None, actor=actor, known=known) if new_version else []
        locked.updated_at = now
        locked.save(update_fields=["updated_at"])
    return KnownErrorResult(known, posted)


def post_published_workaround(
    problem: Problem, incident_ids: list[int] | None, *, actor: User, known: KnownError | None = None
) -> list[str]:
    """Post the published workaround to the problem's linked open incidents (or those of `incident_ids`)
    that have not had this version yet; inside the caller's action. Returns the numbers posted to."""
    known = known or KnownError.objects.filter(problem=problem, published=True).first()
    if known is None or not known.published or not known.published_workaround.strip():
        return []
    candidates = problem.incident_links.filter(incident__state__in=list(INCIDENT_OPEN_STATES))
    if incident_ids is not None:
        candidates = candidates.filter(incident_id__in=incident_ids)
    already = WorkaroundPosting.objects.filter(known_error=known, version=known.workaround_version)
    ids = list(candidates.exclude(incident_id__in=already.values("incident_id")).values_list("incident_id", flat=True))
    if not ids:
        return []
    # Stored as written for every reader of the incident (the caller's portal, mail later): one language.
    body = f"Workaround from {problem.number} (known error): {known.published_workaround.strip()}"
    posted = incident_actions.do_comment_on_incidents(ids, body, actor=actor)
    now = timezone.now()
    WorkaroundPosting.objects.bulk_create(
        WorkaroundPosting(known_error=known, incident_id=i.pk, version=known.workaround_version, posted_at=now)
        for i in posted
    )
    return [i.number for i in posted]


def _ci_text(known: KnownError) -> str:
    return ", ".join(sorted(known.cis.values_list("name", flat=True)))
