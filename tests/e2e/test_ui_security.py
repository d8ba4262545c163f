"""Locked means locked, in a real browser and over real HTTP: no page of the application (nor the API docs)
breaks the Content-Security-Policy, and PLANTDESK_SECURE_COOKIES makes the cookies Secure and sends HSTS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer, live_plantdesk
from tests.e2e.conftest import login

# Every violation is reported to the page as an event, whether or not the browser also logs it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watch:
    """What a page logs as a CSP violation or an uncaught error while the test walks through it."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"console on {self.page.url}: {message.text} at {message.location}")

    def visit(self, path: str, ready: str) -> None:
        """Open `path`, wait until `ready` (a selector) shows and the page is quiet, then collect violations."""
        response = self.page.goto(path)
        assert response is not None and response.status == 200, path
        expect(self.page.locator(ready).first).to_be_visible()
        self.page.wait_for_load_state("networkidle")
        self.problems += [f"{path}: {v}" for v in self.page.evaluate("window.__cspViolations")]

    def first_link(self, path: str, pattern: str) -> str:
        self.visit(path, "main")
        href = self.page.locator(f"main a[href^='{pattern}']").first.get_attribute("href")
        assert href, f"no link to {pattern} on {path}"
        return str(href)


@pytest.fixture
def watch(page: Any) -> Iterator[Watch]:
    watched = Watch(page)
    yield watched
    assert watched.problems == []


def test_the_desk_pages_keep_the_policy(watch: Watch, page: Any, server: LiveServer) -> None:
    watch.visit("/login/", "form")
    login(page, "kschmidt")
    watch.visit("/incidents/", "table")
    incident = watch.first_link("/incidents/", "/incidents/INC")
    watch.visit(incident, ".sla-bar, h1")
    bars = page.locator(".sla-bar span")
    if bars.count():  # the widths come from app.js, not from a style attribute
        assert bars.first.evaluate("bar => bar.style.width").endswith("%")
    change = watch.first_link("/changes/", "/changes/CHG")
    watch.visit(change, "h1")
    watch.visit("/cmdb/BER-SW-CORE1/", "svg.impact-map")
    watch.visit("/events/alerts/", "#alert-results")
    page.wait_for_timeout(6_000)  # at least one background poll of the console under the policy
    watch.problems += [f"console poll: {v}" for v in page.evaluate("window.__cspViolations")]
    watch.visit("/changes/windows/", "h1")
    watch.visit("/changes/schedule/", ".cal")
    watch.visit("/service-levels/attainment/", "h1")
    fills = page.locator(".bar-fill")
    if fills.count():
        assert fills.first.evaluate("bar => bar.style.width").endswith("%")


def test_the_portal_keeps_the_policy(watch: Watch, page: Any, server: LiveServer) -> None:
    login(page, "jdoe")
    watch.visit("/portal/", "h1")


def test_the_api_docs_work_under_the_policy_and_lead_back(watch: Watch, page: Any, server: LiveServer) -> None:
    login(page, "kschmidt")
    watch.visit("/api/v1/docs", "#swagger-ui .info")
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    page.get_by_role("link", name="Back to PlantDesk").click()
    expect(page).to_have_url(re.compile(r"/incidents/$"))


@pytest.fixture(scope="module")
def tls_server() -> Iterator[LiveServer]:
    with live_plantdesk(demo=False, env={"PLANTDESK_SECURE_COOKIES": "true"}) as tls:
        tls.cli("user", "add", "tina", "--role", "agent", input="a long enough password\n")
        yield tls


def _sign_in(base_url: str, headers: dict[str, str]) -> tuple[httpx.Response, httpx.Response]:
    """The login form and the sign-in, as a browser behind the TLS proxy does it. The cookies are passed by
    hand: they are Secure, so a client on this plain-HTTP hop rightly keeps them to itself."""
    host = httpx.URL(base_url).netloc.decode()
    with httpx.Client(base_url=base_url, headers=headers) as client:
        form = client.get("/login/")
        token = form.cookies["csrftoken"]
        answer = client.post(
            "/login/", data={"username": "tina", "password": "a long enough password", "csrfmiddlewaretoken": token},
            headers={"Referer": f"https://{host}/login/", "Cookie": f"csrftoken={token}"},
        )  # fmt: skip
    return form, answer


def _cookie_flags(response: httpx.Response, name: str) -> list[str]:
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}="))
    return [part.strip().lower() for part in cookie.split(";")[1:]]


def test_behind_tls_the_cookies_are_secure_and_hsts_is_sent(tls_server: LiveServer) -> None:
    host = httpx.URL(tls_server.base_url).netloc.decode()
    form, answer = _sign_in(tls_server.base_url, {"X-Forwarded-Proto": "https", "Host": host})
    assert form.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "secure" in _cookie_flags(form, "csrftoken")
    assert answer.status_code == 302, answer.text
    assert {"secure", "httponly", "samesite=lax"} <= set(_cookie_flags(answer, "sessionid"))


def test_without_the_switch_cookies_work_over_plain_http(server: LiveServer) -> None:
    form = httpx.get(f"{server.base_url}/login/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in form.headers  # the proxy header is not believed either
    assert "secure" not in _cookie_flags(form, "csrftoken")
