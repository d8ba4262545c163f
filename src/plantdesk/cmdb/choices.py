"""CMDB enumerations with stable string values."""

from django.db import models


class Status(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_SERVICE = "in_service", "In service"
    MAINTENANCE = "maintenance", "In maintenance"
    RETIRED = "retired", "Retired"


class Criticality(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ValidationStatus(models.TextChoices):
    VALIDATED = "validated", "Validated"
    PENDING = "pending", "Validation pending"
    NOT_VALIDATED = "not_validated", "Not validated"
    RETIRED = "retired", "Retired"


class GampCategory(models.IntegerChoices):
    INFRASTRUCTURE = 1, "1 - Infrastructure software"
    NON_CONFIGURED = 3, "3 - Non-configured product"
    CONFIGURED = 4, "4 - Configured product"
    CUSTOM = 5, "5 - Custom application"


class ImpactDirection(models.TextChoices):
    """Which way a failure travels along a relationship (source -type-> target)."""

    TARGET_TO_SOURCE = "target_to_source", "A failure of the target impacts the source"
    SOURCE_TO_TARGET = "source_to_target", "A failure of the source impacts the target"
    BOTH = "both", "A failure of either impacts the other"
    NONE = "none", "No impact"


class ClassFamily(models.TextChoices):
    LOCATION = "location", "ISA-95 location"
    IT = "it", "IT"
    OT = "ot", "OT"
    SERVICE = "service", "Business service"
