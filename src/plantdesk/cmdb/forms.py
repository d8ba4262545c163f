"""The CI create/edit form: the common fields, plus one proper form field per attribute of the class schema.

The form only shapes input; `cmdb.actions` validates and writes. `action_data()` turns the posted form into
the same API-level values the REST API takes, so both paths share one set of rules and messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import Site, User
from plantdesk.accounts.permissions import user_site_ids
from plantdesk.cmdb.choices import Criticality, GampCategory, Status, ValidationStatus
from plantdesk.cmdb.models import CIClass, ConfigurationItem
from plantdesk.cmdb.queries import ci_classes, relationship_types
from plantdesk.cmdb.widgets import CISuggestInput
from plantdesk.ui.date_inputs import LocalDateField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
from plantdesk.ui.widgets import group_picker, person_picker

ATTRIBUTE_PREFIX = "attr_"
LEVELS = [("", "—"), *((str(n), f"SL {n}") for n in range(5))]

# Form field -> how its posted text becomes the API value ("" means "not set" for these).
_OPTIONAL_INT = {"gamp_category", "security_level_target", "security_level_achieved"}
_OPTIONAL_REF = {"site", "support_group", "owner"}


class CIForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    ci_class = forms.ChoiceField(label=_("Class"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[c for c in Status.choices if c[0] != Status.RETIRED], initial=Status.IN_SERVICE
    )
    criticality = forms.ChoiceField(label=_("Criticality"), choices=Criticality.choices, initial=Criticality.MEDIUM)
    site = forms.ChoiceField(label=_("Site"), required=False)
    support_group = forms.CharField(
        label=_("Support group"),
        required=False,
        max_length=100,
        help_text=_("Incidents on this CI go to this group."),
        widget=group_picker(),
    )
    owner = forms.CharField(
        label=_("Owner"), required=False, max_length=150, help_text=_("Name or username"), widget=person_picker()
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    aliases = forms.CharField(
        label=_("Aliases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: hostnames, IP addresses, Sparkplug group/edge_node[/device], OPC UA node ids."),
    )
    gxp_relevant = forms.BooleanField(required=False, label=_("GxP relevant"))
    gamp_category = forms.ChoiceField(
        required=False, label=_("GAMP category"), choices=[("", "—"), *((str(v), k) for v, k in GampCategory.choices)]
    )
    validation_status = forms.ChoiceField(
        label=_("Validation status"), required=False, choices=[("", "—"), *ValidationStatus.choices]
    )
    part11_applicable = forms.BooleanField(required=False, label=_("21 CFR Part 11 applies"))
    system_owner = forms.CharField(label=_("System owner"), required=False, max_length=150)
    process_owner = forms.CharField(label=_("Process owner"), required=False, max_length=150)
    qa_owner = forms.CharField(required=False, max_length=150, label=_("QA owner"))
    last_periodic_review = LocalDateField(label=_("Last periodic review"), required=False)
    next_periodic_review = LocalDateField(label=_("Next periodic review"), required=False)
    security_zone = forms.CharField(
        label=_("Security zone"), required=False, max_length=80, help_text=_("IEC 62443 zone, e.g. Control")
    )
    conduit = forms.CharField(label=_("Conduit"), required=False, max_length=80)
    security_level_target = forms.ChoiceField(required=False, choices=LEVELS, label=_("Security level, target"))
    security_level_achieved = forms.ChoiceField(required=False, choices=LEVELS, label=_("Security level, achieved"))
    purdue_level = forms.CharField(
        label=_("Purdue level"), required=False, max_length=8, help_text=_("0 to 5, or 3.5 for the DMZ")
    )

    GXP_FIELDS = ("gxp_relevant", "gamp_category", "validation_status", "part11_applicable", "system_owner",
                  "process_owner", "qa_owner", "last_periodic_review", "next_periodic_review")  # fmt: skip
    SECURITY_FIELDS = ("security_zone", "conduit", "security_level_target", "security_level_achieved", "purdue_level")

    def __init__(self, *args: Any, user: User, ci_class: CIClass | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chosen_class = ci_class
        classes = sorted(ci_classes().values(), key=lambda c: (c.family, c.label.lower()))
        self._choices("ci_class", [("", _("Choose a class")), *((c.name, f"{c.label} ({c.name})") for c in classes)])
        first: list[tuple[str, StrOrPromise]]
        if user.role == Role.ADMIN:
            sites, first = Site.objects.order_by("code"), [("", _("Enterprise-wide"))]
        else:  # enterprise-wide CIs are the administrators'
            sites, first = Site.objects.filter(pk__in=user_site_ids(user)).order_by("code"), []
        self._choices("site", [*first, *((s.code, s.name) for s in sites)])
        for name, spec in (ci_class.attribute_schema if ci_class else {}).items():
            self.fields[ATTRIBUTE_PREFIX + name] = attribute_field(name, spec)

    def _choices(self, name: str, choices: list[tuple[str, StrOrPromise]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(ATTRIBUTE_PREFIX)]

    def form_field_for(self, error_field: str) -> str | None:
        """Where an action's FieldError goes: `attributes.model` belongs next to the `attr_model` input."""
        if error_field.startswith("attributes."):
            error_field = ATTRIBUTE_PREFIX + error_field.removeprefix("attributes.")
        return error_field if error_field in self.fields else None

    def action_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {}
        for name in self.base_fields:
            value = data.get(name)
            if name in _OPTIONAL_INT:
                value = int(value) if value not in (None, "") else None
            elif name in _OPTIONAL_REF:
                value = value or None
            elif name in ("last_periodic_review", "next_periodic_review"):
                value = value.isoformat() if value else None
            elif name == "aliases":
                value = [line.strip() for line in (value or "").splitlines() if line.strip()]
            values[name] = value
        values["attributes"] = {
            name.removeprefix(ATTRIBUTE_PREFIX): data[name]
            for name in self.fields
            if name.startswith(ATTRIBUTE_PREFIX) and data.get(name) not in (None, "")
        }
        return values

    @classmethod
    def initial_for(cls, ci: ConfigurationItem) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(ci, name) for name in cls.base_fields if name not in ("aliases", *_OPTIONAL_REF)
        }
        initial.update(
            ci_class=ci.ci_class.name,
            site=ci.site.code if ci.site else "",
            support_group=ci.support_group.name if ci.support_group else "",
            owner=ci.owner.username if ci.owner else "",
            aliases="\n".join(sorted(a.value for a in ci.aliases.all())),
        )
        initial.update({ATTRIBUTE_PREFIX + name: value for name, value in ci.attributes.items()})
        return initial


