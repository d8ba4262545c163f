"""Dead letters: events that could not be read, kept verbatim with their SHA-256, and replayed on request
(after a mapping or adapter fix) through `events.actions.do_replay_dead_letters`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from plantdesk.accounts.permissions import restrict
from plantdesk.core.errors import DomainError
from plantdesk.core.pagination import Page, paginate
from plantdesk.events.actions import MAX_REPLAY, do_replay_dead_letters
from plantdesk.events.models import InboxEvent
from plantdesk.ui.htmx import agents_only, fulfiller_required, redirect_after_post, signed_in_user


@require_GET
@fulfiller_required(agents_only)
def dead_letters(request: HttpRequest) -> HttpResponse:
    rows = restrict(signed_in_user(request), "view", InboxEvent).filter(status=InboxEvent.DEAD)
    number = request.GET.get("page", "1")
    page: Page[InboxEvent] = paginate(rows.order_by("-received_at", "-id"), int(number) if number.isdigit() else 1)
    return render(request, "events/dead_letters.html", {"page": page, "max_replay": MAX_REPLAY})


@require_POST
@fulfiller_required(agents_only)
def replay(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()][:MAX_REPLAY]
    back = reverse("ui:events:dead-letters")
    if not ids:
        messages.error(request, _("Select the dead letters to replay."))
        return redirect_after_post(request, back)
    try:
        outcome = do_replay_dead_letters(ids, actor=signed_in_user(request))
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect_after_post(request, back)
    if outcome["replayed"]:
        done = ", ".join(f"#{item['id']}" for item in outcome["replayed"])
        messages.success(request, _("Replayed %(count)s: read now, on their way to the processor.") % {"count": done})
    for item in outcome["still_dead"]:
        messages.error(request, _("Still dead #%(id)s: %(reason)s") % {"id": item["id"], "reason": item["reason"]})
    gone = sorted(set(ids) - {i["id"] for i in outcome["replayed"] + outcome["still_dead"]})
    if gone:  # replayed meanwhile by someone else, or not a dead letter at all
        messages.info(request, _("No longer dead letters: %(ids)s.") % {"ids": ", ".join(f"#{i}" for i in gone)})
    return redirect_after_post(request, back)
