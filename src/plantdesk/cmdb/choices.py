"""CMDB enumerations with stable string values."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_SERVICE = "in_service", _("In service")
    MAINTENANCE = "maintenance", _("In maintenance")
    RETIRED = "retired", _("Retired")


class Criticality(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class ValidationStatus(models.TextChoices):
    VALIDATED = "validated", _("Validated")
    PENDING = "pending", _("Validation pending")
    NOT_VALIDATED = "not_validated", _("Not validated")
    RETIRED = "retired", _("Retired")


class GampCategory(models.IntegerChoices):
    INFRASTRUCTURE = 1, _("1 - Infrastructure software")
    NON_CONFIGURED = 3, _("3 - Non-configured product")
    CONFIGURED = 4, _("4 - Configured product")
    CUSTOM = 5, _("5 - Custom application")


class ImpactDirection(models.TextChoices):
    """Which way a failure travels along a relationship (source -type-> target)."""

    TARGET_TO_SOURCE = "target_to_source", _("A failure of the target impacts the source")
    SOURCE_TO_TARGET = "source_to_target", _("A failure of the source impacts the target")
    BOTH = "both", _("A failure of either impacts the other")
    NONE = "none", _("No impact")


class ClassFamily(models.TextChoices):
    LOCATION = "location", _("ISA-95 location")
    IT = "it", _("IT")
    OT = "ot", _("OT")
    SERVICE = "service", _("Business service")
