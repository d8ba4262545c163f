"""What the CMDB plugs into the kernel (called once from `CmdbConfig.ready()`)."""

from __future__ import annotations

from plantdesk.cmdb.choices import Criticality, Status, ValidationStatus
from plantdesk.ui import labels

FIELD_LABELS = {
    "ci_class": "Class",
    "gxp_relevant": "GxP relevant",
    "gamp_category": "GAMP category",
    "part11_applicable": "Part 11 applicable",
    "qa_owner": "QA owner",
    "security_level_target": "Security level, target",
    "security_level_achieved": "Security level, achieved",
    "security_zone": "Security zone (IEC 62443)",
}


def register() -> None:
    labels.register_field_labels(FIELD_LABELS)
    labels.register_value_labels("status", dict(Status.choices))
    labels.register_value_labels("criticality", dict(Criticality.choices))
    labels.register_value_labels("validation_status", dict(ValidationStatus.choices))
    labels.register_value_labels("gxp_relevant", labels.YES_NO)
    labels.register_value_labels("part11_applicable", labels.YES_NO)
