"""The app in a real headless Chromium driven by Playwright, against `streamlit run` on a free port."""

import csv
import re
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pybtex.database import parse_string

from lib.engine import load_engine
from lib.urlstate import split_values
from tests.conftest import SCREENSHOTS, streamlit_server, wait_for_app, wait_for_pinned_query

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def engine(demo_model_set):
    return load_engine(demo_model_set)


@pytest.fixture(scope="module")
def server(demo_model_set, tmp_path_factory):
    models = tmp_path_factory.mktemp("served")
    shutil.copytree(demo_model_set, models / "demo")
    with streamlit_server(models) as url:
        yield url


def _settle(page) -> None:
    wait_for_app(page, pause_ms=1200)


def _open(browser, url: str, heading: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=90_000)
    _settle(page)
    return page


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _box_select(page, fraction: float) -> None:
    """Drag a selection box from the map's top-left corner over `fraction` of it and wait for the list."""
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + 5, area["y"] + 5)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * fraction, area["y"] + area["height"] * fraction, steps=12)
    page.mouse.up()
    page.get_by_text("selected papers").first.wait_for(timeout=60_000)
    _settle(page)


def _plain(title: str) -> str:
    """A title as the browser shows it: LaTeX dollars become rendered math, so compare a dollar-free prefix."""
    return title.split("$")[0].strip()[:40]


def test_deep_link_to_the_map_on_a_fresh_server_uses_the_app_navigation(server, browser) -> None:
    page = _open(browser, server + "/map?q=galaxies+stellar+mass", "Topic map")
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Topic map" in nav and "Topics" in nav and "Search" in nav
    # Not Streamlit's pages-folder list, which names every file of pages/ (pages/__init__.py).
    assert not {"cache", "common", "marks", "nav", "picker", "url", "widgets"} & set(nav.split())
    # The blank chart that app.py sends first (so Plotly loads early) is gone once the map is there.
    page.locator(".st-key-map .js-plotly-plot").wait_for(timeout=60_000)
    expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(1, timeout=60_000)
    assert not page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count()
    assert not page.errors


def test_type_a_query_see_the_expected_title_and_again_after_reload(server, browser, engine) -> None:
    query = "turbulent boundary layers and vortex shedding"
    expected = _plain(engine.catalogue.papers.iloc[engine.ranker.search(query, k=1)[0].row]["title"])
    page = _open(browser, server + "/", "Search arXiv by meaning")
    box = page.get_by_label("What are you looking for?")
    box.fill(query)
    box.press("Enter")
    page.get_by_text(expected).first.wait_for(timeout=60_000)
    _settle(page)
    assert "q=" in page.url and urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["q"] == [query]
    _shot(page, "search")
    page.reload()
    page.get_by_text(expected).first.wait_for(timeout=60_000)
    _settle(page)
    assert page.get_by_label("What are you looking for?").input_value() == query
    expect(page.locator("[data-testid='stExpander']")).to_have_count(10, timeout=60_000)
    assert not page.errors


def test_map_shows_the_query_trace_and_box_selection_lists_papers(server, browser) -> None:
    page = _open(browser, server + "/map?q=galaxies+stellar+mass+dark+matter", "Topic map")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    wait_for_pinned_query(page, "galaxies stellar mass")
    legend = page.locator(".js-plotly-plot .legendtext").evaluate_all("nodes => nodes.map(n => n.textContent)")
    assert any(text.startswith("Query: galaxies stellar mass") for text in legend)
    assert "falls in topic" in page.inner_text("body")
    _shot(page, "map")
    _box_select(page, 0.6)
    expect(page.locator("[data-testid='stDataFrame']")).to_have_count(1, timeout=60_000)
    _shot(page, "map-selection")
    selected = int(page.get_by_text("selected papers").first.inner_text().split()[0].replace(",", ""))
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="BibTeX", exact=True).click()
    assert download.value.suggested_filename == "map-selection.bib"
    entries = parse_string(Path(download.value.path()).read_text(encoding="utf-8"), "bibtex").entries
    assert len(entries) == selected > 0
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="CSV", exact=True).click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as table:
        assert len(list(csv.DictReader(table))) == selected
    page.get_by_role("button", name=re.compile(r"^Mark (these|the first) .* papers 'more like'$")).click()
    page.get_by_text("Most like the marked papers").first.wait_for(timeout=60_000)
    marked = split_values(urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["more"])  # one comma-joined value
    assert len(marked) == min(selected, 200)
    assert not page.errors


