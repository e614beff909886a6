"""A running server follows `python -m lib update`: headless Chromium against `streamlit run`, never restarted.

New papers carry a word no paper of the demo set has ("Quokkanomics") in their titles: before an update a search for
it finds nothing the model knows, after it the new papers (their BM25 rows add the word). Each version of the set is
told by its paper count in the sidebar's picker, and every page must show the papers of that one version.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from lib.demo import generate_demo_records
from lib.modelset import read_manifest
from tests.conftest import PYTHON, ROOT, streamlit_server, wait_for_app, write_jsonl

pytestmark = pytest.mark.browser

WORD = "Quokkanomics"
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
UPDATES_WHILE_RENDERING = 4


def new_batch(folder: Path, batch: int, n: int = 2) -> tuple[Path, list[str]]:
    """An input of n new demo papers (ids the set lacks) titled 'Quokkanomics batch B paper J: …'; its titles."""
    # Titles without LaTeX, which the page would show as rendered math rather than as typed.
    records = [r for r in generate_demo_records(4 * n, seed=40 + batch) if "$" not in r["title"]][:n]
    records = [
        {**r, "id": f"2705.{batch:02d}{j:03d}", "title": f"{WORD} batch {batch} paper {j}: {r['title']}", "update_date": "2025-12-30"}
        for j, r in enumerate(records)
    ]
    return write_jsonl(folder / f"batch-{batch}.jsonl", records), [r["title"] for r in records]


def papers_in(model: Path) -> int:
    return read_manifest(model)["counts"]["papers"]


def shown_papers(page, name: str) -> int:
    """The paper count the sidebar's picker gives for the shown set."""
    found = re.search(rf"{name} · ([\d,]+) papers", page.get_by_role("combobox", name="Model set").input_value())
    assert found, "the picker names the set and its papers"
    return int(found.group(1).replace(",", ""))


def assert_no_error(page) -> None:
    assert not page.locator(ERRORS).count(), page.locator(ERRORS).first.inner_text()
    assert "Traceback" not in page.inner_text("body")


@pytest.fixture(scope="module")
def served(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory):
    """A server over two copies of the demo set (one per test), and the models folder."""
    models = tmp_path_factory.mktemp("live")
    for name in ("demo", "busy"):
        shutil.copytree(demo_model_set, models / name)
    with streamlit_server(models) as url:
        yield url, models


def test_the_next_run_after_an_update_shows_the_new_papers(served, browser, tmp_path: Path) -> None:
    url, models = served
    before = papers_in(models / "demo")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/?model=demo&q={WORD.lower()}")
    page.get_by_role("heading", name="Search arXiv by meaning").wait_for(timeout=90_000)
    wait_for_app(page)
    assert "None of these words is in the model" in page.inner_text("body")
    assert shown_papers(page, "demo") == before

    source, titles = new_batch(tmp_path, 0)
    done = subprocess.run(
        [PYTHON, "-m", "lib", "update", "--model", str(models / "demo"), "--input", str(source)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    # The next run of the same session (a new query typed), on the same server.
    box = page.get_by_label("What are you looking for?")
    box.fill(WORD)
    box.press("Enter")
    page.get_by_text(titles[0]).first.wait_for(timeout=60_000)
    wait_for_app(page)
    text = page.inner_text("body")
    assert all(title in text for title in titles), (titles, re.findall(rf"{WORD}[^\n]*", text))
    assert shown_papers(page, "demo") == before + len(titles) == papers_in(models / "demo")
    assert_no_error(page)


def test_pages_rendered_while_updates_swap_the_set_show_one_version_and_no_error(served, browser, tmp_path: Path) -> None:
    url, models = served
    model = models / "busy"
    base = papers_in(model)
    inputs = [new_batch(tmp_path, batch)[0] for batch in range(1, UPDATES_WHILE_RENDERING + 1)]
    # Updates one after another in one process (each swap as `python -m lib update` makes it), a second apart.
    loop = (
        "import sys, time\nfrom lib.cli import main\n"
        "for source in sys.argv[2:]:\n    assert main(['update', '--model', sys.argv[1], '--input', source]) == 0\n    time.sleep(1)\n"
    )
    updater = subprocess.Popen([PYTHON, "-c", loop, str(model), *map(str, inputs)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    seen: list[int] = []
    deadline = time.monotonic() + 150
    try:
        while (updater.poll() is None or len(seen) < 3) and time.monotonic() < deadline:
            page.goto(f"{url}/?model=busy&q={WORD.lower()}&mode=lexical&k=20")
            page.get_by_role("heading", name="Search arXiv by meaning").wait_for(timeout=90_000)
            wait_for_app(page, pause_ms=200)
            assert_no_error(page)
            count = shown_papers(page, "busy")
            batches = (count - base) // 2
            assert count - base == 2 * batches and 0 <= batches <= UPDATES_WHILE_RENDERING, count
            # The results are those of the version the picker names: every new paper of its batches, no other.
            found = set(re.findall(rf"{WORD} batch (\d+) paper (\d+)", page.inner_text("body")))
            assert found == {(str(b), str(j)) for b in range(1, batches + 1) for j in range(2)}, (count, found)
            seen.append(count)
    finally:
        if updater.poll() is None:
            updater.kill()
        _, errors = updater.communicate(timeout=60)
    assert updater.returncode == 0, errors
    assert seen[-1] == base + 2 * UPDATES_WHILE_RENDERING == papers_in(model)
    assert len(set(seen)) >= 2, f"pages saw the set change under them: {seen}"
