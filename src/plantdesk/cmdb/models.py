"""Configuration items, their classes, aliases and typed relationships."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plantdesk.accounts.models import AssignmentGroup, Site
from plantdesk.cmdb.choices import ClassFamily, Criticality, GampCategory, ImpactDirection, Status, ValidationStatus

RECORD_TYPE = "ci"


class CIClass(models.Model):
    """A class of the catalog with the schema of its class-specific attributes.

    `attribute_schema`: {"name": {"type": "string|integer|number|boolean|choice", "choices": [...],
    "required": bool, "label": "..."}}. Class names are stable (CONTRACT.md section 4).
    """

    name = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    family = models.CharField(max_length=20, choices=ClassFamily.choices)
    attribute_schema = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["family", "name"]
        verbose_name = "CI class"
        verbose_name_plural = "CI classes"

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name


class ConfigurationItem(models.Model):
    name = models.CharField(max_length=255)
    ci_class = models.ForeignKey(CIClass, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_SERVICE)
    criticality = models.CharField(max_length=20, choices=Criticality.choices, default=Criticality.MEDIUM)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    support_group = models.ForeignKey(
        AssignmentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    description = models.TextField(blank=True, max_length=5000)
    attributes = models.JSONField(default=dict, blank=True)

    # GxP (DOMAIN.md section 5)
    gxp_relevant = models.BooleanField(default=False)
    gamp_category = models.PositiveSmallIntegerField(choices=GampCategory.choices, null=True, blank=True)
    validation_status = models.CharField(max_length=20, choices=ValidationStatus.choices, blank=True)
    part11_applicable = models.BooleanField(default=False)
    system_owner = models.CharField(max_length=150, blank=True)
    process_owner = models.CharField(max_length=150, blank=True)
    qa_owner = models.CharField(max_length=150, blank=True)
    last_periodic_review = models.DateField(null=True, blank=True)
    next_periodic_review = models.DateField(null=True, blank=True)

    # IEC 62443
    security_zone = models.CharField(max_length=80, blank=True)
    conduit = models.CharField(max_length=80, blank=True)
    security_level_target = models.PositiveSmallIntegerField(null=True, blank=True)
    security_level_achieved = models.PositiveSmallIntegerField(null=True, blank=True)
    purdue_level = models.CharField(max_length=8, blank=True)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    retire_reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name"], name="ci_name_unique")]
        indexes = [models.Index(fields=["ci_class", "status"], name="ci_class_status_idx")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name


class CIAlias(models.Model):
    """Another name a system uses for a CI: hostname, IP, Sparkplug group/node[/device], OPC UA node id."""

    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="aliases")
    value = models.CharField(max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["value"], name="ci_alias_unique")]

    def __str__(self) -> str:
        return self.value


class RelationshipType(models.Model):
    """A relationship type and which way failures travel along it; empty class lists allow any class."""

    name = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    impact = models.CharField(max_length=20, choices=ImpactDirection.choices)
    source_classes = models.JSONField(default=list, blank=True)
    target_classes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Relationship(models.Model):
    # No single-column indexes: relationship_unique starts with source and rel_target_cover with target,
    # and each extra index on 5M rows is paid on every import.
    source = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="outgoing", db_index=False)
    type = models.ForeignKey(RelationshipType, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="incoming", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "type", "target"], name="relationship_unique"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="relationship_not_self"),
        ]
        # Covering for the impact walk toward sources (index-only scans); the walk toward targets is
        # covered by relationship_unique (source, type, target).
        indexes = [models.Index(fields=["target", "type", "source"], name="rel_target_cover")]

    def __str__(self) -> str:
        return f"{self.source_id} -{self.type_id}-> {self.target_id}"
