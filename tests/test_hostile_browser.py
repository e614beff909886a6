"""Hostile text in papers and links stays text in a real Chromium: search, paper, topics and map pages, hover labels too."""

import contextlib
import json
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from lib.demo import generate_demo_records
from lib.engine import load_engine
from lib.snippets import query_terms, short_authors, snippet
from lib.topic_views import topic_members
from tests.conftest import SCREENSHOTS, build_small, streamlit_server, wait_for_app, wait_for_pinned_query, write_jsonl

pytestmark = pytest.mark.browser

MARK = "quokkaplasm"
HOSTILE = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    '<svg onload="window.__pwned=1">',
    '<iframe src="javascript:window.__pwned=1"></iframe>',
    "<style>body{display:none}</style>",
    "[click](javascript:window.__pwned=1)",
    ":material/home: :red[alert]",
    "{{7*7}} ${7*7} {% raw %} %{x}",
]
HOSTILE_ID = "demo-<b>bold</b><svg/onload=window.__pwned=1>"
# A model set folder named with Markdown: a link, bold and a directive would show if the name were not escaped.
HOSTILE_SET = "x_[click](javascript:alert(1)) **b** :red[alert]"
HOSTILE_PAPERS = len(HOSTILE) // 2
PAGE_SIZE = 20
# Plotly hovers the marker whose edge is nearest, and the query's star is 24 px wide: keep neighbours this far apart.
HOVER_GAP = 30
# Tall enough that a whole map is on screen below a paper's abstract, so every point can be hovered.
VIEWPORT = {"width": 1400, "height": 1700}
QUERY_BOXES = {"/": "What are you looking for?", "/map": "Pin a query on the map"}
BENIGN_URLS = ("https://fonts.gstatic.com/", "/_stcore/host-config", "/_stcore/health")

# Everything a page may not contain once hostile text has been rendered; returns what it found.
INERT_CHECK = """() => {
    const found = [];
    const live = new Set(['SCRIPT', 'IFRAME', 'IMG', 'SVG', 'STYLE', 'OBJECT', 'EMBED']);
    for (const el of document.querySelectorAll('*')) {
        for (const attr of el.attributes) {
            const name = attr.name.toLowerCase();
            if (name.startsWith('on')) found.push(`${el.tagName} ${name}=${attr.value}`);
            if (/^\\s*javascript:/i.test(attr.value)) found.push(`${el.tagName} ${name}=${attr.value}`);
            if (live.has(el.tagName.toUpperCase()) && attr.value.includes('__pwned')) found.push(`${el.tagName} ${name}=${attr.value}`);
        }
        const tag = el.tagName.toUpperCase();
        if ((tag === 'SCRIPT' || tag === 'STYLE') && /__pwned|body\\{display:none\\}/.test(el.textContent)) found.push(`${tag} text`);
        if (tag === 'IMG' && el.getAttribute('src') === 'x') found.push('IMG src=x');
    }
    if (window.__pwned !== undefined) found.push('window.__pwned is set');
    if (getComputedStyle(document.body).display === 'none') found.push('body hidden');
    return found;
}"""

# Screen positions of map coordinates on the first plotly chart, from its axes, and whether each is inside the plot area.
POSITIONS = """(points) => {
    const gd = document.querySelector('.js-plotly-plot');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
    return points.map(([x, y]) => {
        const [left, top] = [box.left + xa.l2p(x), box.top + ya.l2p(y)];
        return [left, top, left > box.left + 5 && left < box.right - 5 && top > box.top + 5 && top < box.bottom - 5];
    });
}"""


# Whether a hover label shows this text: labels follow the mouse a moment later, and points passed on the way
# show theirs first.
HOVER_SHOWS = "text => [...document.querySelectorAll('.hoverlayer .hovertext')].some(node => node.textContent.includes(text))"
# Whether the page's visible text (word joiners dropped) contains a string.
VISIBLE_TEXT = "text => document.body.innerText.replaceAll('\\u2060', '').includes(text)"


def _hostile(first: int, count: int) -> str:
    """`count` hostile strings from the `first`, wrapping round."""
    return " ".join(HOSTILE[(first + i) % len(HOSTILE)] for i in range(count))


