"""pytest fixtures shared by every app's tests: a small plant built through the real actions."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from plantdesk.accounts.actions import (
    do_create_group,
    do_create_site,
    do_create_token,
    do_create_user,
    get_system_user,
)
from plantdesk.accounts.models import User
from plantdesk.cmdb.actions import do_create_ci
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.domain_events import Event, register_consumer, unregister_consumer
from plantdesk.incidents.actions import do_create_incident
from plantdesk.incidents.models import Incident

PASSWORD = "correct horse battery staple"


@dataclass
class Plant:
    """Two sites, the demo groups, and one person per role (agents are site-scoped)."""

    system: User
    admin: User
    agent: User  # Berlin, Service Desk + MES Support
    ot_agent: User  # Berlin, OT Engineering
    agent_sin: User  # Singapore, Service Desk + Network
    manager: User  # both sites
    qa: User
    requester: User  # Berlin
    requester2: User  # Berlin, another caller
    requester_sin: User  # Singapore


def build_plant() -> Plant:
    system = get_system_user()
    do_create_site("ber", "Berlin plant", "Europe/Berlin", actor=system)
    do_create_site("sin", "Singapore plant", "Asia/Singapore", actor=system)
    for name in ("Service Desk", "MES Support", "Network", "OT Engineering", "QA"):
        do_create_group(name, actor=system)

    def user(username: str, role: str, sites: list[str], groups: list[str], first: str = "", last: str = "") -> User:
        return do_create_user(
            username, role=role, actor=system, password=PASSWORD, sites=sites, groups=groups,
            first_name=first or username.capitalize(), last_name=last or "Tester",
        )  # fmt: skip

    return Plant(
        system=system,
        admin=user("admin", "admin", ["ber", "sin"], []),
        agent=user("alice", "agent", ["ber"], ["Service Desk", "MES Support"], "Alice", "Agent"),
        ot_agent=user("otto", "agent", ["ber"], ["OT Engineering"]),
        agent_sin=user("siti", "agent", ["sin"], ["Service Desk", "Network"]),
        manager=user("maria", "manager", ["ber", "sin"], ["Service Desk", "MES Support"]),
        qa=user("quinn", "qa", ["ber", "sin"], ["QA"]),
        requester=user("rita", "requester", ["ber"], [], "Rita", "Requester"),
        requester2=user("rob", "requester", ["ber"], []),
        requester_sin=user("sam", "requester", ["sin"], []),
    )


@pytest.fixture
def plant(db: Any) -> Plant:
    return build_plant()


class ApiClient:
    """Django's test client speaking JSON with a real bearer token of `user`."""

    def __init__(self, user: User | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            token = do_create_token(user, actor=get_system_user())
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | None = None) -> Any:
        data = raw if raw is not None else _json(body)
        return self.client.post(f"/api/v1{path}", data, content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.client.patch(f"/api/v1{path}", _json(body), content_type="application/json", headers=self.headers)

    def put(self, path: str, body: Any = None) -> Any:
        return self.client.put(f"/api/v1{path}", _json(body), content_type="application/json", headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers)


def _json(body: Any) -> str:
    import json

    return json.dumps(body if body is not None else {})


# The CIs incident tests refer to: (name, class, site, support group).
PLANT_CIS = [
    ("BER-MES-APP01", "application", "ber", "MES Support"),
    ("BER-HIST01", "historian", "ber", "OT Engineering"),
    ("BER-L3-PLC01", "plc", "ber", ""),
    ("BER-OTGW01", "ot_gateway", "ber", "OT Engineering"),
    ("SIN-MES-APP01", "application", "sin", "MES Support"),
]


@pytest.fixture
def plant_cis(plant: Plant) -> dict[str, ConfigurationItem]:
    """A handful of CMDB items on top of `plant`, by name."""
    cis = {}
    for name, ci_class, site, group in PLANT_CIS:
        fields = {"name": name, "ci_class": ci_class, "site": site} | ({"support_group": group} if group else {})
        cis[name] = do_create_ci(fields, actor=plant.admin)
    return cis


def client_for(user: User) -> Client:
    """A browser session of `user` for the server-rendered pages."""
    client = Client()
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


_OPTION = re.compile(
    r'data-value="([^"]*)"[^>]*><span class="typeahead-value">[^<]*</span>'
    r'(?: <span class="typeahead-detail">([^<]*)</span>)?'
)


def suggestions(response: Any) -> dict[str, str]:
    """A picker's options (ui/_suggestions.html) as value -> what else is shown to pick it."""
    return {html.unescape(value): html.unescape(detail or "") for value, detail in _OPTION.findall(text(response))}


AGENTS_ONLY = "This page is for the service desk"


def refused_as_agents_only(response: Any) -> bool:
    """A requester on an agent page: the 403 page inside the layout, saying who may and whom to ask."""
    page = text(response)
    return response.status_code == 403 and AGENTS_ONLY in page and "ask the service desk" in page and "topbar" in page


def make_incident(actor: User, **fields: Any) -> Incident:
    data: dict[str, Any] = {"short_description": "Line 3 MES batch screen frozen", "impact": 2, "urgency": 2}
    data.update(fields)
    return do_create_incident(data, actor=actor)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """In-process tests hash many passwords; the real hasher stays in force for the live-server tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_config_cache() -> None:
    """Each test starts from the database's configuration, not one cached by an earlier test."""
    from plantdesk.core.config_cache import clear_all

    clear_all()


@contextmanager
def subscribed(name: str, events: list[str], *, fail: Callable[[Event], bool] | None = None,
               isolated: bool = True, max_attempts: int | None = None) -> Iterator[list[Event]]:  # fmt: skip
    """A consumer registered for the `with` block that collects what it is handed (and raises where `fail`
    says so): the real outbox and dispatcher, observed from outside."""
    seen: list[Event] = []

    def handle(event: Event) -> None:
        if fail is not None and fail(event):
            raise RuntimeError(f"consumer {name} refuses event {event.id}")
        seen.append(event)

    register_consumer(name, events=events, handle=handle, isolated=isolated, max_attempts=max_attempts)
    try:
        yield seen
    finally:
        unregister_consumer(name)
