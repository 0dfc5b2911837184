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