def _hostile_records() -> list[dict]:
    """400 demo papers, four of one topic rewritten so each carries every hostile string (one also a hostile id).

    Paper i has strings 2i, 2i+1 in its title, the next two in its authors and the other four in its abstract, so
    each string appears once in every place. Their own dollars are dropped so no KaTeX math hides the literal text.
    """
    records = generate_demo_records(400, seed=1)
    category = records[0]["categories"].split()[0]
    chosen = [r for r in records if r["categories"].split()[0] == category][:HOSTILE_PAPERS]
    for i, record in enumerate(chosen):
        record.update({name: record[name].replace("$", "") for name in ("title", "abstract")})
        record["title"] = f"{_hostile(2 * i, 2)} {MARK} {record['title']}"
        record["authors"] = f"{HOSTILE[(2 * i + 2) % len(HOSTILE)]}, {HOSTILE[(2 * i + 3) % len(HOSTILE)]}, {record['authors']}"
        record["abstract"] = f"{_hostile(2 * i + 4, 2)} {MARK} {record['abstract']} {_hostile(2 * i + 6, 2)}"
    chosen[0]["id"] = HOSTILE_ID
    return records


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    corpus = write_jsonl(root / "corpus.jsonl", _hostile_records())
    build_small(corpus, root / "models" / "hostile")
    # Broken (its manifest's paper count is not a number), so its message, which names it, is shown too.
    manifest = json.loads((root / "models" / "hostile" / "manifest.json").read_text(encoding="utf-8"))
    manifest["counts"]["papers"] = "many"
    (root / "models" / HOSTILE_SET).mkdir()
    (root / "models" / HOSTILE_SET / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root / "models"


@pytest.fixture(scope="module")
def engine(models):
    return load_engine(models / "hostile")


@pytest.fixture(scope="module")
def hostile(engine) -> list[int]:
    """Rows of the papers carrying hostile text."""
    rows = [row for row, title in enumerate(engine.catalogue.papers["title"]) if MARK in title]
    assert len(rows) == HOSTILE_PAPERS
    return rows


@pytest.fixture(scope="module")
def server(models):
    with streamlit_server(models) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh tab that records page errors and console errors in `page.problems`."""
    tab = browser.new_page(viewport=VIEWPORT)
    tab.problems = []
    tab.on("pageerror", lambda error: tab.problems.append(f"pageerror: {error}"))
    tab.on("console", lambda message: _console_problem(tab, message))
    yield tab
    tab.close()


def _console_problem(page, message) -> None:
    """Record a console error unless it is an offline icon font or Streamlit probing its endpoints below a page's path."""
    url = message.location.get("url", "")
    benign = url.startswith(BENIGN_URLS[0]) or any(url.endswith(end) for end in BENIGN_URLS[1:])
    if message.type == "error" and not benign:
        page.problems.append(f"console: {message.text} ({url})")


def _visit(page, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=90_000)
    wait_for_app(page, pause_ms=300)


def _wait_for_titles(page, count: int) -> None:
    """Wait until every result row shows its title: a row's title is a page link, which Chromium draws a moment after
    the rest of the row."""
    expect(page.locator("[class*='st-key-card-'] [data-testid='stPageLink-NavLink']")).to_have_count(count, timeout=60_000)


def _text(page, selector: str = "body") -> str:
    """Visible text with word joiners dropped and whitespace folded, as a reader sees it."""
    return " ".join(page.inner_text(selector).replace("\u2060", "").split())


def _assert_inert(page) -> None:
    assert page.evaluate(INERT_CHECK) == []
    assert page.problems == []


def _assert_literal(text: str, *pieces: str) -> None:
    for piece in pieces:
        assert " ".join(piece.split()) in text


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _nearest_gap(engine, row: int, others: list[tuple[float, float]]) -> float:
    """Map distance from a paper to the nearest other paper or other marker (e.g. the query's star)."""
    coords = engine.catalogue.papers[["x", "y"]].to_numpy(dtype=float)
    gaps = np.hypot(*(coords - coords[row]).T)
    gaps[row] = np.inf
    extra = np.hypot(*(np.asarray(others, dtype=float).reshape(-1, 2) - coords[row]).T)
    return float(min(gaps.min(), extra.min(initial=np.inf)))


def _zoom_onto(page, point: list[float], gap: float) -> tuple[float, float]:
    """Reset the axes, then box-zoom around the point with the chart's zoom tool until a neighbour `gap` away on the
    map is HOVER_GAP pixels away on screen; return the point's screen position."""
    page.locator(".js-plotly-plot").first.hover()
    page.locator(".modebar-btn[data-val='reset']").first.click()
    page.locator(".modebar-btn[data-val='zoom']").first.click()
    for attempt in range(7):
        (x, y, _), (x_far, _, _) = page.evaluate(POSITIONS, [point, [point[0] + gap, point[1]]])
        if x_far - x >= HOVER_GAP or attempt == 6:
            return x, y
        page.mouse.move(x - 40, y - 40)
        page.mouse.down()
        page.mouse.move(x + 40, y + 40, steps=8)
        page.mouse.up()
        page.wait_for_timeout(500)


def _hover_texts(page, engine, rows: list[int], others: list[tuple[float, float]] = ()) -> list[str]:
    """Move the mouse onto each paper's map point, zoomed in where its neighbours are too close, and collect the
    hover layer's text once it shows the paper's title (or after 5 s); the page must stay inert all along."""
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    texts = []
    for row in rows:
        point = [float(engine.catalogue.papers.iloc[row]["x"]), float(engine.catalogue.papers.iloc[row]["y"])]
        gap = _nearest_gap(engine, row, others)
        (x, y, inside), (x_far, _, _) = page.evaluate(POSITIONS, [point, [point[0] + gap, point[1]]])
        if not inside or x_far - x < HOVER_GAP:
            x, y = _zoom_onto(page, point, gap)
        assert 0 < x < VIEWPORT["width"] and 0 < y < VIEWPORT["height"], "the point is off screen"
        page.mouse.move(x + 25, y + 25)
        page.mouse.move(x, y, steps=3)
        title = " ".join(engine.catalogue.papers.iloc[row]["title"].split())[:60]
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_function(HOVER_SHOWS, arg=title, timeout=5000)
        texts.append(" ".join(page.locator(".hoverlayer").first.text_content().split()))
        assert page.evaluate(INERT_CHECK) == []
    return texts


def test_search_results_show_hostile_titles_authors_and_snippets_as_text(server, page, engine, hostile) -> None:
    _visit(page, server + f"/?q={MARK}&k=20", "Search arXiv by meaning")
    expect(page.locator("[data-testid='stExpander']")).to_have_count(20, timeout=60_000)
    _wait_for_titles(page, 20)
    text = _text(page)
    for row in hostile:
        paper = engine.catalogue.papers.iloc[row]
        # The title (a link to the paper's page), the authors cut short and the snippet around the query's word.
        _assert_literal(text, paper["title"], short_authors(paper["authors"]), snippet(paper["abstract"], query_terms(MARK)).text)
    assert "{{7*7}}" in text and ":material/home:" in text and ":red[alert]" in text
    marked = page.locator("[data-testid='stExpander'] summary strong").all_inner_texts()
    assert marked.count(MARK) == len(hostile) and set(marked) == {MARK}  # the query's word in bold, nothing else
    # Each hostile paper's snippet opens in place on its whole abstract, still text.
    ranks = [hit.row for hit in engine.ranker.search(MARK, k=20)]
    for row in hostile:
        card = page.locator(f".st-key-card-search{ranks.index(row)}")
        card.locator("summary").click()
        # The abstract is drawn by the row's own rerun, a moment after the snippet opens.
        expect(card.locator("[data-testid='stExpanderDetails'] [data-testid='stMarkdownContainer']").first).to_be_visible(timeout=30_000)
        _assert_literal(_text(page), engine.catalogue.papers.iloc[row]["abstract"])
    assert page.locator("a[href^='javascript']").count() == 0
    _shot(page, "hostile-search")
    _assert_inert(page)


def test_each_hostile_paper_page_shows_its_text_literally(server, page, engine, hostile) -> None:
    for row in hostile:
        paper = engine.catalogue.papers.iloc[row]
        _visit(page, server + "/paper?" + urllib.parse.urlencode({"id": paper["id"]}), "Nearest papers")
        expect(page.locator("[data-testid='stExpander']")).to_have_count(10, timeout=60_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        _assert_literal(_text(page), paper["title"], paper["authors"], paper["abstract"], paper["id"])
        assert " ".join(paper["title"].split()) in _text(page, "h1")
        if paper["id"] == HOSTILE_ID:
            (label,) = _hover_texts(page, engine, [row])
            assert " ".join(paper["title"].split())[:60] in label
            _shot(page, "hostile-paper")
        _assert_inert(page)


def test_the_hostile_topic_and_its_listing_stay_text(server, page, engine, hostile) -> None:
    # The topic of the first hostile paper that has one (an unclustered paper, cluster -1, has no topic page).
    clustered = [row for row in hostile if int(engine.catalogue.papers.iloc[row]["cluster"]) >= 0]
    assert clustered, "every hostile paper is unclustered"
    cluster = int(engine.catalogue.papers.iloc[clustered[0]]["cluster"])
    topic = next(t for t in engine.catalogue.topics if t["id"] == cluster)
    order = list(topic_members(engine.catalogue.papers, topic)["id"])
    mine = [paper_id for paper_id in engine.catalogue.papers.iloc[hostile]["id"] if paper_id in order]
    assert mine, "no hostile paper fell in the first hostile paper's topic"
    numbers = sorted({order.index(paper_id) // PAGE_SIZE + 1 for paper_id in mine})
    for number in numbers:
        _visit(page, server + f"/topics?topic={cluster}&p={number}", f"Topic {cluster}")
        cards = min(PAGE_SIZE, len(order) - (number - 1) * PAGE_SIZE)
        expect(page.locator("[data-testid='stExpander']")).to_have_count(cards, timeout=60_000)
        _wait_for_titles(page, cards)
        text = _text(page)
        for paper_id in mine:
            if order.index(paper_id) // PAGE_SIZE + 1 == number:
                paper = engine.catalogue.papers.iloc[engine.catalogue.row_of(paper_id)]
                shown = snippet(paper["abstract"], query_terms(" ".join(topic["keywords"]))).text
                _assert_literal(text, paper["title"], short_authors(paper["authors"]), shown)
        _assert_inert(page)
    _shot(page, "hostile-topic")


def test_map_hover_labels_and_legend_show_hostile_text_literally(server, page, engine, hostile) -> None:
    _visit(page, server + f"/map?q={MARK}", "Topic map")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    wait_for_pinned_query(page, MARK)
    legend = page.locator(".js-plotly-plot .legendtext").evaluate_all("nodes => nodes.map(n => n.textContent)")
    assert f"Query: {MARK}" in legend
    star = engine.ranker.locate(MARK)
    labels = _hover_texts(page, engine, hostile, [(star.x, star.y)])
    for row, label in zip(hostile, labels, strict=True):
        paper = engine.catalogue.papers.iloc[row]
        assert " ".join(paper["title"].split())[:60] in label and paper["id"] in label
    _shot(page, "hostile-map")
    _assert_inert(page)


LINKS = [
    ("/", {"q": HOSTILE[0]}, "Search arXiv by meaning", HOSTILE[0]),
    ("/paper", {"id": '<img src=x onerror="window.__pwned=1">'}, "Paper", 'No paper with id <img src=x onerror="window.__pwned=1">'),
    ("/", {"model": '<svg onload="window.__pwned=1">'}, "Search arXiv by meaning", "not here"),
    ("/map", {"q": HOSTILE[0], "focus": HOSTILE[1]}, "Topic map", "Query: " + HOSTILE[0]),
    ("/topics", {"topic": HOSTILE[0]}, "Topics", "does not exist"),
    ("/", {"like": HOSTILE[3]}, "Search arXiv by meaning", "not in this model set"),
]


def test_hostile_link_parameters_stay_text(server, page) -> None:
    for path, params, heading, expected in LINKS:
        _visit(page, server + path + "?" + urllib.parse.urlencode(params), heading)
        if path == "/map":
            page.locator(".js-plotly-plot .legendtext").first.wait_for(timeout=60_000)
            legend = page.locator(".js-plotly-plot .legendtext").evaluate_all("nodes => nodes.map(n => n.textContent)")
            assert expected in legend, page.url
        else:
            page.wait_for_function(VISIBLE_TEXT, arg=expected, timeout=60_000)
        if "q" in params:
            expect(page.get_by_label(QUERY_BOXES[path])).to_have_value(params["q"], timeout=30_000)
        _assert_inert(page)


def test_a_set_named_with_markdown_shows_its_name_as_typed(server, page) -> None:
    _visit(page, server + "/?" + urllib.parse.urlencode({"model": HOSTILE_SET}), "Search arXiv by meaning")
    page.wait_for_function(VISIBLE_TEXT, arg=f"model set '{HOSTILE_SET}': manifest.json field 'counts.papers'", timeout=60_000)
    picker = page.locator("[data-testid='stSidebar'] input[aria-label='Model set']")
    assert picker.input_value() == f"{HOSTILE_SET} · broken"  # the picker's options are plain text
    picker.click()
    expect(page.get_by_role("option", name=f"{HOSTILE_SET} · broken", exact=True)).to_have_count(1, timeout=30_000)
    page.keyboard.press("Escape")
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("[data-testid='stAlertContainer'] strong").count() == 0  # no **b** turned bold
    _shot(page, "hostile-set-name")
    _assert_inert(page)


def test_a_link_too_long_for_streamlit_says_so(server, page) -> None:
    # Streamlit drops a query string of more than 1,000 parameters whole; the page names it instead of opening empty
    # (from the server's first page run on, which installs the check: README, "Links").
    _visit(page, server + "/", "Search arXiv by meaning")
    _visit(page, server + "/?" + "&".join(f"more{i}=2401.{i:05d}" for i in range(1001)), "Search arXiv by meaning")
    page.wait_for_function(VISIBLE_TEXT, arg="This link has 1,001 parameters", timeout=60_000)
    assert "more than Streamlit reads" in _text(page)
    _assert_inert(page)
