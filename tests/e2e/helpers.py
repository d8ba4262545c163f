"""Set-up through the public API, so each browser test creates the records it works on."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from plantdesk.testing.live import LiveServer


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def api(server: LiveServer, username: str, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {server.token_for(username)}"}
    response = httpx.request(method, f"{server.base_url}/api/v1{path}", json=body, headers=headers, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


def create_incident(server: LiveServer, username: str, **fields: Any) -> dict[str, Any]:
    body = {"impact": 2, "urgency": 2, **fields}
    return dict(api(server, username, "POST", "/incidents", body))
