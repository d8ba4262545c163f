"""The workflows of service requests, readable in one place (ARCHITECTURE rule 2).

A request item waits for its approvals, is fulfilled by its tasks stage by stage, and ends fulfilled,
rejected or canceled. The request follows its items (`request_state`). A task is worked and closed."""

from __future__ import annotations

from collections.abc import Iterable

from plantdesk.requests.choices import ItemState, RequestState, TaskState

ITEM_ALLOWED: dict[str, frozenset[str]] = {
    ItemState.PENDING_APPROVAL: frozenset({ItemState.APPROVED, ItemState.REJECTED, ItemState.CANCELED}),
    ItemState.APPROVED: frozenset({ItemState.IN_FULFILMENT, ItemState.FULFILLED, ItemState.CANCELED}),
    ItemState.IN_FULFILMENT: frozenset({ItemState.FULFILLED, ItemState.CANCELED}),
    ItemState.FULFILLED: frozenset(),
    ItemState.REJECTED: frozenset(),
    ItemState.CANCELED: frozenset(),
}

TASK_ALLOWED: dict[str, frozenset[str]] = {
    TaskState.OPEN: frozenset({TaskState.IN_PROGRESS, TaskState.CLOSED_COMPLETE, TaskState.CLOSED_SKIPPED}),
    TaskState.IN_PROGRESS: frozenset({TaskState.OPEN, TaskState.CLOSED_COMPLETE, TaskState.CLOSED_SKIPPED}),
    TaskState.CLOSED_COMPLETE: frozenset(),
    TaskState.CLOSED_SKIPPED: frozenset(),
}


def request_state(item_states: Iterable[str]) -> str:
    """The request's state from its items': open while any item is open (in fulfilment once none waits
    for approval only), else completed if anything was fulfilled, else rejected, else canceled."""
    states = list(item_states)
    open_ = [s for s in states if s not in (ItemState.FULFILLED, ItemState.REJECTED, ItemState.CANCELED)]
    if open_:
        if all(s == ItemState.PENDING_APPROVAL for s in open_):
            return RequestState.IN_APPROVAL
        return RequestState.IN_FULFILMENT
    if ItemState.FULFILLED in states:
        return RequestState.COMPLETED
    if ItemState.REJECTED in states:
        return RequestState.REJECTED
    return RequestState.CANCELED if states else RequestState.SUBMITTED
