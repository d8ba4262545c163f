"""What the requests app plugs into the layers below it (called once from `RequestsConfig.ready()`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from plantdesk.changes.approval_records import register_decider
from plantdesk.requests import approvals, panels
from plantdesk.requests.choices import AWAITING_APPROVAL, GrantState, ItemState, RequestState, TaskState
from plantdesk.requests.models import GRANT_RECORD_TYPE, ITEM_RECORD_TYPE, RECORD_TYPE, TASK_RECORD_TYPE, RequestItem
from plantdesk.slas import measured
from plantdesk.slas.definitions import standard_conditions
from plantdesk.ui import labels
from plantdesk.ui import panels as ui_panels

FIELD_LABELS = {
    "requested_for": _("Requested for"),
    "requested_by": _("Requested by"),
    "approval_level": _("Approval step"),
    "stage": _("Stage"),
    "rejection_reason": _("Rejection reason"),
    "removed_at": _("Removed from the system"),
    "audience": _("Audience"),
}


def _measured() -> measured.MeasuredType:
    """Request items as the SLA engine measures them: a `resolution` target is the fulfilment time; waiting
    for approvers is the hold an SLA definition may pause for (`awaiting_approval`)."""
    fields = {
        "catalog_item": measured.Condition(lambda i: i.catalog_item.name, measured.names(lambda v: True)),
        "gxp_relevant": measured.Condition(lambda i: i.gxp_relevant, measured.booleans),
    }
    return measured.MeasuredType(
        record_type=ITEM_RECORD_TYPE, model=RequestItem,
        open_states=frozenset({ItemState.PENDING_APPROVAL, ItemState.APPROVED, ItemState.IN_FULFILMENT}),
        done_states=frozenset({ItemState.FULFILLED}),
        canceled_states=frozenset({ItemState.REJECTED, ItemState.CANCELED}),
        on_hold_state=ItemState.PENDING_APPROVAL, hold_reasons=lambda: [AWAITING_APPROVAL],
        conditions={**fields, **standard_conditions()},
    )  # fmt: skip


def register() -> None:
    register_decider(ITEM_RECORD_TYPE, approvals.decide)
    ui_panels.register_panel("incident_queue", "tasks", template="requests/panels/queue_tasks.html",
                             context=panels.queue_tasks, order=10)  # fmt: skip
    ui_panels.register_panel("ci_detail", "access_grants", template="requests/panels/ci_grants.html",
                             context=panels.ci_grants, order=40)  # fmt: skip
    measured.register_measured(_measured())
    labels.register_field_labels(FIELD_LABELS)
    labels.register_state_labels(RECORD_TYPE, dict(RequestState.choices))
    labels.register_state_labels(ITEM_RECORD_TYPE, dict(ItemState.choices))
    labels.register_state_labels(TASK_RECORD_TYPE, dict(TaskState.choices))
    labels.register_state_labels(GRANT_RECORD_TYPE, dict(GrantState.choices))
    labels.register_value_labels("hold_reason", {AWAITING_APPROVAL: _("Awaiting approval")})
