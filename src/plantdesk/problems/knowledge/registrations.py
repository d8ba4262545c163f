"""The suggestions panel on the incident forms (the incidents app renders the slots, never imports us)."""

from __future__ import annotations

from typing import Any

from plantdesk.problems.knowledge.choices import Audience, State
from plantdesk.problems.knowledge.models import RECORD_TYPE
from plantdesk.ui import labels
from plantdesk.ui.panels import register_panel


def _no_context(user: Any, record: Any) -> dict[str, Any]:
    return {}


def register() -> None:
    for page in ("incident_form", "portal_incident_form"):
        register_panel(page, "knowledge_suggestions", template="knowledge/_suggest_panel.html", context=_no_context)
    # The article's history reads its states and audience as the pages name them.
    labels.register_state_labels(RECORD_TYPE, dict(State.choices))
    labels.register_value_labels("audience", dict(Audience.choices))
