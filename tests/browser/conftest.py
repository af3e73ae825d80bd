"""The browser harness: Playwright for Python driving Debian's Chromium against a live server.

- ``browser``: one headless Chromium per test process (``pytest -n 2`` starts one each).
- ``browser_page``: a fresh context and page per test whose relative URLs go to pytest-django's
  ``live_server`` (a real server thread; the database is transactional, so the data a test
  creates is visible to the server and removed afterwards).
- ``sign_in(page, user)``: sign in through the real form as a persona.
- ``serious_accessibility_problems(page, within)``: axe-core's serious and critical violations
  on the page (or inside the ``within`` selector), as readable lines; axe-core comes with the
  ``axe-playwright-python`` package, so nothing is downloaded.

Every test in this folder is skipped, with the reason, when /usr/bin/chromium is missing
(``apt-get install chromium``). Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from aftercare.practice.models import User
from aftercare.testing import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).resolve().parent
TIMEOUT_MS = 30_000

# Playwright's sync API runs an asyncio loop in the test thread; Django then refuses ORM
# calls from that thread ("SynchronousOnlyOperation") although they are plain sync calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install chromium")
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_page(browser, live_server, transactional_db):  # type: ignore[no-untyped-def]
    """A new page in a fresh context (no cookies) whose relative URLs reach the live server."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    # Generous: the suite runs beside others' on two shared cores. Assertions with
    # ``expect`` wait as long (their own default is only 5 s).
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def sign_in(page, user: User, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the sign-in form and wait until the app has let us in."""
    page.goto("/sign-in/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in/" not in url)


def serious_accessibility_problems(page, within: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations, one line each (empty when there are none)."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    context = json.dumps(within) if within else "document"
    violations = page.evaluate(f"axe.run({context}).then(results => results.violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v.get("impact") in {"serious", "critical"}
    ]
