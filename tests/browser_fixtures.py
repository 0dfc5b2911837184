"""Debian's Chromium for the browser tests, started one way: where it is, its flags, where screenshots go.

Every test may ask for the ``browser`` fixture (a pytest plugin of conftest.py), or use
:func:`chromium` as a context manager when it needs a browser of its own inside one test.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "test-output" / "screenshots"
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)")


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium (Playwright drives the system's browser; nothing is downloaded)."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as started:
        yield started


PHONE = {"width": 390, "height": 844}  # a phone's screen, for the pages participants open on theirs


@pytest.fixture
def page(browser):
    """A fresh page on a phone-sized screen with JavaScript off: the forms must work without it."""
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    yield context.new_page()
    context.close()


def shot(page, name: str):
    """A full-page screenshot under :data:`SHOTS` (its path), checked to hold a picture."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000
    return path


def finish_application(page) -> None:
    """Fill the rest of an application form as a mentee would (a skill, goals, hours, the personality items, consent)
    and press the visible Save at its end."""
    page.fill("#skills_wanted-0-name", "negotiation")
    page.select_option("#skills_wanted-0-level", "3")
    page.fill("#goals", "Lead a team")
    page.fill("#hours_per_month", "4")
    for i in range(1, 11):
        page.select_option(f"#tipi_{i}", "4")
    page.check("#consent")
    page.locator("form > button[type=submit]").last.click()
