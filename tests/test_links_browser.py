"""Every in-app link keeps the model set a view shows: two sets served, the second chosen, every link followed in Chromium.

Links are the sidebar navigation (Streamlit's own, which drops the query string), page links and the buttons that
open another page. Each view is opened with `model=second`; each of its links (one per label and destination) is
followed from a freshly opened view, and the page it leads to must show the second set, in its picker and its URL.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import pages.nav as nav
from lib.engine import load_engine
from tests.conftest import build_small, open_row, streamlit_server, wait_for_app, write_jsonl

pytestmark = pytest.mark.browser

SECOND = "second"
SECOND_PAPERS = 600
QUERY = "qubits stabilizer codes"
PICKER = "[data-testid='stSidebar'] input[aria-label='Model set']"
# Buttons that open a page (or another view of this one) rather than change something on it.
NAVIGATING_BUTTONS = ("More like this", "Back to search")
# What the title links of result rows (one per paper, all to the paper page) count as: one target per view.
ROW_TITLE = "a result's title"
# Shown links to pages of the app (not the skip-to-content anchor, not arXiv's pages).
LINKS = """origin => [...document.querySelectorAll('a[href]')]
    .filter(a => a.href.startsWith(origin) && !a.getAttribute('href').startsWith('#'))
    .filter(a => a.offsetParent !== null && a.innerText.trim())
    .map(a => ({text: a.innerText.trim(), href: a.href, attribute: a.getAttribute('href'),
                sidebar: !!a.closest('[data-testid="stSidebarNav"]'), row: !!a.closest('[class*="st-key-card-"]')}))"""


@pytest.fixture(scope="module")
def models(demo_model_set: Path, demo_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sets: 'demo' (the default, first by name) and 'second', a part of the demo corpus with arXiv-style ids."""
    root = tmp_path_factory.mktemp("two-sets")
    shutil.copytree(demo_model_set, root / "models" / "demo")
    with gzip.open(demo_corpus, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in itertools.islice(lines, SECOND_PAPERS)]
    for i, record in enumerate(records):
        record["id"] = f"2401.{i:05d}"  # so that a search for an id offers its paper page too
    build_small(write_jsonl(root / "second.jsonl", records), root / "models" / SECOND)
    return root / "models"


@pytest.fixture(scope="module")
def second(models: Path):
    return load_engine(models / SECOND)


@pytest.fixture(scope="module")
def server(models: Path):
    with streamlit_server(models) as url:
        yield url


def _settle(page) -> None:
    wait_for_app(page)


def _open(page, address: str) -> None:
    """Open a view and the first result row's snippet, under which its actions (More like this) are."""
    page.goto(address)
    page.locator(PICKER).wait_for(timeout=90_000)
    _settle(page)
    rows = page.locator("[class*='st-key-card-']:has([data-testid='stExpander'])")
    if rows.count():
        open_row(page, rows.first)


def _shown(page) -> tuple[str, list[str]]:
    """The model set the page's picker shows (its first words), and the `model` values of its URL."""
    chosen = page.locator(PICKER).input_value().split(" · ")[0]
    return chosen, urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query).get("model", [])


def _targets(page, origin: str, path: str) -> list[tuple[str, str, object]]:
    """(what, label, locator) of every link and navigating button of the page, one per label and destination.

    Links to the page one is on are left out: Streamlit (1.67) opens nothing for them, not even with other parameters
    (their addresses are checked all the same).
    """
    found: dict[tuple[str, str], tuple[str, str, object]] = {}
    for link in page.evaluate(LINKS, origin):
        label, destination = link["text"].splitlines()[-1], urllib.parse.urlparse(link["href"]).path  # label: after the icon's name
        label = ROW_TITLE if link["row"] else label
        if destination != path:
            what = "sidebar link" if link["sidebar"] else "link"
            found.setdefault((label, destination), (what, label, page.locator(f"a[href={json.dumps(link['attribute'])}]").first))
    for label in NAVIGATING_BUTTONS:
        if page.get_by_role("button", name=label, exact=True).count():
            found[(label, "button")] = ("button", label, page.get_by_role("button", name=label, exact=True).first)
    return list(found.values())


