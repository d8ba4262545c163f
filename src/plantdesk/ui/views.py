"""Login, the landing page (agents go to their queue, requesters to the portal) and saving a list's columns."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from plantdesk.accounts.backends import is_locked_out
from plantdesk.ui import columns
from plantdesk.ui.htmx import signed_in_user


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("Invalid username or password. Note that the username is case sensitive."),
    }

    def get_invalid_login_error(self) -> Any:
        # The backend refuses a locked account without checking the password; say so plainly.
        username = self.cleaned_data.get("username") or ""
        if username and is_locked_out(username):
            from django.core.exceptions import ValidationError

            return ValidationError(
                _(
                    "Too many failed attempts: this account is locked for %(minutes)s minutes. "
                    "Try again later or call the service desk."
                )
                % {"minutes": settings.LOGIN_LOCKOUT_MINUTES},
                code="locked_out",
            )
        return super().get_invalid_login_error()


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "is_fulfiller", False):
        return HttpResponseRedirect(reverse("ui:incidents:queue"))
    return HttpResponseRedirect(reverse("ui:portal"))


@require_POST
@login_required
def save_list_columns(request: HttpRequest, list_name: str) -> HttpResponse:
    """Keep the columns a person ticked for a list, then back to the list they were on."""
    try:
        columns.column_choice(list_name)
    except KeyError:
        raise Http404(f"No list {list_name}.") from None
    columns.save_columns(signed_in_user(request), list_name, request.POST.getlist("column"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("ui:home")
    messages.success(request, _("Columns saved."))
    return HttpResponseRedirect(back, status=303)
