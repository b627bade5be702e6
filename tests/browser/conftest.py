"""Browser tests: the real app served on localhost, driven by Playwright in Debian's Chromium.

Playwright launches /usr/bin/chromium by path (its own browser download cannot work here). Outside CI a
missing Chromium skips these tests; under CI=true it fails them, since .ci/run installs it.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from services import users
from services.backend import Backend
from services.db import make_engine
from services.deploy import deploy_sources
from services.schema import upgrade
from web import create_app
from workflows.registry import read_folder
from workflows.settings import Settings

CHROMIUM = Path(os.environ.get("REENTRY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("REENTRY_TEST_OUTPUT", ROOT / "test-output")) / "screenshots"
PASSWORD = "mat-khau-trinh-duyet"
PEOPLE = [("police.an", "Nguyễn Văn An", "police", "10001"), ("commune.binh", "Lê Thị Bình", "commune", "10001"),
          ("bank.dung", "Hoàng Thị Dung", "bank_appraiser", None), ("bank.em", "Võ Văn Em", "bank_teller", None)]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium is required under CI and is missing at {CHROMIUM}")
        pytest.skip("Chromium not installed (outside CI only; under CI=true this fails)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    """The app on a free localhost port, with a fresh SQLite database, the diagrams and four officers."""
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    backend = Backend.connect(url, Settings())
    with backend.transaction() as session:
        deploy_sources(session, read_folder(ROOT / "bpmn"), actor="tests")
        for username, name, group, unit in PEOPLE:
            users.add_user(session, username, PASSWORD, [group], unit=unit, full_name=name)
    app = create_app({"SECRET_KEY": "browser-tests-secret"}, backend=backend)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    backend.engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own cookies) and page."""
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under the test run's output folder."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