def _follow(page, target) -> None:
    """Click a link or button and wait until the page it opens has run."""
    before = page.url
    target.click()
    try:
        page.wait_for_function("before => location.href !== before", arg=before, timeout=60_000)
    except PlaywrightTimeout:
        pytest.fail(f"{target} on {before} opened nothing in 60 s")
    _settle(page)


def _views(engine) -> list[tuple[str, dict[str, str]]]:
    """A view of each page with every kind of link it can show (the search page three times: results, an id, like)."""
    row = next(row for row, cluster in enumerate(engine.catalogue.papers["cluster"]) if cluster >= 0)
    paper, topic = engine.catalogue.papers["id"].iloc[row], int(engine.catalogue.papers["cluster"].iloc[row])
    return [
        ("/", {"q": QUERY}),
        ("/", {"q": f"arXiv:{paper}"}),
        ("/", {"like": paper}),
        ("/map", {"q": QUERY}),
        ("/topics", {"topic": str(topic)}),
        ("/paper", {"id": paper}),
        ("/marked", {"more": paper}),
        ("/whats_new", {"more": paper}),
    ]


def _model_of(address: str) -> list[str]:
    return urllib.parse.parse_qs(urllib.parse.urlparse(address).query).get("model", [])


def test_every_in_app_link_on_every_page_keeps_the_chosen_model_set(server, browser, second) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    lost, followed, sidebar_followed_on = [], set(), set()
    for path, params in _views(second):
        view = f"{server}{path}?{urllib.parse.urlencode({**params, 'model': SECOND})}"
        _open(page, view)
        assert _shown(page) == (SECOND, [SECOND]), view
        # Every page link (one per paper card, say) names the set in its address, followed below or not.
        hrefs = page.locator("[data-testid='stPageLink-NavLink']").evaluate_all("nodes => nodes.map(n => n.href)")
        lost += [f"{view}: page link {href}" for href in hrefs if _model_of(href) != [SECOND]]
        targets = _targets(page, server, path)
        # The sidebar links every listed page but the one shown (the paper page is not listed).
        listed = sum(not app_page.hidden for app_page in nav.PAGES)
        assert sum(what == "sidebar link" for what, _, _ in targets) == (listed if path == "/paper" else listed - 1), (view, targets)
        fresh = True
        for what, label, target in targets:
            if what == "sidebar link" and path in sidebar_followed_on:
                continue  # followed from another view of this page already
            if not fresh:
                _open(page, view)
            _follow(page, target)
            fresh = False
            followed.add(label)
            shown = _shown(page)
            if shown != (SECOND, [SECOND]):
                lost.append(f"{view}: {what} '{label}' opened {page.url} showing set {shown[0]!r}")
        sidebar_followed_on.add(path)
    assert not lost, "\n".join(lost)
    expected = {"Search", "Topic map", "Topics", "Marked papers", ROW_TITLE, "More like this", "Back to search"}
    assert expected | {"Show on the map", "All papers of this topic"} <= followed, followed
    assert any(label.startswith("Open the paper page") for label in followed)
    assert not errors


def test_marking_a_map_selection_opens_the_marked_papers_of_the_chosen_set(server, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _open(page, f"{server}/map?{urllib.parse.urlencode({'q': QUERY, 'model': SECOND})}")
    page.locator(".js-plotly-plot .nsewdrag").first.wait_for(timeout=60_000)
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + 5, area["y"] + 5)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.6, area["y"] + area["height"] * 0.6, steps=12)
    page.mouse.up()
    page.get_by_text("selected papers").first.wait_for(timeout=60_000)
    _settle(page)
    _follow(page, page.get_by_role("button", name=re.compile(r"^Mark (these|the first) .* papers 'more like'$")))
    page.get_by_text("Most like the marked papers").first.wait_for(timeout=60_000)
    assert urllib.parse.urlparse(page.url).path == "/marked"
    assert _shown(page) == (SECOND, [SECOND])
