"""The real server process: CLI commands, concurrent creates over HTTP, the audit chain on demo data."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx

from plantdesk.testing.live import LiveServer


def test_demo_data_passes_audit_verify(server: LiveServer) -> None:
    result = server.cli("audit", "verify")
    assert result.returncode == 0
    assert re.search(r"audit chain intact: \d+ entries verified", result.stdout)


def test_user_add_generates_a_password_that_logs_in_and_token_create_prints_one_line(
    server: LiveServer,
) -> None:
    added = server.cli("user", "add", "nina", "--role", "agent", "--site", "ber", "--group", "MES Support")
    password = re.search(r"password: (\S+)", added.stdout)
    assert password, added.stdout
    token_out = server.cli("token", "create", "nina").stdout
    assert len(token_out.splitlines()) == 1
    token = token_out.strip()
    me = httpx.get(
        f"{server.base_url}/api/v1/incidents", params={"limit": 1},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert me.status_code == 200
    with httpx.Client(base_url=server.base_url) as client:
        client.get("/login/")
        response = client.post(
            "/login/",
            data={"username": "nina", "password": password.group(1),
                  "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        )  # fmt: skip
        assert response.status_code == 302


def test_user_add_refuses_an_unknown_role_and_reused_username(server: LiveServer) -> None:
    bad_role = server.cli("user", "add", "zed", "--role", "wizard", check=False)
    assert bad_role.returncode != 0
    reused = server.cli("user", "add", "jdoe", "--role", "agent", check=False)
    assert reused.returncode != 0
    assert "never reused" in reused.stderr


def test_concurrent_creates_get_distinct_consecutive_numbers(server: LiveServer) -> None:
    token = server.token_for("mmueller")
    headers = {"Authorization": f"Bearer {token}"}

    def create(i: int) -> str:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
            response = client.post("/api/v1/incidents", json={"short_description": f"Concurrent {i}"})
            assert response.status_code == 201, response.text
            return str(response.json()["number"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(40)))
    values = sorted(int(n[3:]) for n in numbers)
    assert len(set(values)) == 40
    assert values == list(range(values[0], values[0] + 40))
    assert server.cli("audit", "verify").returncode == 0


def test_demo_cmdb_answers_which_lines_stop_when_the_core_switch_fails(server: LiveServer) -> None:
    token = server.token_for("mmueller")
    response = httpx.get(
        f"{server.base_url}/api/v1/cis/BER-SW-CORE1/impact", params={"direction": "downstream"},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["lines"] == ["BER-L1", "BER-L2", "BER-L3", "BER-L4"]
    assert "SVC-BER-BATCH" in body["services"]
    assert not any(name.startswith("SIN-") for name in (i["name"] for i in body["items"]))
