"""Integration setup pages (administrators): the integration accounts, creating one with its key, issuing and
revoking keys, and per account exactly what to configure in the MES or the monitoring.

A key is shown once, in the answer to the POST that issued it, and never stored (only its SHA-256), so the
page that shows it is not cached and is not reached through a redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from plantdesk.accounts.models import ApiToken, User
from plantdesk.accounts.permissions import restrict
from plantdesk.core.errors import DomainError
from plantdesk.events import integration_accounts
from plantdesk.events.forms import IntegrationAccountForm
from plantdesk.events.views.setup import setup_for
from plantdesk.ui.htmx import agents_only, fulfiller_required, redirect_after_post, run_form_action, signed_in_user


def _admin(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not user.is_plantdesk_admin:
        raise PermissionDenied(_("Integration accounts are managed by administrators."))
    return user


def _accounts(user: User) -> QuerySet[User]:
    return restrict(user, "view", User).filter(is_integration=True)


def _account_or_404(user: User, username: str) -> User:
    account = _accounts(user).prefetch_related("sites").filter(username=username).first()
    if account is None:
        raise Http404(f"No integration account {username}.")
    return account


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def integration_list(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = IntegrationAccountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        data = form.cleaned_data if form.is_valid() else {}
        created, failed = run_form_action(form, lambda: integration_accounts.do_create_integration_account(
            data["name"], site=data.get("site") or "", actor=user))  # fmt: skip
        if created is not None:
            account, key = created
            return _detail(request, account, key=key, status=201)
        status = failed or 400
    accounts = (
        _accounts(user)
        .prefetch_related("sites")
        .annotate(
            live_keys=Count("api_tokens", filter=Q(api_tokens__revoked_at__isnull=True)),
            last_used=Max("api_tokens__last_used_at"),
        )
        .order_by("username")
    )
    return render(request, "events/integrations.html", {"form": form, "accounts": accounts}, status=status)


def _detail(request: HttpRequest, account: User, *, key: str = "", status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {
        "account": account,
        "keys": account.api_tokens.order_by("-created_at", "-id"),
        "new_key": key,
        "setup": setup_for(request, account, key),
    }
    response = render(request, "events/integration_detail.html", context, status=status)
    if key:
        add_never_cache_headers(response)  # the key must not linger in a cache or the back-forward history
    return response


@require_http_methods(["GET"])
@fulfiller_required(agents_only)
def integration_detail(request: HttpRequest, username: str) -> HttpResponse:
    return _detail(request, _account_or_404(_admin(request), username))


@require_POST
@fulfiller_required(agents_only)
def issue_key(request: HttpRequest, username: str) -> HttpResponse:
    user = _admin(request)
    account = _account_or_404(user, username)
    try:
        key = integration_accounts.do_issue_integration_key(account, actor=user)
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect_after_post(request, reverse("ui:events:integration", args=[username]))
    return _detail(request, account, key=key, status=201)


@require_POST
@fulfiller_required(agents_only)
def revoke_key(request: HttpRequest, username: str, key_id: int) -> HttpResponse:
    user = _admin(request)
    account = _account_or_404(user, username)
    key = ApiToken.objects.filter(user=account, pk=key_id).first()
    if key is None:
        raise Http404(f"No key {key_id} of {username}.")
    integration_accounts.do_revoke_integration_key(key, actor=user)
    messages.success(
        request, _("Key %(prefix)s… revoked: requests with it are refused from now on.") % {"prefix": key.prefix}
    )
    return redirect_after_post(request, reverse("ui:events:integration", args=[username]))
