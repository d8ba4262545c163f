"""Writes to accounts: users (never deleted, never renamed), groups, sites, tokens."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from plantdesk.accounts.choices import SYSTEM_USERNAME, Role
from plantdesk.accounts.models import AssignmentGroup, Site, User
from plantdesk.accounts.tokens import issue_token
from plantdesk.core import audit
from plantdesk.core.errors import FieldError, InvalidInput
from plantdesk.core.fields import Errors, identifier


def get_system_user() -> User:
    """The named account that background jobs act as (audit entries always name an actor)."""
    user, _ = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "PlantDesk", "last_name": "system", "role": Role.ADMIN, "is_active": False},
    )
    return user


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def do_create_user(
    username: str,
    *,
    role: str,
    actor: User,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    sites: Sequence[str] = (),
    groups: Sequence[str] = (),
    is_integration: bool = False,
    manager: str | None = None,
) -> User:
    errors: list[FieldError] = []
    if role not in Role.values:
        errors.append(FieldError("role", f"Unknown role {role!r}; use one of {', '.join(Role.values)}."))
    if User.objects.filter(username=username).exists():
        errors.append(FieldError("username", f"{username!r} exists (user ids are never reused)."))
    site_rows = list(Site.objects.filter(code__in=sites))
    missing_sites = sorted(set(sites) - {s.code for s in site_rows})
    if missing_sites:
        errors.append(FieldError("site", f"Unknown site {missing_sites[0]!r}."))
    group_rows = list(AssignmentGroup.objects.filter(name__in=groups))
    missing_groups = sorted(set(groups) - {g.name for g in group_rows})
    if missing_groups:
        errors.append(FieldError("group", f"Unknown assignment group {missing_groups[0]!r}."))
    manager_row = User.objects.filter(username=manager, is_active=True).first() if manager else None
    if manager and manager_row is None:
        errors.append(FieldError("manager", f"Unknown or deactivated user {manager!r}."))
    user = User(
        username=username, role=role, email=email, first_name=first_name, last_name=last_name,
        is_integration=is_integration, manager=manager_row,
    )  # fmt: skip
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors.append(FieldError("password", " ".join(exc.messages)))
    if errors:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        if site_rows:
            user.time_zone = sorted(site_rows, key=lambda s: s.code)[0].time_zone
        user.save()
        user.sites.set(site_rows)
        user.assignment_groups.set(group_rows)
        audit.record(
            actor=actor, record_type="user", record_id=user.pk, record_label=username, action="created",
            new=f"role={role} sites={','.join(sorted(sites))} groups={','.join(sorted(groups))}"
            + (f" manager={manager}" if manager_row else ""),
        )  # fmt: skip
    return user


def do_set_manager(user: User, manager: User | None, *, actor: User) -> User:
    """Who approves the catalog orders placed for `user` (never the user themself)."""
    if manager is not None and manager.pk == user.pk:
        raise InvalidInput.for_field("manager", "A user cannot be their own manager.")
    if manager is not None and not manager.is_active:
        raise InvalidInput.for_field("manager", f"{manager.username} is deactivated.")
    with audit.action_transaction():
        locked = User.objects.select_for_update().get(pk=user.pk)
        old = locked.manager.username if locked.manager else ""
        new = manager.username if manager else ""
        if old != new:
            locked.manager = manager
            locked.save(update_fields=["manager"])
            audit.record(actor=actor, record_type="user", record_id=locked.pk, record_label=locked.username,
                         action="updated", field="manager", old=old, new=new)  # fmt: skip
    return locked


def do_create_token(user: User, *, actor: User, name: str = "") -> str:
    with audit.action_transaction():
        token = issue_token(user, name=name)
        audit.record(
            actor=actor, record_type="user", record_id=user.pk, record_label=user.username,
            action="token_created", new=token[:10] + "…",
        )  # fmt: skip
    return token


def do_create_site(code: str, name: str, time_zone: str, *, actor: User) -> Site:
    errors = Errors()
    code = identifier(code, "code", errors, max_length=20)
    errors.raise_if_any()
    site = Site(code=code, name=name, time_zone=time_zone)
    try:
        site.full_clean()  # the code is a slug as well
    except ValidationError as exc:
        raise InvalidInput.for_fields([FieldError(f, " ".join(m)) for f, m in exc.message_dict.items()]) from exc
    with audit.action_transaction():
        site.save()
        audit.record(actor=actor, record_type="site", record_id=site.pk, record_label=code, action="created",
                     new=f"{name} ({time_zone})")  # fmt: skip
    return site


def do_create_group(name: str, *, actor: User, description: str = "") -> AssignmentGroup:
    errors = Errors()
    name = identifier(name, "name", errors, max_length=100)
    errors.raise_if_any()
    if AssignmentGroup.objects.filter(name=name).exists():
        raise InvalidInput.for_field("name", f"Assignment group {name!r} exists.")
    with audit.action_transaction():
        group = AssignmentGroup.objects.create(name=name, description=description)
        audit.record(actor=actor, record_type="group", record_id=group.pk, record_label=name, action="created")
    return group
