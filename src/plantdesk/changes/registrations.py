"""What the changes app plugs into the kernel (called once from `ChangesConfig.ready()`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from plantdesk.changes.choices import (
    RISK_QUESTIONS,
    ApprovalState,
    ChangeType,
    ReviewOutcome,
    Risk,
    RunState,
    SignaturePurpose,
    State,
    TaskState,
    ValidationImpact,
    WindowKind,
)
from plantdesk.changes.fields import FIELD_LABELS
from plantdesk.changes.models import RECORD_TYPE
from plantdesk.ui import labels

ACTION_LABELS = {
    "approval": _("Approval decision"),
    "approval_level": _("Approval level"),
    "approvals_requested": _("Approvals requested"),
    "approvals_withdrawn": _("Approvals withdrawn"),
    "task": _("Change task"),
}


def register() -> None:
    labels.register_state_labels(RECORD_TYPE, dict(State.choices))
    # A signature's audit entry names its purpose in the field column.
    labels.register_field_labels({**FIELD_LABELS, **dict(SignaturePurpose.choices)})
    # The risk questionnaire's answers (`risk_answers`) read as the questions the form asked.
    labels.register_field_labels({key: question for key, (question, _) in RISK_QUESTIONS.items()})
    labels.register_action_labels(ACTION_LABELS)
    labels.register_value_labels("type", dict(ChangeType.choices))
    labels.register_value_labels("risk", dict(Risk.choices))
    labels.register_value_labels("validation_impact", dict(ValidationImpact.choices))
    labels.register_value_labels("review_outcome", dict(ReviewOutcome.choices))
    labels.register_value_labels("approval", dict(ApprovalState.choices))
    labels.register_value_labels("task", dict(TaskState.choices))
    labels.register_value_labels("kind", dict(WindowKind.choices))
    labels.register_value_labels("run_state", dict(RunState.choices))
    for field in ("gxp_relevant", "validation_data_migration", "validation_part11_affected"):
        labels.register_value_labels(field, labels.YES_NO)
