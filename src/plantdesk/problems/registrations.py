"""What the problems app plugs into the layers below it (called once from `ProblemsConfig.ready()`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from plantdesk.core.domain_events import register_consumer
from plantdesk.incidents.choices import RESOLUTION_CODE_SET as INCIDENT_CODES
from plantdesk.incidents.serializers import register_related_field
from plantdesk.problems import queries, reactions
from plantdesk.problems.choices import RESOLUTION_CODE_SET, CapaDecision, State
from plantdesk.problems.models import RECORD_TYPE
from plantdesk.ui import labels, lookups, panels

FIELD_LABELS = {
    "cause_notes": _("Cause notes"),
    "gxp_relevant": _("GxP relevant"),
    "fix_change": _("Fix change"),
    "capa_decision": _("CAPA decision"),
    "capa_rationale": _("CAPA rationale"),
    "incidents": _("Linked incidents"),
    "problem": _("Problem"),
    "symptom": _("Symptom"),
    "root_cause": _("Root cause"),
    "workaround": _("Workaround"),
    "workaround_version": _("Workaround version"),
    "vendor": _("Vendor"),
    "product_model": _("Model"),
    "affected_version": _("Affected version"),
    "cis": _("Affected CIs"),
}


def register() -> None:
    register_consumer(
        reactions.FIX_CHANGE_CLOSED, events=["change.state_changed"], record_types=["change"],
        handle=reactions.resolve_fixed_problems,
    )  # fmt: skip
    register_related_field("problem", queries.problems_of_incidents)
    labels.register_field_labels(FIELD_LABELS)
    labels.register_state_labels(RECORD_TYPE, dict(State.choices))
    labels.register_value_labels("capa_decision", dict(CapaDecision.choices))
    labels.register_value_labels("gxp_relevant", labels.YES_NO)
    # Incidents and problems both have a `resolution_code`; each record's value is in one of the two sets.
    labels.register_value_lookup("resolution_code", lookups.option_labels(INCIDENT_CODES, RESOLUTION_CODE_SET))
    # The incident page's problem panel: the linked problem and its workaround, or link / create one.
    from plantdesk.problems import incident_views

    panels.register_panel("incident_detail", "problem", template=incident_views.PANEL_TEMPLATE,
                          context=incident_views.incident_problem_panel, order=20)  # fmt: skip
    # The change page lists the problems the change fixes (problems sit above changes: a panel, no import).
    panels.register_panel("change_detail", "fixed_problems", template="problems/panels/change_problems.html",
                          context=lambda user, change: {"problems": queries.fixed_by(user, change)})  # fmt: skip
    # History reads "<action>: <field>" ("Added: Linked incidents  INC0001010").
    labels.register_action_labels({
        "incident_linked": _("Added"), "incident_unlinked": _("Removed"), "incidents_resolved": _("Resolved"),
        "known_error": _("Known error"), "workaround_published": _("Published"), "problem_linked": _("Linked"),
        "problem_unlinked": _("Unlinked"),
    })  # fmt: skip
    from plantdesk.problems.knowledge import registrations as knowledge

    knowledge.register()
