"""Every write to a request and its items goes through these functions (ARCHITECTURE rule 1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from plantdesk.accounts.lookups import active_user, home_site
from plantdesk.accounts.models import Site, User
from plantdesk.accounts.permissions import restrict
from plantdesk.changes.choices import ApprovalState
from plantdesk.changes.models import Approval
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core import audit
from plantdesk.core.errors import Conflict, Forbidden, InvalidInput
from plantdesk.core.fields import Errors, text
from plantdesk.core.journal import add_journal_entry
from plantdesk.core.models import Visibility
from plantdesk.core.numbering import next_number
from plantdesk.requests import access, approvals, fulfilment, questions
from plantdesk.requests.choices import ITEM_FINAL, TASK_OPEN, ItemState, Source, TaskState
from plantdesk.requests.definitions import from_answers
from plantdesk.requests.items import lock_item, roll_up, set_item_state
from plantdesk.requests.models import (
    ITEM_PREFIX,
    ITEM_RECORD_TYPE,
    NUMBER_PREFIX,
    RECORD_TYPE,
    CatalogItem,
    FulfilmentTask,
    RequestItem,
    ServiceRequest,
)
from plantdesk.requests.record import audit_entry, emit, note, required_reason
from plantdesk.slas.clocks import sync_clocks

MAX_ITEMS, MAX_QUANTITY = 20, 100
REQUEST_FIELDS = frozenset({"requested_for", "items", "short_description"})
ITEM_FIELDS = frozenset({"catalog_item", "answers", "quantity"})


@dataclass(frozen=True)
class Order:
    """What an order wrote: the request, its items (their related rows loaded) and each item's approvals
    (by item id, in level order), so that the API can answer without reading them back."""

    request: ServiceRequest
    items: list[RequestItem]
    approvals: dict[int, list[Approval]]


def do_submit_request(
    data: Mapping[str, Any], *, actor: User, source: str = Source.API, site: Site | None = None
) -> ServiceRequest:
    """Order one or more catalog items, for oneself or for someone else (CONTRACT.md section 9). Every
    answer is checked against the item's current version; nothing is stored unless all of it is right.
    `site`: where an event's request belongs (the system account that orders it works for no site)."""
    return do_submit_order(data, actor=actor, source=source, site=site).request


def do_submit_order(
    data: Mapping[str, Any], *, actor: User, source: str = Source.API, site: Site | None = None
) -> Order:
    """`do_submit_request`, returning everything it wrote."""
    unknown = sorted(set(data) - REQUEST_FIELDS)
    if unknown:
        raise InvalidInput.for_field(unknown[0], "Unknown field.")
    errors = Errors()
    requested_for = actor
    if data.get("requested_for") not in (None, "", actor.username):
        found = active_user(str(data["requested_for"]))
        if found is None or found.is_integration:
            errors.add("requested_for", f"Unknown user: {data['requested_for']}.")
        else:
            requested_for = found
    short = text(data.get("short_description"), "short_description", errors, max_length=160)
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_ITEMS:
        errors.add("items", f"Order 1 to {MAX_ITEMS} items.")
        raw_items = []
    site = site or home_site(requested_for)
    catalog: dict[str, CatalogItem | None] = {}  # a cart may order an item twice: one read per name
    orders = [_checked_item(raw, i, actor, requested_for, site, errors, catalog) for i, raw in enumerate(raw_items)]
    errors.raise_if_any()
    with audit.action_transaction():
        now = timezone.now()
        first = orders[0]["version"].title
        request = ServiceRequest(
            number=next_number(NUMBER_PREFIX), requested_by=actor, requested_for=requested_for, site=site,
            source=source, opened_at=now, updated_at=now,
            short_description=short or (first if len(orders) == 1 else f"{first} and {len(orders) - 1} more")[:160],
        )  # fmt: skip
        request.save(force_insert=True)
        audit_entry(actor, RECORD_TYPE, request, "created", new=request.number)
        emit("created", RECORD_TYPE, request, actor, data={"requested_for": requested_for.username})
        items, approval_rows = [], {}
        for order in orders:
            item, rows = _create_item(request, order, actor=actor, now=now)
            items.append(item)
            approval_rows[item.pk] = rows
        roll_up(request, actor=actor, states=[item.state for item in items])
    return Order(request, items, approval_rows)


def _checked_item(
    raw: Any, i: int, actor: User, requested_for: User, site: Any, errors: Errors,
    known: dict[str, CatalogItem | None],
) -> dict[str, Any]:  # fmt: skip
    at = f"items[{i}]"
    if not isinstance(raw, dict):
        errors.add(at, "Each item is {catalog_item, answers, quantity}.")
        return {}
    for key in sorted(set(raw) - ITEM_FIELDS):
        errors.add(f"{at}.{key}", "Unknown field.")
    name = raw.get("catalog_item")
    key = str(name or "")
    if key not in known:
        known[key] = restrict(actor, "view", CatalogItem).filter(name=key, active=True) \
            .select_related("current").first()  # fmt: skip
    catalog = known[key]
    if catalog is None or catalog.current is None:
        errors.add(f"{at}.catalog_item", f"Unknown catalog item: {name}.")
        return {}
    version = catalog.current
    quantity = raw.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        errors.add(f"{at}.quantity", f"A whole number from 1 to {MAX_QUANTITY}.")
    cis: dict[str, ConfigurationItem] = {}
    answers = questions.checked_answers(version.questions, raw.get("answers"), errors, f"{at}.answers", cis=cis)
    spec = version.access
    if spec and spec.get("reference") and spec["reference"] in answers:
        access.checked_reference(answers[spec["reference"]], f"{at}.answers.{spec['reference']}", errors)
    days = answers.get(spec["days"]) if spec and spec.get("days") else None
    if spec and isinstance(days, (int, float)) and not 1 <= days <= spec["max_days"]:
        errors.add(f"{at}.answers.{spec['days']}", f"From 1 to {spec['max_days']} days.")
    steps = approvals.plan(version.approval, requested_for=requested_for, requested_by=actor, site=site,
                           errors=errors, at=f"{at}.catalog_item")  # fmt: skip
    return {"catalog": catalog, "version": version, "quantity": quantity, "answers": answers, "steps": steps,
            "site": site, "cis": cis}  # fmt: skip


