"""Search as you type, in a real Chromium: a pause in typing brings the results, with no key pressed; the box keeps
the focus and what was typed, and typing on refines them."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import streamlit_server, wait_for_app

pytestmark = pytest.mark.browser

BOX = "What are you looking for?"


@pytest.fixture(scope="module")
def served(demo_model_set, tmp_path_factory):
    models = tmp_path_factory.mktemp("typing")
    shutil.copytree(demo_model_set, models / "demo")
    with streamlit_server(models) as url:
        yield url


def test_results_follow_a_pause_in_typing(served, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{served}/?model=demo")
    page.get_by_role("heading", name="Search arXiv by meaning").wait_for(timeout=90_000)
    wait_for_app(page)
    assert not page.locator("[class*='st-key-card-']").count()
    box = page.get_by_label(BOX)
    box.click()
    box.press_sequentially("quantum error", delay=80)  # typing, no Enter
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'quantum error'", timeout=30_000)
    wait_for_app(page)
    assert page.locator("[class*='st-key-card-']").count() == 10
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == BOX and box.input_value() == "quantum error"
    box.press_sequentially(" correction", delay=80)
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'quantum error correction'", timeout=30_000)
    wait_for_app(page)
    assert box.input_value() == "quantum error correction" and page.locator("[class*='st-key-card-']").count() == 10
    # The refined query's results: its new word is marked in their snippets.
    assert any("correction" in text.lower() for text in page.locator("[class*='st-key-card-'] strong").all_inner_texts())
