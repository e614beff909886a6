"""The map follows the zoom in a real Chromium: labels placed for the view never overlap, finer topics' labels appear
zoomed in, and on a map drawn as a density image every paper in a zoomed view becomes a point to hover and select."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from lib.engine import load_engine
from lib.figures import CORNER_LEGEND, map_label
from lib.mapview import View, legend_box
from lib.settings import MAP_POINTS_ENV
from tests.conftest import streamlit_server, wait_for_app, wait_for_pinned_query
from tests.test_browser import _shot
from tests.test_map_scale import MAP_LIMIT, scaled  # noqa: F401 (the scaled set's fixture)

pytestmark = pytest.mark.browser

GRAPH = ".st-key-map .js-plotly-plot"
# The overlay's token once drawn, and the view it was drawn for.
OVERLAY = f"""() => {{ const gd = document.querySelector('{GRAPH}');
    return gd && gd.__overlayToken && (gd.layout.annotations || []).some(a => a.name === 'view label') ? gd.__overlayToken : null; }}"""
VIEW = f"""() => {{ const l = document.querySelector('{GRAPH}')._fullLayout;
    return [l.xaxis.range[0], l.xaxis.range[1], l.yaxis.range[0], l.yaxis.range[1]]; }}"""
# Every drawn label of the overlay: its text and its box on the screen.
LABEL_BOXES = f"""() => Array.from(document.querySelectorAll('{GRAPH} .infolayer .annotation'))
    .map(node => {{ const r = node.getBoundingClientRect();
        return [node.querySelector('.annotation-text').textContent, r.left, r.top, r.right, r.bottom]; }})"""
PLOT_BOX = f"""() => {{ const r = document.querySelector('{GRAPH} .nsewdrag').getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom]; }}"""
# The screen position and id of every paper drawn for the view.
VIEW_POINT_PLACES = f"""() => {{ const gd = document.querySelector('{GRAPH}');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
    return gd._fullData.filter(t => typeof t.uid === 'string' && t.uid.startsWith('view-points'))
        .flatMap(t => Array.from(t.x, (x, i) => [box.left + xa._offset + xa.l2p(x), box.top + ya._offset + ya.l2p(t.y[i]),
                                                   t.customdata[i][0]])); }}"""
VIEW_POINTS = f"""() => document.querySelector('{GRAPH}')._fullData
    .filter(t => typeof t.uid === 'string' && t.uid.startsWith('view-points'))
    .map(t => Array.from(t.customdata, row => row[0])).flat()"""


@pytest.fixture(scope="module")
def served(demo_model_set, tmp_path_factory):
    models = tmp_path_factory.mktemp("view")
    shutil.copytree(demo_model_set, models / "demo")
    with streamlit_server(models) as url:
        yield url


def open_map(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(url)
    page.locator(GRAPH).wait_for(timeout=90_000)
    wait_for_app(page)
    page.wait_for_function(OVERLAY, timeout=60_000)
    return page


def zoom(page, fraction_x: float, fraction_y: float, steps: int) -> str:
    """Scroll-zoom in at a point of the plot; wait for the overlay of the new view. Returns its token."""
    before = page.evaluate(OVERLAY)
    area = page.evaluate(PLOT_BOX)
    page.mouse.move(area[0] + (area[2] - area[0]) * fraction_x, area[1] + (area[3] - area[1]) * fraction_y)
    for _ in range(steps):
        page.mouse.wheel(0, -200)
        page.wait_for_timeout(60)
    page.wait_for_function(f"() => ({OVERLAY})() && ({OVERLAY})() !== {before!r}", timeout=60_000)
    wait_for_app(page)
    return page.evaluate(OVERLAY)


def assert_apart_and_inside(page) -> list[str]:
    """The overlay's labels: none overlapping another, every one inside the plot. Returns their texts."""
    boxes = page.evaluate(LABEL_BOXES)
    left, top, right, bottom = page.evaluate(PLOT_BOX)
    for i, (text, x0, y0, x1, y1) in enumerate(boxes):
        assert left - 1 <= x0 and x1 <= right + 1 and top - 1 <= y0 and y1 <= bottom + 1, (text, (x0, y0, x1, y1))
        for other, a0, b0, a1, b1 in boxes[i + 1 :]:
            assert not (x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1), f"'{text}' overlaps '{other}'"
    return [box[0] for box in boxes]


def test_labels_follow_the_zoom_and_never_overlap(served, browser, demo_model_set) -> None:
    catalogue = load_engine(demo_model_set).catalogue
    finest = {map_label(topic["label"]) for topic in catalogue.level(0).topics}
    page = open_map(browser, f"{served}/map?model=demo")
    # The map's own first labels give way to the overlay's: every label drawn is one placed for the view.
    names = page.evaluate(f"() => (document.querySelector('{GRAPH}').layout.annotations || []).map(a => a.name)")
    assert names and set(names) == {"view label"}
    whole = assert_apart_and_inside(page)
    assert whole
    _shot(page, "map-view-whole")
    x = np.asarray(catalogue.papers["x"])
    y = np.asarray(catalogue.papers["y"])
    # Zoom in on the largest topic's centre, where its own (finest) label is sure to be.
    largest = max(catalogue.level(0).topics, key=lambda topic: topic["size"])
    members = np.asarray(catalogue.clusters) == largest["id"]
    left, right, bottom, top = page.evaluate(VIEW)
    fx = (float(np.median(x[members])) - left) / (right - left)
    fy = (top - float(np.median(y[members]))) / (top - bottom)
    zoom(page, fx, fy, steps=6)
    near = assert_apart_and_inside(page)
    _shot(page, "map-view-zoomed")
    assert map_label(largest["label"]) in near and set(near) & finest
    assert set(near) != set(whole)
    assert not page.errors


