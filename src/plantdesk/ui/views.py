"""Login and the landing page: agents go to their queue, requesters to the portal."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from plantdesk.accounts.backends import is_locked_out


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Invalid username or password. Note that the username is case sensitive.",
    }

    def get_invalid_login_error(self) -> Any:
        # The backend refuses a locked account without checking the password; say so plainly.
        username = self.cleaned_data.get("username") or ""
        if username and is_locked_out(username):
            from django.core.exceptions import ValidationError

            return ValidationError(
                f"Too many failed attempts: this account is locked for {settings.LOGIN_LOCKOUT_MINUTES} minutes. "
                "Try again later or call the service desk.",
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
