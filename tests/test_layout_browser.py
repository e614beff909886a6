"""A researcher's first screen, measured in a real Chromium at a laptop's size (1280 x 800) and at 1920 x 1080.

The map is the page: its whole plot inside the first screen (at least 450 pixels tall on the laptop), the sentence
saying where the query fell on one line, no legend of every topic beside it. Results read at a glance: five result
rows or more wholly inside the first screen. A chosen topic shows its name, keywords, papers per year and first papers
there. A paper's own pin is on its map in the first screen. Hostile text stays text in snippets (the hostile papers
of tests/test_hostile_browser.py added to a copy of the demo set by `lib update`, in a fraction of a second where a
build of their own takes half a minute).
"""

from __future__ import annotations

import shutil
import urllib.parse

import pytest

from lib.engine import load_engine
from lib.snippets import query_terms, short_authors, snippet
from lib.update import UpdateOptions, update_model_set
from tests.conftest import SCREENSHOTS, streamlit_server, wait_for_app, wait_for_pinned_query, write_jsonl
from tests.test_hostile_browser import HOSTILE_ID, INERT_CHECK, MARK, _hostile_records

pytestmark = pytest.mark.browser

SIZES = [(1280, 800), (1920, 1080)]
QUERY = "turbulent boundary layers and vortex shedding"
MIN_PLOT_HEIGHT = 450
MIN_ROWS = 5

# The first screen's box of an element, and of each result row.
BOX = "node => { const b = node.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }"
ROWS = """prefix => [...document.querySelectorAll(`[class*="st-key-card-${prefix}"]`)].map(node => {
    const b = node.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })"""
# Where the map's marker named `name` is drawn on screen (its first point), from the chart's own axes.
MARKER = """name => {
    const gd = document.querySelector('.js-plotly-plot');
    const trace = gd._fullData.find(t => t.name && t.name.startsWith(name));
    const area = gd.querySelector('.nsewdrag').getBoundingClientRect();
    return [area.left + gd._fullLayout.xaxis.l2p(trace.x[0]), area.top + gd._fullLayout.yaxis.l2p(trace.y[0])];
}"""


def hostile_papers() -> list[dict]:
    """The papers of tests/test_hostile_browser.py that carry hostile text, under ids the demo set does not hold."""
    chosen = [record for record in _hostile_records() if MARK in record["title"]]
    return [{**record, "id": record["id"] if record["id"] == HOSTILE_ID else f"hostile-{i}"} for i, record in enumerate(chosen)]


@pytest.fixture(scope="module")
def models(demo_model_set, tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    for name in ("demo", "hostile"):
        shutil.copytree(demo_model_set, root / "models" / name)
    added = update_model_set(UpdateOptions(root / "models" / "hostile", write_jsonl(root / "hostile.jsonl", hostile_papers())), log=print)
    assert added.added == len(hostile_papers())
    return root / "models"


@pytest.fixture(scope="module")
def engine(models):
    return load_engine(models / "demo")


@pytest.fixture(scope="module")
def server(models):
    with streamlit_server(models) as url:
        yield url


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def page(request, browser):
    width, height = request.param
    tab = browser.new_page(viewport={"width": width, "height": height})
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    assert not tab.errors
    tab.close()


def _visit(page, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=90_000)
    wait_for_app(page)


def _inside(box: list[float], page) -> bool:
    """Whether a box lies wholly inside the first screen (the page not scrolled)."""
    size = page.viewport_size
    left, top, right, bottom = box
    return left >= 0 and top >= 0 and right <= size["width"] and bottom <= size["height"]


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"layout-{name}-{page.viewport_size['width']}.png"))


def _demo(path: str, **params: str) -> str:
    return f"{path}?{urllib.parse.urlencode({**params, 'model': 'demo'})}"


def test_the_map_is_the_first_screen(server, page) -> None:
    _visit(page, server + _demo("/map", q=QUERY), "Topic map")
    page.locator(".js-plotly-plot .nsewdrag").first.wait_for(timeout=60_000)
    wait_for_app(page)
    plot = page.locator(".js-plotly-plot .nsewdrag").first.evaluate(BOX)
    chart = page.locator("[data-testid='stPlotlyChart']").first.evaluate(BOX)
    assert _inside(plot, page) and _inside(chart, page), (plot, chart, page.viewport_size)
    if page.viewport_size["height"] <= 800:
        assert plot[3] - plot[1] >= MIN_PLOT_HEIGHT, plot
    # Where the query fell, in one line; the legend lists what is pinned, not every topic.
    sentence = page.get_by_text("Your query falls in topic").first.evaluate(BOX)
    assert sentence[3] - sentence[1] < 40 and _inside(sentence, page)
    wait_for_pinned_query(page)
    legend = page.locator(".js-plotly-plot .legendtext").all_text_contents()
    assert len(legend) == 2 and any(text.startswith("Query: ") for text in legend), legend
    labels = page.locator(".js-plotly-plot .annotation").count()
    assert labels >= 5  # the topics' labels on the map are its key
    star = page.evaluate(MARKER, "Query")
    assert plot[0] < star[0] < plot[2] and plot[1] < star[1] < plot[3]
    _shot(page, "map")


