"""The agent UI for the CMDB: the CI list with filters, and the CI page with its relationships and impact map.

Read-only and thin: every read starts from queries.visible_cis (the permission scope), the impact analysis
is plantdesk.cmdb.impact, and impact_map lays it out as an SVG the template draws.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from plantdesk.accounts.models import Site, User
from plantdesk.accounts.permissions import user_site_ids
from plantdesk.cmdb import impact_map, queries
from plantdesk.cmdb.choices import Status
from plantdesk.cmdb.forms import RelationshipForm
from plantdesk.cmdb.impact import Direction, impact
from plantdesk.cmdb.models import RECORD_TYPE, ConfigurationItem, Relationship
from plantdesk.core import pagination
from plantdesk.core.history import history_for
from plantdesk.core.pagination import Page
from plantdesk.ui.htmx import agents_only, fulfiller_required, is_htmx, signed_in_user, vary_on_htmx
from plantdesk.ui.panels import render_panels
from plantdesk.ui.suggest import render_suggestions, typed_or_none
from plantdesk.ui.zones import use_zone_of

MAP_DEPTH = 6
MAP_LIMIT = 300


# -- list ----------------------------------------------------------------------------------------


class CIFilterForm(forms.Form):
    """The list's query string. Invalid values answer 400 with the message next to the filter."""

    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    ci_class = forms.ChoiceField(required=False, label=_("Class"))
    site = forms.ChoiceField(label=_("Site"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices])
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=100_000)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        classes = sorted(queries.ci_classes().values(), key=lambda c: c.label.lower())
        sites = Site.objects.filter(pk__in=user_site_ids(user)).order_by("code")
        class_field, site_field = self.fields["ci_class"], self.fields["site"]
        assert isinstance(class_field, forms.ChoiceField) and isinstance(site_field, forms.ChoiceField)
        class_field.choices = [("", _("Any class")), *((c.name, c.label) for c in classes)]
        site_field.choices = [("", _("Any site")), *((s.code, s.name) for s in sites)]

    def error_messages(self) -> list[str]:
        """Every message with its field's label, for above the results (an HTMX swap re-renders only those)."""
        return [
            f"{self.fields[name].label}: {message}" if name in self.fields else str(message)
            for name, messages in self.errors.items()
            for message in messages
        ]

    def filters(self) -> queries.CIFilters:
        data = self.cleaned_data
        return queries.CIFilters(
            ci_class=data.get("ci_class") or None,
            site=data.get("site") or None,
            status=data.get("status") or None,
            q=(data.get("q") or "").strip() or None,
        )


def paginate(qs: Any, page: int) -> Page[ConfigurationItem]:
    return pagination.paginate(qs.order_by("name", "pk"), page)


@require_GET
@fulfiller_required(agents_only)
def ci_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = CIFilterForm(request.GET, user=user)
    page: Page | None = None
    status = 200
    if form.is_valid():
        qs = queries.filter_cis(queries.visible_cis(user), form.filters())
        page = paginate(qs, form.cleaned_data.get("page") or 1)
    else:
        status = 400
    partial = is_htmx(request) and request.headers.get("HX-Target") == "ci-results"
    template = "cmdb/_list_results.html" if partial else "cmdb/list.html"
    return vary_on_htmx(render(request, template, {"form": form, "page": page}, status=status))


@require_GET
@login_required
def suggest(request: HttpRequest) -> HttpResponse:
    """A CI picker's options: visible, not retired, name or alias starting with what was typed."""
    typed = typed_or_none(request)
    if typed is None:
        return HttpResponse("")
    return render_suggestions(request, queries.suggest_cis(signed_in_user(request), typed))


# -- CI page -------------------------------------------------------------------------------------


def visible_ci_or_404(user: User, name: str) -> ConfigurationItem:
    ci = queries.visible_cis(user).select_related("owner").prefetch_related("aliases").filter(name=name).first()
    if ci is None:
        raise Http404(f"CI {name} not found.")
    return ci


def visible_relationships(user: User, ci: ConfigurationItem) -> list[Relationship]:
    """Both directions, limited to CIs the user may see (as the API's /relationships)."""
    visible = queries.visible_cis(user).values("pk")
    return list(queries.relationships_of(ci).filter(source__in=visible, target__in=visible))


def attribute_rows(ci: ConfigurationItem) -> list[tuple[str, Any]]:
    schema = ci.ci_class.attribute_schema or {}
    rows = []
    for key, value in sorted(ci.attributes.items()):
        label = (schema.get(key) or {}).get("label") or key.replace("_", " ").capitalize()
        rows.append((label, value))
    return rows


@require_GET
@fulfiller_required(agents_only)
def ci_detail(request: HttpRequest, name: str) -> HttpResponse:
    ci = visible_ci_or_404(signed_in_user(request), name)
    return render(request, "cmdb/detail.html", detail_context(request, ci))


def detail_context(
    request: HttpRequest,
    ci: ConfigurationItem,
    relationship_form: RelationshipForm | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    user = signed_in_user(request)
    use_zone_of(ci.site)
    direction: Direction = "upstream" if request.GET.get("direction") == "upstream" else "downstream"
    result = impact(ci, direction, depth=MAP_DEPTH, limit=MAP_LIMIT)
    names = [item.name for item in result.items]
    # Names of other sites' CIs are shown (as by the API's impact analysis) but not linked: their page is a 404.
    linkable = {ci.name, *queries.visible_cis(user).filter(name__in=names).values_list("name", flat=True)}
    classes = queries.ci_classes()

    def class_label(name: str) -> str:
        return classes[name].label if name in classes else name

    tab = "history" if request.GET.get("tab") == "history" else "overview"
    return {
        "ci": ci,
        "error": error,
        "tab": tab,
        "history": history_for(RECORD_TYPE, ci.pk, include_internal=True) if tab == "history" else [],
        "aliases": sorted(a.value for a in ci.aliases.all()),
        "attributes": attribute_rows(ci),
        "relationships": visible_relationships(user, ci),
        "relationship_form": relationship_form or RelationshipForm(),
        "direction": direction,
        "result": result,
        "lines": result.of_class("line"),
        "services": result.of_class("business_service"),
        "linkable": linkable,
        "map": impact_map.layout(result, linkable=linkable, class_label=class_label),
        "depth": MAP_DEPTH,
        "limit": MAP_LIMIT,
        "panels": render_panels("ci_detail", request, user, ci) if tab == "overview" else [],
    }
