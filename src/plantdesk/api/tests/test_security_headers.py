"""The Content-Security-Policy every page and the API docs are served under, the docs page's way back to the
application, and the TLS switch (PLANTDESK_SECURE_COOKIES) as a deployment would set it."""

from __future__ import annotations

import os
import subprocess
import sys

from django.test import Client

from plantdesk.testing.fixtures import Plant, client_for, text


def _policy(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def test_pages_send_a_policy_without_unsafe_inline(plant: Plant) -> None:
    for response in (Client().get("/login/"), client_for(plant.agent).get("/incidents/")):
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert policy["frame-ancestors"] == ["'none'"]


def test_the_api_docs_link_back_to_the_application_under_the_same_policy(plant: Plant) -> None:
    response = client_for(plant.agent).get("/api/v1/docs")
    assert response.status_code == 200
    assert '<a class="docs-back" href="/">← Back to PlantDesk</a>' in text(response)
    assert "<style" not in text(response) and " style=" not in text(response)
    assert _policy(response)["script-src"] == ["'self'"]


def _settings_with(**env: str) -> str:
    """The TLS settings as a fresh process with this environment reads them (settings are read at start)."""
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "getattr(settings, 'SECURE_HSTS_SECONDS', 0), getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "plantdesk.settings", **env}
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def test_the_tls_switch_is_off_by_default_and_turns_everything_on_together() -> None:
    assert _settings_with(PLANTDESK_SECURE_COOKIES="false") == "False False 0 None"
    on = _settings_with(PLANTDESK_SECURE_COOKIES="true")
    assert on == "True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')"
