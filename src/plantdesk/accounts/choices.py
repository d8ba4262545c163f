from django.db import models


class Role(models.TextChoices):
    REQUESTER = "requester", "Requester"
    AGENT = "agent", "Agent"
    MANAGER = "manager", "Manager"
    CHANGE_MANAGER = "change_manager", "Change manager"
    QA = "qa", "Quality assurance"
    ADMIN = "admin", "Administrator"


# Roles that work records (queues, assignment, transitions) rather than only raise them.
FULFILLER_ROLES = frozenset({Role.AGENT, Role.MANAGER, Role.CHANGE_MANAGER, Role.QA, Role.ADMIN})


# The named account background jobs and the CLI act as. It cannot sign in (inactive), yet it reads and
# changes everything, as an administrator would.
SYSTEM_USERNAME = "system"
