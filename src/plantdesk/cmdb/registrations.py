"""What the CMDB plugs into the kernel (called once from `CmdbConfig.ready()`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils.translation import gettext_lazy as _

from plantdesk.cmdb.choices import Criticality, Status, ValidationStatus
from plantdesk.cmdb.models import CIClass, RelationshipType
from plantdesk.ui import labels

FIELD_LABELS = {
    "ci_class": _("Class"),
    "gxp_relevant": _("GxP relevant"),
    "gamp_category": _("GAMP category"),
    "part11_applicable": _("Part 11 applicable"),
    "qa_owner": _("QA owner"),
    "security_level_target": _("Security level, target"),
    "security_level_achieved": _("Security level, achieved"),
    "security_zone": _("Security zone (IEC 62443)"),
}


def _class_labels(names: Iterable[str]) -> Mapping[str, str]:
    return dict(CIClass.objects.filter(name__in=set(names)).values_list("name", "label"))


def _relationship_labels(sentences: Iterable[str]) -> Mapping[str, str]:
    """The type inside "BER-L3-HMI01 depends_on BER-L3-PLC01": the types are a short table, read whole."""
    del sentences
    return dict(RelationshipType.objects.values_list("name", "label"))


def register() -> None:
    labels.register_field_labels(FIELD_LABELS)
    labels.register_action_labels(
        {"relationship_added": _("Relationship added"), "relationship_removed": _("Relationship removed")}
    )
    labels.register_value_lookup("ci_class", _class_labels)
    labels.register_value_lookup("relationship", _relationship_labels)
    labels.register_value_labels("status", dict(Status.choices))
    labels.register_value_labels("criticality", dict(Criticality.choices))
    labels.register_value_labels("validation_status", dict(ValidationStatus.choices))
    labels.register_value_labels("gxp_relevant", labels.YES_NO)
    labels.register_value_labels("part11_applicable", labels.YES_NO)
