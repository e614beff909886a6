"""The app in a real headless Chromium: deep links on a fresh server, search results, the map."""

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PYTHON, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_model_set, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test and .ci/run install it)")
    models = tmp_path_factory.mktemp("served")
    shutil.copytree(demo_model_set, models / "demo")
    port = _free_port()
    env = {**os.environ, "MODELS_DIR": str(models), "STREAMLIT_SERVER_PORT": str(port)}
    args = [PYTHON, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        yield chromium
        chromium.close()


def _open(browser, url: str, name: str, heading: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for(timeout=90_000)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    return page, errors


def test_deep_link_to_the_map_on_a_fresh_server_uses_the_app_navigation(server, browser) -> None:
    page, errors = _open(browser, server + "/map?q=galaxies+stellar+mass", "map", "Topic map")
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Topic map" in nav and "Search" in nav and "common" not in nav
    assert page.get_by_role("heading", name="Topic map").is_visible()
    assert "falls in topic" in page.inner_text("body")
    assert page.locator(".js-plotly-plot").count() == 1
    assert not errors


def test_search_link_shows_results_and_the_synthetic_badge(server, browser) -> None:
    page, errors = _open(browser, server + "/?q=qubits+stabilizer+codes", "search", "Search arXiv by meaning")
    body = page.inner_text("body")
    assert "Synthetic demo data" in body
    assert page.locator("[data-testid='stExpander']").count() == 10
    assert page.input_value("input[aria-label='What are you looking for?']") == "qubits stabilizer codes"
    assert not errors