def _create_item(
    request: ServiceRequest, order: dict[str, Any], *, actor: User, now: Any
) -> tuple[RequestItem, list[Approval]]:
    version = order["version"]
    ci = _ci_of(version, order["answers"], order["cis"])
    item = RequestItem(
        number=next_number(ITEM_PREFIX), request=request, catalog_item=order["catalog"], version=version,
        quantity=order["quantity"], answers=order["answers"], site=request.site, ci=ci,
        gxp_relevant=version.gxp or bool(ci and ci.gxp_relevant), opened_at=now, updated_at=now,
        state=ItemState.PENDING_APPROVAL, approval_level=1 if order["steps"] else 0,
    )  # fmt: skip
    item.request = request
    item.save(force_insert=True)
    label = f"{item.number}: {order['catalog'].name} v{version.version}"
    audit_entry(actor, ITEM_RECORD_TYPE, item, "created", new=label)
    emit("created", ITEM_RECORD_TYPE, item, actor, data={"request": request.number, "catalog": order["catalog"].name})
    sync_clocks(item, record_type=ITEM_RECORD_TYPE, actor=actor, created=True)
    rows: list[Approval] = []
    if order["steps"]:
        rows = approvals.request_approvals(item, order["steps"], gxp=version.gxp)
        names = ", ".join(s.name for s in order["steps"])
        note(ITEM_RECORD_TYPE, item, f"Waiting for approval: {names}.", actor=actor)
    else:
        set_item_state(item, ItemState.APPROVED, actor=actor, reason="No approval needed.")
        fulfilment.start(item, actor=actor)
    return item, rows


def _ci_of(version: Any, answers: dict[str, Any], found: dict[str, ConfigurationItem]) -> Any:
    """The system the item is about: its access's system (literal or answered), else a CI answer.
    `found`: the CIs the answers named, read when they were checked (CI names are unique)."""
    name = from_answers(version.access["system"], answers) if version.access else None
    if name is None:
        name = next((answers[q["name"]] for q in version.questions if q["type"] == "ci" and q["name"] in answers),
                    None)  # fmt: skip
    if not name:
        return None
    return found.get(name) or ConfigurationItem.objects.filter(name=name).first()


def do_cancel_item(item: RequestItem, *, actor: User, reason: str) -> RequestItem:
    """The requester (or the desk) withdraws an item not yet fulfilled: open approvals and tasks end."""
    reason = required_reason(reason, limit=1000, why="Say why the item is canceled.")
    with audit.action_transaction():
        locked, request = lock_item(item.pk)
        if not (actor.pk in (request.requested_by_id, request.requested_for_id) or actor.is_fulfiller):
            raise Forbidden("Only the requester or the desk cancels an item.")
        if locked.state in ITEM_FINAL:
            raise Conflict(f"{locked.number} is {locked.state}; it cannot be canceled.", allowed=[])
        now = timezone.now()
        Approval.objects.filter(record_type=ITEM_RECORD_TYPE, record_id=locked.pk,
                                state__in=[ApprovalState.REQUESTED, ApprovalState.NOT_REQUESTED]) \
            .update(state=ApprovalState.NOT_REQUIRED, decided_at=now)  # fmt: skip
        FulfilmentTask.objects.filter(request_item=locked, state__in=TASK_OPEN).update(
            state=TaskState.CLOSED_SKIPPED, closed_at=now, close_notes=f"Item canceled: {reason}", updated_at=now
        )
        set_item_state(locked, ItemState.CANCELED, actor=actor, reason=reason)
        note(ITEM_RECORD_TYPE, locked, f"Canceled by {actor.printed_name}: {reason}", actor=actor, public=True)
        roll_up(request, actor=actor)
    return locked


def do_comment_item(item: RequestItem, body: str, *, actor: User, public: bool) -> None:
    """A comment (public: the requester reads it in the portal) or a work note on a request item."""
    if not actor.is_fulfiller and not public:
        raise Forbidden("Only the desk writes work notes.")
    with audit.action_transaction():
        locked, _request = lock_item(item.pk)
        add_journal_entry(record_type=ITEM_RECORD_TYPE, record=locked, body=body, actor=actor,
                          visibility=Visibility.PUBLIC if public else Visibility.INTERNAL)  # fmt: skip
        emit("commented", ITEM_RECORD_TYPE, locked, actor, data={"public": public})
