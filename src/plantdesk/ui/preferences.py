"""The signed-in person's settings page: the language of the pages and how dates are written. The top bar's
name leads here; `accounts.preference_actions` writes (and audits) the change."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from plantdesk.accounts.choices import DateStyle, Language
from plantdesk.accounts.preference_actions import do_update_preferences
from plantdesk.ui.htmx import redirect_after_post, run_form_action, signed_in_user


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=[("", gettext_lazy("As my browser asks")), *Language.choices],
    )
    date_format = forms.ChoiceField(
        label=gettext_lazy("Dates and times"),
        required=False,
        choices=[("", gettext_lazy("As my language writes them")), *DateStyle.choices],
        help_text=gettext_lazy("How pages show dates and how you type them into forms."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "GET":
        form = PreferencesForm(initial={"language": user.language, "date_format": user.date_format})
        return render(request, "ui/preferences.html", {"form": form})
    form = PreferencesForm(request.POST)
    changed, status = run_form_action(
        form,
        lambda: do_update_preferences(
            user,
            actor=user,
            language=form.cleaned_data.get("language") or "",
            date_format=form.cleaned_data.get("date_format") or "",
        ),
    )
    if changed is None:
        return render(request, "ui/preferences.html", {"form": form}, status=status or 400)
    # The confirmation already speaks the chosen language (the next page is rendered in it anyway).
    with translation.override(user.language or translation.get_language()):
        messages.success(request, _("Your settings are saved.") if changed else _("Nothing changed."))
    return redirect_after_post(request, reverse("ui:preferences"))
