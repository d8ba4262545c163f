"""What the incidents app plugs into the layers below it (called once from `IncidentsConfig.ready()`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.models import User
from plantdesk.core.choices import is_active_option
from plantdesk.core.domain_events import register_consumer
from plantdesk.incidents import reactions
from plantdesk.incidents.choices import CATEGORY_SET, OPEN_STATES, RESOLUTION_CODE_SET, HoldReason, Source, State
from plantdesk.incidents.models import RECORD_TYPE, Incident
from plantdesk.incidents.queries import open_incidents_on_ci
from plantdesk.incidents.tables import QUEUE_COLUMNS, QUEUE_DEFAULT_COLUMNS, QUEUE_OPTIONAL_COLUMNS
from plantdesk.slas import measured
from plantdesk.slas.definitions import standard_conditions
from plantdesk.slas.jobs import SLA_BREACHED
from plantdesk.ui import columns, labels, lookups, panels

FIELD_LABELS = {
    "short_description": _("Short description"),
    "description": _("Description"),
    "impact": _("Impact"),
    "urgency": _("Urgency"),
    "priority": _("Priority"),
    "category": _("Category"),
    "ci": _("Configuration item"),
    "site": _("Site"),
    "source": _("Source"),
    "caller": _("Caller"),
    "assignment_group": _("Assignment group"),
    "assignee": _("Assignee"),
    "hold_reason": _("Hold reason"),
    "resolution_code": _("Resolution code"),
    "resolution_notes": _("Resolution notes"),
    "cancel_reason": _("Cancel reason"),
    "parent": _("Parent incident"),
    "major_incident": _("Major incident"),
    "major_incident_owner": _("Major incident owner"),
    "time_worked_minutes": _("Time worked (minutes)"),
}


def _ci_incidents(user: User, ci: Any) -> dict[str, Any]:
    return {"open_incidents": open_incidents_on_ci(user, ci)}


def _measured() -> measured.MeasuredType:
    """Incidents as the SLA engine measures them: what runs a clock, meets it, pauses it, selects it."""
    fields = {
        "priority": measured.Condition(lambda i: i.priority, measured.whole_numbers(1, 5)),
        "impact": measured.Condition(lambda i: i.impact, measured.whole_numbers(1, 3)),
        "urgency": measured.Condition(lambda i: i.urgency, measured.whole_numbers(1, 3)),
        "category": measured.Condition(
            lambda i: i.category, measured.names(lambda v: is_active_option(CATEGORY_SET, v))
        ),
        "major_incident": measured.Condition(lambda i: i.major_incident, measured.booleans),
        "source": measured.Condition(lambda i: i.source, measured.names(lambda v: v in Source.values)),
    }
    return measured.MeasuredType(
        record_type=RECORD_TYPE, model=Incident, open_states=frozenset(OPEN_STATES),
        done_states=frozenset({State.RESOLVED, State.CLOSED}), canceled_states=frozenset({State.CANCELED}),
        on_hold_state=State.ON_HOLD, hold_reasons=lambda: list(HoldReason.values),
        conditions={**fields, **standard_conditions()},
    )  # fmt: skip


def register() -> None:
    measured.register_measured(_measured())
    register_consumer(
        reactions.SLA_BREACH_ACTIONS, events=[SLA_BREACHED], record_types=[RECORD_TYPE],
        handle=reactions.run_sla_breach_actions,
    )  # fmt: skip
    panels.register_panel("ci_detail", "incidents", template="incidents/panels/ci_incidents.html",
                          context=_ci_incidents, order=10)  # fmt: skip
    columns.register_columns(QUEUE_COLUMNS, QUEUE_OPTIONAL_COLUMNS, default=QUEUE_DEFAULT_COLUMNS)
    labels.register_field_labels(FIELD_LABELS)
    labels.register_state_labels(RECORD_TYPE, dict(State.choices))
    labels.register_value_labels("hold_reason", dict(HoldReason.choices))
    labels.register_value_labels("source", dict(Source.choices))
    labels.register_value_labels("major_incident", labels.YES_NO)
    labels.register_value_lookup("category", lookups.option_labels(CATEGORY_SET))
    labels.register_value_lookup("resolution_code", lookups.option_labels(RESOLUTION_CODE_SET))
