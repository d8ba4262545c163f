"""Full-page screenshots of the main pages at 1366 and 1024 px, for a person to look at before a release:
`.venv/bin/pytest tests/e2e/test_screenshots.py` writes var/screenshots/<page>-<width>.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = (1366, 1024)


def _first_link(page: Any, url: str, pattern: str) -> str:
    """The first link on `url` whose href matches `pattern` (a record of the demo plant, whatever its number)."""
    page.goto(url)
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    return next(href for href in hrefs if re.fullmatch(pattern, href))


# (page name, who looks at it, the URL or how to find it)
PAGES: list[tuple[str, str, Any]] = [
    ("queue", "mmueller", "/incidents/"),
    ("incident-detail", "mmueller", lambda page: _first_link(page, "/incidents/", r"/incidents/INC\d+/")),
    ("incident-new", "mmueller", "/incidents/new/"),
    ("portal-list", "jdoe", "/portal/"),
    ("portal-detail", "jdoe", lambda page: _first_link(page, "/portal/", r"/portal/INC\d+/")),
    ("problem-list", "mmueller", "/problems/"),
    ("problem-detail", "mmueller", lambda page: _first_link(page, "/problems/", r"/problems/PRB\d+/")),
    ("change-list", "jwagner", "/changes/"),
    ("change-detail", "jwagner", lambda page: _first_link(page, "/changes/", r"/changes/CHG\d+/")),
    ("change-new", "jwagner", "/changes/new/"),
    ("cab", "jwagner", "/changes/cab/"),
    ("schedule", "jwagner", "/changes/schedule/"),
    ("windows", "jwagner", "/changes/windows/"),
    ("cmdb-list", "okoch", "/cmdb/"),
    ("cmdb-detail", "okoch", "/cmdb/BER-L3-PLC01/"),
    ("cmdb-impact", "okoch", "/cmdb/BER-SW-CORE1/"),
    ("alarm-console", "okoch", "/events/alerts/"),
    ("sla-attainment", "kschmidt", "/service-levels/attainment/"),
    ("forbidden", "jdoe", "/changes/"),
]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_main_pages_are_photographed_at_both_widths(browser: Any, server: LiveServer, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    written = []
    for user in dict.fromkeys(who for _name, who, _url in PAGES):
        context = browser.new_context(base_url=server.base_url, viewport={"width": width, "height": 800})
        context.set_default_timeout(10_000)
        page = context.new_page()
        login(page, user)
        for name, who, url in PAGES:
            if who != user:
                continue
            target = url(page) if callable(url) else url
            response = page.goto(target)
            assert response is not None and response.status == (403 if name == "forbidden" else 200), target
            page.wait_for_load_state("networkidle")
            path = SCREENSHOTS / f"{name}-{width}.png"
            path.unlink(missing_ok=True)
            page.screenshot(path=str(path), full_page=True)
            written.append(path)
        context.close()
    assert len(written) == len(PAGES)
    for path in written:
        assert path.is_file() and path.stat().st_size > 0, path
