"""Agent pages that change the CMDB: create and edit a CI (with its class's attribute fields) and retire it.

Thin on purpose: the form shapes input, `cmdb.actions` validates and writes (and audits); errors come back
next to the field they name.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plantdesk.cmdb import actions, queries
from plantdesk.cmdb.choices import Status
from plantdesk.cmdb.forms import CIForm, RelationshipForm, RetireForm
from plantdesk.cmdb.models import CIClass, ConfigurationItem, Relationship
from plantdesk.cmdb.views import detail_context, visible_ci_or_404, visible_relationships
from plantdesk.core.errors import DomainError
from plantdesk.ui.htmx import agents_only, fulfiller_required, redirect_after_post, run_form_action, signed_in_user


def _class_named(name: str | None) -> CIClass | None:
    return queries.ci_classes().get(name or "")


def _render_form(
    request: HttpRequest,
    form: CIForm,
    ci: ConfigurationItem | None,
    status: int = 200,
    retire_form: RetireForm | None = None,
) -> HttpResponse:
    form.fields["ci_class"].widget.attrs.update(
        {"hx-get": reverse("ui:cmdb:attribute-fields"), "hx-target": "#attribute-fields", "hx-trigger": "change"}
    )
    context = {"form": form, "ci": ci, "retire_form": (retire_form or RetireForm()) if ci else None}
    return render(request, "cmdb/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def ci_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "GET":
        chosen = _class_named(request.GET.get("ci_class"))
        initial = {"ci_class": chosen.name} if chosen else {}
        return _render_form(request, CIForm(user=user, ci_class=chosen, initial=initial), None)
    form = CIForm(request.POST, user=user, ci_class=_class_named(request.POST.get("ci_class")))
    created, status = run_form_action(form, lambda: actions.do_create_ci(form.action_data(), actor=user))
    if created is None:
        return _render_form(request, form, None, status or 400)
    return redirect_after_post(request, reverse("ui:cmdb:detail", args=[created.name]))


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def ci_edit(request: HttpRequest, name: str) -> HttpResponse:
    user = signed_in_user(request)
    ci = visible_ci_or_404(user, name)
    if ci.status == Status.RETIRED:  # a retired CI's record is frozen: back to its page, which says so
        return HttpResponseRedirect(reverse("ui:cmdb:detail", args=[ci.name]), status=303)
    if request.method == "GET":
        return _render_form(request, CIForm(user=user, ci_class=ci.ci_class, initial=CIForm.initial_for(ci)), ci)
    form = CIForm(request.POST, user=user, ci_class=_class_named(request.POST.get("ci_class")) or ci.ci_class)
    updated, status = run_form_action(form, lambda: actions.do_update_ci(ci, form.action_data(), actor=user))
    if updated is None:
        return _render_form(request, form, ci, status or 400)
    return redirect_after_post(request, reverse("ui:cmdb:detail", args=[updated.name]))


@require_POST
@fulfiller_required(agents_only)
def ci_retire(request: HttpRequest, name: str) -> HttpResponse:
    user = signed_in_user(request)
    ci = visible_ci_or_404(user, name)
    form = RetireForm(request.POST)
    done, status = run_form_action(form, lambda: actions.do_retire_ci(ci, form.cleaned_data["reason"], actor=user))
    if done is None:
        edit_form = CIForm(user=user, ci_class=ci.ci_class, initial=CIForm.initial_for(ci))
        return _render_form(request, edit_form, ci, status or 400, retire_form=form)
    return redirect_after_post(request, reverse("ui:cmdb:detail", args=[ci.name]))


@require_POST
@fulfiller_required(agents_only)
def ci_relate(request: HttpRequest, name: str) -> HttpResponse:
    user = signed_in_user(request)
    ci = visible_ci_or_404(user, name)
    form = RelationshipForm(request.POST)

    def relate() -> Relationship:
        source, target = form.endpoints(ci)
        return actions.do_create_relationship(source, form.cleaned_data["type"], target, actor=user)

    done, status = run_form_action(form, relate)
    if done is None:
        return render(request, "cmdb/detail.html", detail_context(request, ci, form), status=status or 400)
    return redirect_after_post(request, reverse("ui:cmdb:detail", args=[ci.name]))


@require_POST
@fulfiller_required(agents_only)
def ci_unrelate(request: HttpRequest, name: str, relationship_id: int) -> HttpResponse:
    """Remove one of the page CI's relationships (the action checks the user may change its source)."""
    user = signed_in_user(request)
    ci = visible_ci_or_404(user, name)
    relationship = next((r for r in visible_relationships(user, ci) if r.pk == relationship_id), None)
    if relationship is None:
        raise Http404("No such relationship on this CI.")
    try:
        actions.do_delete_relationship(relationship, actor=user)
    except DomainError as error:
        return render(request, "cmdb/detail.html", detail_context(request, ci, error=error.detail), status=error.status)
    return redirect_after_post(request, reverse("ui:cmdb:detail", args=[ci.name]))


@require_GET
@fulfiller_required(agents_only)
def attribute_fields(request: HttpRequest) -> HttpResponse:
    """The attribute inputs of the class just chosen (the form swaps them in when the class changes)."""
    form = CIForm(user=signed_in_user(request), ci_class=_class_named(request.GET.get("ci_class")))
    return render(request, "cmdb/_attribute_fields.html", {"form": form})
