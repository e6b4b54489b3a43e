"""Fixtures for the real-browser tests: the app on a free port with its own workspace, and Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("PRAEVENTIONSATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
STARTUP_SECONDS = 45


def _unavailable(reason: str):
    """No browser: a failure on CI (the check must run there), a skip on a developer machine."""
    if os.environ.get("CI"):
        pytest.fail(f"E2E-Test kann nicht laufen (CI ist gesetzt): {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app(env: dict[str, str], tmp_path_factory, label: str) -> Iterator[str]:
    """Run ``streamlit run app.py`` on a free port with ``env``; yield its URL once healthy; stop it afterwards."""
    port = _free_port()
    log = (tmp_path_factory.mktemp(f"{label}-log") / "streamlit.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"Streamlit ended with code {proc.returncode}:\n{log.read()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"Streamlit did not answer within {STARTUP_SECONDS} s:\n{log.read()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The app with an empty data folder of its own (the default stays the demo, whatever a test creates)."""
    workspace = tmp_path_factory.mktemp("e2e-workspace")
    env = {**os.environ, "PRAEVENTIONSATLAS_DATA": str(workspace), "PRAEVENTIONSATLAS_WORKSPACE": "demo"}
    with serve_app(env, tmp_path_factory, "e2e") as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole run (its sync API allows only one at a time), or a skip without it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - depends on the environment
        _unavailable(f"playwright ist nicht installiert: {err}")
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium nicht gefunden unter {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


def _launch(playwright, args: list[str]):
    from playwright.sync_api import Error

    try:
        return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    except Error as err:
        _unavailable(f"Chromium startet nicht: {err}")


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's Chromium, headless, with background networking off (so every request comes from the page)."""
    browser = _launch(playwright, CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    """A fresh German-locale page.

    ``page.requests`` lists every URL the page, its frames and workers asked for; ``page.errors`` every
    uncaught script error (the map's script runs inside the st_folium frame of the same page).
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1300}, locale="de-DE")
    requests: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.requests = requests
    page.errors = errors
    yield page
    context.close()


@pytest.fixture(scope="session")
def english_browser(playwright):
    """Debian's Chromium in US English (``--lang=en-US``): what the app shows must not depend on it."""
    browser = _launch(playwright, [*CHROMIUM_ARGS, "--lang=en-US"])
    yield browser
    browser.close()


@pytest.fixture
def english_page(english_browser):
    """A fresh page of :func:`english_browser` with an en-US context (``navigator.language`` is "en-US"),
    1280×900 as in the page screenshots; ``page.errors`` lists uncaught script errors."""
    context = english_browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    context.close()


def screenshot(page, folder: str, name: str, *, full_page: bool = False) -> Path:
    """Save what ``page`` shows as ``test-artifacts/<folder>/<name>.png`` (for a person to look at) and return
    the path. ``folder`` is usually the test's name; the page screenshots of every page go to ``pages``."""
    target = ARTIFACTS / folder
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