def attribute_field(name: str, spec: dict[str, Any]) -> forms.Field:
    """The form field for one schema attribute; "required" is left to the action, which names the attribute."""
    label = spec.get("label") or name.replace("_", " ").capitalize()
    kind = spec.get("type", "string")
    if kind == "integer":
        return forms.IntegerField(label=label, required=False)
    if kind == "number":
        return forms.FloatField(label=label, required=False)
    if kind == "boolean":
        return forms.NullBooleanField(label=label, required=False)
    if kind == "choice":
        return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *((c, c) for c in spec["choices"])])
    return forms.CharField(label=label, required=False, max_length=1000)


class RelationshipForm(forms.Form):
    """Relate the CI of the page to another one, as the source ("BER-MES-APP01 runs on ...") or the target."""

    role = forms.ChoiceField(
        choices=[("source", _("This CI")), ("target", _("The other CI"))],
        initial="source",
        label=_("Which one is the source"),
    )
    type = forms.ChoiceField(label=_("Relationship"))
    other = forms.CharField(max_length=255, required=False, label=_("Other CI"), widget=CISuggestInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(t.name, t.label) for t in sorted(relationship_types().values(), key=lambda t: t.label)]

    def form_field_for(self, error_field: str) -> str | None:
        """The action speaks of source and target; the form of this CI and the other one."""
        if error_field in ("source", "target"):
            return "other" if error_field != self.cleaned_data.get("role") else None
        return error_field if error_field in self.fields else None

    def endpoints(self, ci: ConfigurationItem) -> tuple[str, str]:
        other = (self.cleaned_data.get("other") or "").strip()
        return (ci.name, other) if self.cleaned_data["role"] == "source" else (other, ci.name)


class RetireForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
