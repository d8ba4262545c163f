from django.apps import AppConfig


class SlasConfig(AppConfig):
    name = "plantdesk.slas"
    label = "slas"
    verbose_name = "Service levels"

    def ready(self) -> None:
        from plantdesk.core.config_cache import clear_on_change
        from plantdesk.slas.models import LocationSchedule, Schedule, SLADefinition

        clear_on_change(Schedule, SLADefinition, LocationSchedule)
        _register_labels()


def _register_labels() -> None:
    from django.utils.translation import gettext_lazy as _

    from plantdesk.slas.models import CLOCK_RECORD_TYPE, CLOCK_STATE_LABELS
    from plantdesk.ui import labels

    labels.register_state_labels(CLOCK_RECORD_TYPE, CLOCK_STATE_LABELS)
    # A clock's entries: field `sla:<definition>`, value its outcome or the hold reason that paused it.
    labels.register_field_prefix("sla:", "", value_fields=("hold_reason",))
    labels.register_value_labels("sla:", {
        "achieved": _("Achieved"), "breached": _("Breached"), "reopened": _("Reopened"),
        "no longer applies": _("No longer applies"), "breached; no longer applies": _("Breached; no longer applies"),
        "due when resumed": _("Due when resumed"),
    })  # fmt: skip
    labels.register_action_labels({
        "sla_started": _("SLA started"), "sla_paused": _("SLA paused"), "sla_resumed": _("SLA resumed"),
        "sla_stopped": _("SLA stopped"), "sla_canceled": _("SLA canceled"),
    })  # fmt: skip
