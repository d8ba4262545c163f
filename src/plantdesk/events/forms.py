"""Forms of the event pages: they shape what was typed into the actions' input; the actions validate it (so
the API and the pages refuse the same things with the same words)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.models import Site, User
from plantdesk.accounts.permissions import user_site_ids
from plantdesk.events.models import Alert
from plantdesk.ui.choices import DURATIONS

SEVERITY_CHOICES = [("critical", _("Critical")), ("major", _("Major")), ("minor", _("Minor")),
                    ("warning", _("Warning")), ("info", _("Info"))]  # fmt: skip
ALL_STATES = "all"
# Silences and maintenance windows start now; people think in these lengths, not in end times.
MATCHER_FIELDS = ("source", "node", "metric")


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class AlertFilterForm(forms.Form):
    """The console's query string. Without a state the console shows open alerts: what needs someone now."""

    site = forms.ChoiceField(label=_("Site"), required=False)
    area = forms.CharField(required=False, max_length=255, label=_("Line / area"))
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("Any severity")), *SEVERITY_CHOICES]
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[(Alert.OPEN, _("Open")), (Alert.CLOSED, _("Closed")), (ALL_STATES, _("Any state"))],
    )
    unbound = forms.BooleanField(required=False, label=_("Unbound (no CI)"))
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=100_000)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = Site.objects.order_by("code")
        if not user.is_plantdesk_admin:  # administrators see every site's alerts
            sites = sites.filter(pk__in=user_site_ids(user))
        _choice(self, "site").choices = [("", _("Any site")), *((s.code, s.name) for s in sites)]
        self.fields["area"].widget.attrs.update({"list": "alert-areas", "placeholder": _("e.g. BER-L3")})

    def error_messages(self) -> list[str]:
        """Each message with its filter's label, shown above the table (a swap re-renders only that)."""
        return [f"{self.fields[name].label or name.capitalize()}: {message}" if name in self.fields else str(message)
                for name, messages in self.errors.items() for message in messages]  # fmt: skip

    @property
    def state_filter(self) -> str:
        return str(self.cleaned_data.get("state") or Alert.OPEN)


class SilenceForm(forms.Form):
    """Matchers for the alert's source, node and metric (shell-style patterns), a length and a reason."""

    site = forms.ChoiceField(
        label=_("Site"), required=False, help_text=_("Agents silence the alerts of their own sites")
    )
    source = forms.CharField(
        label=_("Source"), required=False, max_length=255, help_text=_("* matches anything, ? one character")
    )
    node = forms.CharField(label=_("Node"), required=False, max_length=255)
    metric = forms.CharField(label=_("Metric"), required=False, max_length=255)
    duration = forms.ChoiceField(label=_("Duration"), choices=DURATIONS, initial="120", help_text=_("From now"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = Site.objects.order_by("code")
        if not user.is_plantdesk_admin:
            sites = sites.filter(pk__in=user_site_ids(user))
        everywhere = [("", _("Every site"))] if user.is_plantdesk_admin else []
        _choice(self, "site").choices = [*everywhere, *((s.code, s.name) for s in sites)]

    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Why: kept with the silence and in the audit trail"))  # fmt: skip

    @classmethod
    def initial_for(cls, alert: Alert | None) -> dict[str, Any]:
        initial: dict[str, Any] = {"duration": "120"}
        if alert is not None:
            initial |= {name: getattr(alert, name) for name in MATCHER_FIELDS if getattr(alert, name)}
            initial["site"] = alert.site.code if alert.site else ""
        return initial

    def action_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        matchers = {name: data[name].strip() for name in MATCHER_FIELDS if (data.get(name) or "").strip()}
        if data.get("site"):
            matchers["site"] = data["site"]
        starts = timezone.now()
        return {"matchers": matchers, "starts_at": starts, "ends_at": starts + timedelta(minutes=int(data["duration"])),
                "comment": data.get("comment") or ""}  # fmt: skip

    def form_field_for(self, name: str) -> str | None:
        """Where the action's complaint goes: `matchers` is about the three pattern fields together."""
        return {"matchers": None, "ends_at": "duration", "starts_at": "duration"}.get(name, name)


class IntegrationAccountForm(forms.Form):
    """An integration account is named after the system that sends (the name appears in the audit trail)."""

    name = forms.RegexField(label=_("Name"),
        regex=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$", max_length=100,
        help_text=_("The sending system, e.g. mes-ber or prometheus-ber: letters, digits, . _ -"),
        error_messages={"invalid": "Letters, digits, '.', '_' and '-', starting with a letter or digit."},
    )  # fmt: skip
    site = forms.ChoiceField(label=_("Site"), required=False, help_text=_("Where its events come from"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "site").choices = [("", _("No site")), *((s.code, s.name) for s in Site.objects.order_by("code"))]

    def form_field_for(self, name: str) -> str | None:
        return {"username": "name"}.get(name, name if name in self.fields else None)
