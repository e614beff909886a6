"""Shared fixtures: where the real arXiv sample lives, and small input files written per test."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from threadpoolctl import threadpool_limits

from lib.threads import THREAD_VARIABLES, one_thread_per_library

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLE = Path(os.environ.get("ARXIV_SAMPLE", ROOT.parent / "shared" / "arxiv" / "sample.jsonl.gz"))
PYTHON = sys.executable
SCREENSHOTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Stamps of verified model-set files go to a folder of this test run, not the user's cache.
os.environ["TOPIC_SEARCH_CACHE"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"topic-search-tests-{os.getpid()}")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(models: Path, **env: str) -> Iterator[str]:
    """Run the app on a free port over a models folder (skipping without Chromium); yield its URL once healthy."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test and .ci/run install it)")
    port = free_port()
    environment = {**os.environ, "MODELS_DIR": str(models), "STREAMLIT_SERVER_PORT": str(port), **env}
    args = [PYTHON, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(args, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextlib.contextmanager
def headless_chromium() -> Iterator[object]:
    """The system Chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium shared by the tests of one module."""
    with headless_chromium() as chromium:
        yield chromium


# The app's own state on its root element: "running" while a script run is under way, "notRunning" once it has ended.
APP_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && [...document.querySelectorAll('[class*="st-key-card-"]')].every(
            (card) => card.querySelector('[data-testid="stPageLink"]'));
}"""


def wait_for_app(page, timeout_ms: int = 90_000, pause_ms: int = 800) -> None:
    """Wait until the page's script run has ended (not only until the "Running" widget, shown after a delay, is gone),
    then a short pause for the browser to draw. On a loaded machine a run can outlast the widget's delay check, and a
    test that looks too early misses what the run draws last (a 'Back to search' button, seen under load 13). Every
    result card's title link too: the browser draws page links after the run has ended (measured: 0 to 16 of 20 titles
    drawn 200 ms after the end of a run, all 20 by 600 ms), and a test that read the page then missed titles."""
    page.wait_for_function(APP_IDLE, timeout=timeout_ms)
    page.wait_for_timeout(pause_ms)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the browser tests left their screenshots."""
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")


def paper(i: int, **fields: object) -> dict:
    """A valid snapshot-style record with distinct text."""
    record = {
        "id": f"2401.{i:05d}",
        "title": f"Paper number {i} on spectral graphs",
        "abstract": f"We study topic {i} with spectral methods and report findings {i}.",
        "authors": "Ada Lovelace, Alan Turing",
        "categories": "cs.LG stat.ML",
        "update_date": "2024-01-15",
    }
    record.update(fields)
    return record


def write_jsonl(path: Path, lines: list) -> Path:
    """Write records (dicts are JSON-encoded, strings written as they are) one per line."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as out:
        for line in lines:
            out.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


@pytest.fixture
def real_sample() -> Path:
    """The shared real arXiv sample; tests that need real text skip where it is absent."""
    if not SHARED_SAMPLE.is_file():
        pytest.skip(f"real arXiv sample not found at {SHARED_SAMPLE} (set ARXIV_SAMPLE to its path)")
    return SHARED_SAMPLE


def build_small(corpus: Path, out: Path, **overrides: object) -> dict:
    """Build a model set in-process with settings small enough for tests (real gensim, UMAP, HDBSCAN)."""
    from lib.build import BuildOptions, build_model_set
    from lib.params import PRESETS, with_overrides
    from lib.reading import Filters

    settings = {"doc2vec.epochs": 10, "umap.n_neighbors": 15, "hdbscan.min_cluster_size": 20, **overrides}
    params = with_overrides(PRESETS["default"], **settings)
    return build_model_set(BuildOptions(corpus, out, params, Filters(), workers=2), log=lambda message: None)


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200 synthetic papers over the demo topics."""
    from lib.demo import write_demo_corpus

    path = tmp_path_factory.mktemp("corpus") / "demo.jsonl.gz"
    write_demo_corpus(path, n_papers=1200, seed=1)
    return path


@pytest.fixture(scope="session")
def demo_model_set(demo_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model set built once per test session from the demo corpus; tests must not modify it."""
    out = tmp_path_factory.mktemp("models") / "demo"
    build_small(demo_corpus, out)
    return out


def open_abstracts(app: AppTest) -> AppTest:
    """Open every result row's abstract, as clicking its snippet does (a keyed expander: its id ends with its key)."""
    for expander in app.expander:
        app.session_state[expander.proto.id.split("-", 2)[2]] = True
    app.run()
    assert not app.exception, app.exception
    return app


def open_row(page, card) -> None:
    """Open a result row's snippet (`card`: the row's locator) and wait until the row's own rerun has drawn its
    abstract and actions and ended. Clicking what it draws while that run is under way raced with it in CI (stop 24)."""
    wait_for_app(page, pause_ms=0)
    card.locator("[data-testid='stExpander'] summary").first.click()
    card.locator("[data-testid='stExpanderDetails'] [data-testid='stMarkdownContainer']").first.wait_for(timeout=60_000)
    wait_for_app(page)


def wait_for_pinned_query(page, query: str = "", timeout_ms: int = 30_000) -> None:
    """Wait until the map's legend names the pinned query (`query`: the start of its text). The browser draws the pin
    over the map Streamlit drew (pages/map_view.js polls every 0.2 s), so it appears a moment after the chart."""
    page.locator(".js-plotly-plot .legendtext", has_text=f"Query: {query}").first.wait_for(timeout=timeout_ms)


@pytest.fixture(autouse=True)
def every_core_after_the_app() -> Iterator[None]:
    """AppTest runs app.py inside this process, and app.py keeps numerical libraries to one thread (lib/threads.py) for
    the rest of the process. After such a test, give the libraries and the thread variables back, so that later tests
    build models (here and in the subprocesses they start, which inherit the variables) with every core, as a user's
    build does. Checked with a pair of throwaway tests: one thread each inside the app's test, every core after it."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    yield
    if one_thread_per_library.cache_info().currsize:
        one_thread_per_library.cache_clear()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        threadpool_limits(limits=os.cpu_count())
