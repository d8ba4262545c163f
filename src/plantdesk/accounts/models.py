"""People, sites, assignment groups and API tokens."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from plantdesk.accounts.choices import FULFILLER_ROLES, DateStyle, Language, Role


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown IANA time zone {value!r}.")


class Site(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.code


class AssignmentGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name


class User(AbstractUser):
    """A person or a named integration account. Usernames are never reused: users are deactivated."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REQUESTER)
    sites = models.ManyToManyField(Site, blank=True, related_name="members")
    assignment_groups = models.ManyToManyField(AssignmentGroup, blank=True, related_name="members")
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    is_integration = models.BooleanField(default=False)
    # The person's own settings page sets these; blank follows the browser's language and that language's dates.
    language = models.CharField(max_length=10, blank=True, choices=Language.choices)
    date_format = models.CharField(max_length=10, blank=True, choices=DateStyle.choices)
    # Who approves what this person orders from the catalog (an approval step `manager`).
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reports", db_index=False
    )

    class Meta:
        ordering = ["username"]

    @property
    def printed_name(self) -> str:
        full = self.get_full_name()
        return full or self.username

    @property
    def audit_label(self) -> str:
        return self.username

    @property
    def display_time_zone(self) -> str:
        return self.time_zone or settings.TIME_ZONE

    @property
    def is_fulfiller(self) -> bool:
        return self.role in FULFILLER_ROLES

    @property
    def is_plantdesk_admin(self) -> bool:
        return self.role == Role.ADMIN


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class LoginFailure(models.Model):
    """One failed password check; recent ones lock the account for a while (brute-force throttling)."""

    username = models.CharField(max_length=150, db_index=True)
    at = models.DateTimeField(auto_now_add=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"], name="login_failure_recent_idx")]

    def __str__(self) -> str:
        return f"{self.username} at {self.at}"
