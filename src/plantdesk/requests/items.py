"""State changes of request items and the request that follows them, with their SLA clocks."""

from __future__ import annotations

from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.core.errors import Conflict
from plantdesk.requests import transitions
from plantdesk.requests.choices import ITEM_FINAL, REQUEST_FINAL
from plantdesk.requests.models import ITEM_RECORD_TYPE, RECORD_TYPE, RequestItem, ServiceRequest
from plantdesk.requests.record import state_change
from plantdesk.slas.clocks import sync_clocks


def set_item_state(item: RequestItem, to: str, *, actor: User, reason: str = "") -> None:
    """Move a locked item to `to` (ITEM_ALLOWED), audit and announce it, and bring its clocks in line."""
    old = item.state
    if to not in transitions.ITEM_ALLOWED[old]:
        allowed = sorted(transitions.ITEM_ALLOWED[old])
        raise Conflict(f"{item.number} is {old}; it cannot become {to}.", allowed=allowed)
    now = timezone.now()
    item.state, item.updated_at = to, now
    if to in ITEM_FINAL:
        item.closed_at = now
    item.save(update_fields=["state", "updated_at", "closed_at", "approval_level", "stage", "rejection_reason",
                             "assignment_group"])  # fmt: skip
    state_change(actor, ITEM_RECORD_TYPE, item, old, to, reason)
    sync_clocks(item, record_type=ITEM_RECORD_TYPE, actor=actor)


def roll_up(request: ServiceRequest, *, actor: User, states: list[str] | None = None) -> None:
    """The request follows its items (locked by the caller's action). `states`: every item's state, when the
    caller has just written them all (a new request), else read here."""
    if states is None:
        states = list(request.items.values_list("state", flat=True))
    new = transitions.request_state(states)
    if new == request.state:
        return
    old, now = request.state, timezone.now()
    request.state, request.updated_at = new, now
    request.closed_at = now if new in REQUEST_FINAL else None
    request.save(update_fields=["state", "updated_at", "closed_at"])
    state_change(actor, RECORD_TYPE, request, old, new)


def lock_item(item_pk: int) -> tuple[RequestItem, ServiceRequest]:
    """The item and its request under lock, request first (the order every request action takes)."""
    request_pk = RequestItem.objects.values_list("request_id", flat=True).get(pk=item_pk)
    request = ServiceRequest.objects.select_for_update().get(pk=request_pk)
    item = RequestItem.objects.select_for_update().select_related("version", "request").get(pk=item_pk)
    return item, request