def test_five_results_read_at_a_glance_in_the_first_screen(server, page, engine) -> None:
    _visit(page, server + _demo("/", q=QUERY), "Search arXiv by meaning")
    rows = page.evaluate(ROWS, "search")
    assert len(rows) == 10
    assert sum(_inside(row, page) for row in rows) >= MIN_ROWS, (rows, page.viewport_size)
    # A row: its title linking to the paper's page, a line of authors, year, categories and topic, and a snippet that
    # holds the query's words in bold; its abstract opens in place with its actions under it.
    first = page.locator(".st-key-card-search0")
    hit = engine.ranker.search(QUERY, k=1)[0]
    paper = engine.catalogue.papers.iloc[hit.row]
    assert first.locator("a[data-testid='stPageLink-NavLink']").get_attribute("href").startswith(f"paper?id={paper['id']}")
    meta = first.locator("[data-testid='stCaptionContainer']").inner_text()
    assert short_authors(paper["authors"]) in meta and "topic:" in meta
    excerpt = snippet(paper["abstract"], query_terms(QUERY))
    summary = first.locator("summary")
    if "$" not in excerpt.text:  # math is drawn by KaTeX
        assert " ".join(summary.locator("[data-testid='stMarkdownContainer']").inner_text().split()) == excerpt.text
    assert excerpt.spans and summary.locator("strong").all_inner_texts() == [excerpt.text[start:end] for start, end in excerpt.spans]
    assert not first.get_by_role("button", name="More like this").count()  # under the abstract, once opened
    summary.click()
    first.get_by_role("button", name="More like this").wait_for(timeout=30_000)
    assert " ".join(paper["abstract"].split())[:80] in " ".join(first.inner_text().split())
    _shot(page, "search")


def test_a_chosen_topic_shows_itself_in_the_first_screen(server, page, engine) -> None:
    topic = max(engine.catalogue.topics, key=lambda t: t["size"])
    _visit(page, server + _demo("/topics", topic=str(topic["id"])), f"Topic {topic['id']}")
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
    wait_for_app(page)
    heading = page.get_by_role("heading", name=f"Topic {topic['id']}").first.evaluate(BOX)
    keywords = page.get_by_text("Keywords:").first.evaluate(BOX)
    chart = page.locator("[data-testid='stVegaLiteChart']").first.evaluate(BOX)
    rows = page.evaluate(ROWS, f"t{topic['id']}-")
    assert _inside(heading, page) and _inside(keywords, page) and _inside(chart, page), (heading, keywords, chart)
    assert sum(_inside(row, page) for row in rows) >= 1, rows
    assert not page.locator("[data-testid='stDataFrame']").first.is_visible()  # the table of every topic is a tab away
    page.get_by_role("tab", name="All topics").click()
    page.locator("[data-testid='stDataFrame']").first.wait_for(state="visible", timeout=30_000)
    _shot(page, "topic")


def test_a_papers_pin_is_on_its_map_in_the_first_screen(server, page, engine) -> None:
    clustered = engine.catalogue.papers[engine.catalogue.papers["cluster"] >= 0]
    # The paper farthest from its topic's centre: a focused map must still show its pin.
    centres = clustered.groupby("cluster")[["x", "y"]].transform("median")
    far = ((clustered[["x", "y"]] - centres) ** 2).sum(axis=1).idxmax()
    paper = engine.catalogue.papers.loc[far]
    _visit(page, server + _demo("/paper", id=paper["id"]), "Nearest papers")
    page.locator(".js-plotly-plot .nsewdrag").first.wait_for(timeout=60_000)
    wait_for_app(page)
    plot = page.locator(".js-plotly-plot .nsewdrag").first.evaluate(BOX)
    pin = page.evaluate(MARKER, "This paper")
    assert _inside(plot, page), plot
    assert plot[0] < pin[0] < plot[2] and plot[1] < pin[1] < plot[3], (pin, plot)
    # Its nearest papers in the same compact rows.
    assert len(page.evaluate(ROWS, "n")) == 10
    _shot(page, "paper")


def test_hostile_text_stays_text_in_snippets(server, page) -> None:
    _visit(page, server + "/?" + urllib.parse.urlencode({"q": MARK, "k": 20, "model": "hostile"}), "Search arXiv by meaning")
    records = hostile_papers()
    text = " ".join(page.inner_text("body").replace("\u2060", "").split())
    for record in records:
        assert " ".join(snippet(record["abstract"], query_terms(MARK)).text.split()) in text
    assert page.locator("[data-testid='stExpander'] summary strong").all_inner_texts() == [MARK] * len(records)
    assert page.evaluate(INERT_CHECK) == []
    _shot(page, "hostile")


def test_every_change_to_a_setting_from_the_link_is_kept(server, browser) -> None:
    """A widget that takes its value from the link keeps the second change as well as the first (pages/url.py bind):
    before, Streamlit rebuilt it after one change from the link's old value, and the next change was dropped."""
    tab = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        _visit(tab, server + _demo("/", q=QUERY), "Search arXiv by meaning")
        slider = tab.get_by_role("slider").first  # Results: 10 by default, in steps of 5
        for expected in ("15", "20", "25"):
            slider.focus()
            tab.keyboard.press("ArrowRight")
            tab.wait_for_function("k => new URLSearchParams(location.search).get('k') === k", arg=expected, timeout=30_000)
            wait_for_app(tab)
            assert len(tab.evaluate(ROWS, "search")) == int(expected)
        box = tab.get_by_role("textbox").first
        for query in ("vortex shedding", "galaxy rotation curves"):
            box.fill(query)
            box.press("Enter")
            tab.wait_for_function("q => new URLSearchParams(location.search).get('q') === q", arg=query, timeout=30_000)
            wait_for_app(tab)
            assert box.input_value() == query
    finally:
        tab.close()