def test_topics_choose_a_topic_and_see_its_papers(server, browser, engine) -> None:
    page = _open(browser, server + "/topics", "Topics")
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible(timeout=60_000)
    topic = engine.catalogue.topics[0]
    page.get_by_label("Choose a topic").first.click()
    page.get_by_role("option", name=f"{topic['id']}: {topic['label']}").click()
    page.get_by_role("heading", name=f"Topic {topic['id']}").first.wait_for(timeout=60_000)
    _settle(page)
    assert f"topic={topic['id']}" in page.url
    # Its papers as result rows, each with its snippet (opening on the abstract); the table of topics one tab away.
    expect(page.locator("[class*='st-key-card-t']")).to_have_count(min(20, topic["size"]), timeout=60_000)
    expect(page.locator("[data-testid='stExpander']")).to_have_count(min(20, topic["size"]), timeout=60_000)
    assert page.get_by_role("tab", selected=True).inner_text() == "Topic"
    assert not page.locator("[data-testid='stDataFrame']").first.is_visible()
    _shot(page, "topics")
    assert not page.errors


def test_paper_page_shows_the_paper_and_its_neighbours(server, browser, engine) -> None:
    paper = engine.catalogue.papers.iloc[11]
    page = _open(browser, server + f"/paper?id={paper['id']}", "Nearest papers")
    assert _plain(paper["title"]) in page.locator("h1").first.inner_text()
    expect(page.locator("[data-testid='stExpander']")).to_have_count(10, timeout=60_000)
    _shot(page, "paper")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(1, timeout=60_000)
    page = _open(browser, server + "/paper?id=9999.99999", "Paper")
    assert "No paper with id 9999.99999" in page.inner_text("body")
    assert not page.errors


def _x_range(page) -> list[float]:
    return page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range")


def test_zoom_survives_a_rerun(server, browser) -> None:
    page = _open(browser, server + "/map?q=robot+motion+planning", "Topic map")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    before = _x_range(page)
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    for _ in range(4):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(200)
    page.wait_for_timeout(800)
    zoomed = _x_range(page)
    assert zoomed[1] - zoomed[0] < (before[1] - before[0]) * 0.9
    _box_select(page, 0.9)
    assert _x_range(page) == pytest.approx(zoomed, rel=1e-6)
    assert not page.errors


def test_mark_papers_from_results_and_rank_by_them(server, browser, engine) -> None:
    query = "turbulent boundary layers and vortex shedding"
    hits = engine.ranker.search(query, k=10)
    page = _open(browser, server + "/?q=" + urllib.parse.quote(query), "Search arXiv by meaning")
    page.get_by_text(_plain(engine.catalogue.papers.iloc[hits[0].row]["title"])).first.wait_for(timeout=60_000)
    # A row's actions are under its abstract: open the snippet, then mark.
    for rank, mark in ((0, "more like"), (1, "less like")):
        row = page.locator(f".st-key-card-search{rank}")
        _settle(page)  # a click while the page is still being drawn (its title links load last) can be lost
        row.locator("[data-testid='stExpander'] summary").click()
        toggle = row.get_by_role("radio", name=mark, exact=True)
        expect(toggle).to_be_visible(timeout=30_000)
        _settle(page)
        toggle.click()
        _settle(page)
        expect(row.get_by_text(f"marked {mark}")).to_be_visible(timeout=60_000)  # the row says so, open or closed
    page.locator("[data-testid='stSidebarNav']").get_by_text("Marked papers").click()
    page.get_by_role("heading", name="More like these").first.wait_for(timeout=60_000)
    page.get_by_text("Most like the marked papers").first.wait_for(timeout=60_000)
    _settle(page)
    params = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert params["more"] == [hits[0].paper_id] and params["less"] == [hits[1].paper_id]
    expected = engine.ranker.similar([hits[0].paper_id], 20, negative=[hits[1].paper_id])
    page.get_by_text(_plain(engine.catalogue.papers.iloc[expected[0].row]["title"])).first.wait_for(timeout=60_000)
    _shot(page, "marked")
    page.reload()
    page.get_by_text("Most like the marked papers").first.wait_for(timeout=60_000)  # the marks live in the URL
    assert not page.errors


def test_topics_over_time_chart_and_fastest_growing(server, browser) -> None:
    page = _open(browser, server + "/topics?compare=0&compare=1", "Topics")
    page.get_by_text("Fastest-growing topics").first.wait_for(timeout=60_000)
    expect(page.locator("[data-testid='stVegaLiteChart']")).to_have_count(1, timeout=60_000)
    page.get_by_text("month", exact=True).first.click()
    _settle(page)
    assert urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["by"] == ["month"]
    _shot(page, "topics-over-time")
    assert not page.errors


def test_a_coarser_level_recolours_the_map(server, browser, engine) -> None:
    coarse = engine.catalogue.levels[1]
    page = _open(browser, server + "/map?level=1&legend=1", "Topic map")  # the legend of every topic, on request
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    _settle(page)
    legend = page.locator(".js-plotly-plot .legendtext").evaluate_all("nodes => nodes.map(n => n.textContent)")
    labels = [text for text in legend if not text.startswith(("unclustered", "Query", "Top hits"))]
    assert labels == [f"{t['id']}: {t['label']}" for t in coarse.topics]
    assert f"{len(coarse.topics)} topics" in page.inner_text("body")
    _shot(page, "map-level-1")
    assert not page.errors