# The pinned query's legend: its entries' texts and its backing's box on the screen.
LEGEND = f"""() => {{ const gd = document.querySelector('{GRAPH}'), r = gd.querySelector('.legend .bg').getBoundingClientRect();
    return [Array.from(gd.querySelectorAll('.legendtext'), n => n.textContent), [r.left, r.top, r.right, r.bottom]]; }}"""


def test_labels_keep_out_of_the_pinned_querys_legend(served, browser, demo_model_set) -> None:
    catalogue = load_engine(demo_model_set).catalogue
    page = open_map(browser, f"{served}/map?model=demo&q=" + "+".join(["spectral", "graph", "neural", "networks"] * 3))
    wait_for_pinned_query(page)
    # The largest topic's centre, where its label goes: moved under the legend by the second view.
    largest = max(catalogue.level(0).topics, key=lambda topic: topic["size"])
    members = np.asarray(catalogue.clusters) == largest["id"]
    centre = float(np.median(catalogue.papers["x"][members])), float(np.median(catalogue.papers["y"][members]))
    for step in ("whole", "topic under the legend"):
        entries, (l0, t0, l1, t1) = page.evaluate(LEGEND)
        left, top, right, bottom = page.evaluate(PLOT_BOX)
        view = View(*page.evaluate(VIEW), round(right - left), round(bottom - top))
        # The estimate the labels are placed round holds the legend Chromium drew.
        x0, y0, x1, y1 = legend_box(entries, view, CORNER_LEGEND["x"], 1 - CORNER_LEGEND["y"])
        assert x0 - 2 <= l0 - left and l1 - left <= x1 + 2 and y0 - 2 <= t0 - top and t1 - top <= y1 + 2, (entries, (l0, t0, l1, t1))
        texts = assert_apart_and_inside(page)
        for text, a0, b0, a1, b1 in page.evaluate(LABEL_BOXES):
            assert not (a0 < l1 and l0 < a1 and b0 < t1 and t0 < b1), f"'{text}' lies under the legend ({step})"
        _shot(page, "map-view-legend-" + step.split()[0])
        assert texts
        if step == "whole":
            # Pan (at this zoom) so that the topic's centre lies under the legend, 80 and 25 pixels into the plot.
            scale = view.scale()
            before = page.evaluate(OVERLAY)
            x_start, y_end = centre[0] - 80 / scale, centre[1] + 25 / scale
            ranges = [x_start, x_start + view.width / scale, y_end - view.height / scale, y_end]
            page.evaluate(
                f"r => window.Plotly.relayout(document.querySelector('{GRAPH}'), "
                "{'xaxis.range': [r[0], r[1]], 'yaxis.range': [r[2], r[3]]})",
                ranges,
            )
            page.wait_for_function(f"() => ({OVERLAY})() && ({OVERLAY})() !== {before!r}", timeout=60_000)
            wait_for_app(page)
    assert not page.errors


@pytest.fixture(scope="module")
def dense(scaled, tmp_path_factory):  # noqa: F811
    models = tmp_path_factory.mktemp("view-dense")
    shutil.copytree(scaled, models / "scaled")
    with streamlit_server(models, **{MAP_POINTS_ENV: str(MAP_LIMIT)}) as url:
        yield url


def test_zoomed_in_on_a_density_image_every_paper_in_view_is_a_point(dense, browser, scaled) -> None:  # noqa: F811
    papers = load_engine(scaled).catalogue.papers
    x, y = papers["x"].to_numpy(), papers["y"].to_numpy()
    page = open_map(browser, f"{dense}/map")
    assert page.evaluate(VIEW_POINTS) == []  # zoomed out: the density image and a sample only
    for _ in range(6):
        zoom(page, 0.5, 0.5, steps=3)
        left, right, bottom, top = page.evaluate(VIEW)
        inside = (x >= left) & (x <= right) & (y >= bottom) & (y <= top)
        if 0 < inside.sum() <= MAP_LIMIT:
            break
    else:
        pytest.fail(f"never fewer than {MAP_LIMIT} papers in view")
    drawn = page.evaluate(VIEW_POINTS)
    # The view reported is the one drawn: every paper inside it, and a margin of rounding at its edges.
    assert set(papers["id"].to_numpy()[inside]) <= set(drawn) and len(drawn) <= inside.sum() + 20
    _shot(page, "map-view-dense-zoomed")
    assert_apart_and_inside(page)
    # Hovering a paper drawn for the view names it: title, first author, year, id. The papers nearest the plot's
    # middle, away from its edges and toolbar, are tried in turn (one may lie under a label's backing).
    left, top, right, bottom = page.evaluate(PLOT_BOX)
    middle = ((left + right) / 2, (top + bottom) / 2)
    places = sorted(page.evaluate(VIEW_POINT_PLACES), key=lambda p: (p[0] - middle[0]) ** 2 + (p[1] - middle[1]) ** 2)
    hover = ""
    for x_px, y_px, _ in places[:8]:
        page.mouse.move(x_px, y_px)
        label = page.locator(f"{GRAPH} .hoverlayer .hovertext")
        try:
            label.first.wait_for(timeout=3_000)
        except PlaywrightTimeout:
            continue
        hover = label.first.text_content()
        break
    assert hover, "no hover label on any of the 8 papers nearest the plot's middle"
    ids = set(papers["id"].to_numpy()[inside])
    # The paper under the pointer, or one drawn on top of it (the longest id named: a replica's id holds its source's).
    shown = max((i for i in ids if i in hover), key=len)
    row = papers.set_index("id").loc[shown]
    assert row["title"][:40] in hover and row["authors"].split(",")[0].strip() in hover and row["update_date"][:4] in hover
    _shot(page, "map-view-dense-hover")
    assert not page.errors
