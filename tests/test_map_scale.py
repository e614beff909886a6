"""Scaled benchmark model sets, and a map above the point limit in a real Chromium: density image, selections on all papers."""

import shutil
import subprocess

import numpy as np
import pytest
from playwright.sync_api import expect

from bench.scaling import scale_model_set
from lib.arxiv_ids import normalize_id
from lib.engine import load_engine
from lib.figures import HOVER_POINTS
from lib.modelset import load_model_set
from lib.selection import points_in_box, points_in_polygon
from lib.settings import MAP_POINTS_ENV
from tests.conftest import PYTHON, ROOT, streamlit_server, wait_for_pinned_query
from tests.test_browser import _open, _settle, _shot

SCALED_PAPERS = 6000
MAP_LIMIT = 2000


@pytest.fixture(scope="module")
def scaled(demo_model_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("scaled") / "scaled"
    scale_model_set(demo_model_set, out, SCALED_PAPERS, seed=1, log=lambda message: None)
    return out


def test_scaled_set_is_valid_and_replicates_every_paper(demo_model_set, scaled) -> None:
    source, model = load_model_set(demo_model_set), load_model_set(scaled)
    n = len(source.papers)
    rows = np.arange(SCALED_PAPERS) % n
    assert len(model.papers) == SCALED_PAPERS and model.papers["id"].is_unique
    assert all(normalize_id(i) == i for i in model.papers["id"])
    assert model.papers["id"].iloc[n + 3] == source.papers["id"].iloc[3] + "-r1"
    assert (model.papers["title"].to_numpy() == source.papers["title"].to_numpy()[rows]).all()
    assert model.papers.iloc[:n].drop(columns="synthetic").equals(source.papers.drop(columns="synthetic"))
    assert np.array_equal(model.vectors[:n], source.vectors) and np.array_equal(model.coords[:n], source.coords)
    assert np.array_equal(model.clusters, np.asarray(source.clusters)[rows])
    assert np.allclose(np.linalg.norm(model.vectors, axis=1), 1, atol=1e-5)
    cosines = (np.asarray(model.vectors) * np.asarray(source.vectors)[rows]).sum(axis=1)
    assert cosines[n:].min() > 0.97 and cosines[n:].max() < 1
    moved = np.linalg.norm(np.asarray(model.coords) - np.asarray(source.coords)[rows], axis=1)
    span = float(np.ptp(source.coords, axis=0).max())
    assert moved[:n].max() == 0 and 0 < np.median(moved[n:]) < span / 50
    assert np.array_equal(model.papers[["x", "y"]].to_numpy(), model.coords)
    sizes = {t["id"]: t["size"] for t in model.topics}
    assert sum(sizes.values()) + int((model.clusters == -1).sum()) == SCALED_PAPERS
    # Coarser levels are worked out again for the scaled set, not copied with the source's sizes.
    assert model.levels is not None and len(model.levels) > 1
    assert all(sum(t["size"] for t in level.topics) == sum(sizes.values()) for level in model.levels)
    assert model.manifest["synthetic"] and model.manifest["scaled_from"]["papers"] == n
    assert model.manifest["counts"]["papers"] == SCALED_PAPERS


def test_scaled_bm25_rows_are_the_source_rows_with_idf_for_the_new_count(demo_model_set, scaled) -> None:
    source, model = load_model_set(demo_model_set).lexical, load_model_set(scaled).lexical
    n = source.n_docs
    assert model.n_docs == SCALED_PAPERS and model.vocabulary == source.vocabulary
    df = np.diff(model.columns.indptr)
    assert np.allclose(model.idf, np.log1p((SCALED_PAPERS - df + 0.5) / (df + 0.5)), rtol=1e-5)
    ratio = np.asarray(model.idf) / np.asarray(source.idf)
    old, new = source.columns.tocsr(), model.columns.tocsr()
    for row in (0, n - 1, n, 2 * n + 7, SCALED_PAPERS - 1):
        assert new[row].indices.tolist() == old[row % n].indices.tolist()
        assert np.allclose(new[row].data, old[row % n].data * ratio[old[row % n].indices], rtol=1e-5)
    assert np.allclose(np.sqrt(np.asarray(new.multiply(new).sum(axis=1)).ravel()), model.row_norms, rtol=1e-4)


def test_a_scaled_paper_is_most_like_its_replicas(scaled) -> None:
    engine = load_engine(scaled)
    paper_id = engine.catalogue.papers["id"].iloc[5]
    replicas = [f"{paper_id}-r{r}" for r in range(1, SCALED_PAPERS // engine.catalogue.manifest["scaled_from"]["papers"])]
    hits = engine.ranker.similar(paper_id, k=len(replicas), mode="lexical")
    assert sorted(hit.paper_id for hit in hits) == sorted(replicas)
    assert min(hit.score for hit in hits) > 0.999


def test_the_script_scales_down_too_and_prints_what_it_wrote(demo_model_set, tmp_path) -> None:
    out = tmp_path / "small"
    args = [PYTHON, "-m", "bench.scale_model_set", "--model", str(demo_model_set), "--papers", "500", "--out", str(out)]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    assert "wrote" in result.stdout and "500 papers" in result.stdout and "vectors.npy" in result.stdout
    model = load_model_set(out)
    assert len(model.papers) == 500 and model.lexical.n_docs == 500
    assert sum(t["size"] for t in model.topics) + int((model.clusters == -1).sum()) == 500


@pytest.fixture(scope="module")
def dense_server(scaled, tmp_path_factory):
    models = tmp_path_factory.mktemp("served-dense")
    shutil.copytree(scaled, models / "scaled")
    with streamlit_server(models, **{MAP_POINTS_ENV: str(MAP_LIMIT)}) as url:
        yield url


SELECTIONS = """() => (document.querySelector('.js-plotly-plot')._fullLayout.selections || []).map(
    s => ({type: s.type, x0: s.x0, x1: s.x1, y0: s.y0, y1: s.y1, path: s.path || ''}))"""
DRAWN_INSIDE = """([x0, x1, y0, y1]) => document.querySelector('.js-plotly-plot')._fullData
    .filter(t => t.mode === 'markers')
    .reduce((n, t) => n + Array.from(t.x).filter((x, i) => x >= x0 && x <= x1 && t.y[i] >= y0 && t.y[i] <= y1).length, 0)"""


def _shown(page) -> int:
    heading = page.get_by_text("selected papers").first.inner_text()
    return int("".join(ch for ch in heading.split("selected")[0] if ch.isdigit()))


def _drag(page, path) -> None:
    page.mouse.move(*path[0])
    page.mouse.down()
    for point in path[1:]:
        page.mouse.move(*point, steps=8)
    page.mouse.up()


@pytest.mark.browser
def test_large_map_is_an_image_and_box_and_lasso_select_among_all_papers(dense_server, browser, scaled) -> None:  # noqa: F811
    coords = np.load(scaled / "map.npy")
    page = _open(browser, dense_server + "/map?q=galaxies+stellar+mass", "Topic map")
    page.locator(".js-plotly-plot .imagelayer image").first.wait_for(timeout=60_000)
    sizes = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.map(t => (t.x || []).length)")
    assert max(sizes) <= HOVER_POINTS and sum(sizes) < SCALED_PAPERS
    wait_for_pinned_query(page, "galaxies stellar mass")
    legend = page.locator(".js-plotly-plot .legendtext").evaluate_all("nodes => nodes.map(n => n.textContent)")
    assert any(text.startswith("Query: galaxies stellar mass") for text in legend)
    _shot(page, "map-dense")
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    _drag(page, [(area["x"] + area["width"] * 0.3, area["y"] + 5), (area["x"] + area["width"] * 0.95, area["y"] + area["height"] * 0.7)])
    page.get_by_text("selected papers").first.wait_for(timeout=60_000)
    _settle(page)
    expect(page.locator("[data-testid='stDataFrame']")).to_have_count(1, timeout=60_000)
    (box,) = page.evaluate(SELECTIONS)
    inside = points_in_box(coords[:, 0], coords[:, 1], (box["x0"], box["x1"]), (box["y0"], box["y1"]))
    drawn = page.evaluate(
        DRAWN_INSIDE, [min(box["x0"], box["x1"]), max(box["x0"], box["x1"]), min(box["y0"], box["y1"]), max(box["y0"], box["y1"])]
    )
    assert _shown(page) == int(inside.sum()) > drawn > 0
    _shot(page, "map-dense-box")
    before = _shown(page)
    page.locator(".js-plotly-plot").first.hover()
    page.locator(".modebar-btn[data-val='lasso']").first.click()
    # Started outside the box drawn above (a drag that starts inside a selection moves it) and clear of the legend of
    # what is pinned, in the plot's top-left corner (a drag that starts on it draws nothing).
    corners = [(0.2, 0.95), (0.25, 0.25), (0.9, 0.85)]
    _drag(page, [(area["x"] + area["width"] * f, area["y"] + area["height"] * g) for f, g in [*corners, corners[0]]])
    page.wait_for_function(
        "(before) => Array.from(document.querySelectorAll('h3')).some(h => h.textContent.includes('selected papers') "
        "&& !h.textContent.startsWith(before))",
        arg=f"{before:,} ",
        timeout=60_000,
    )
    _settle(page)
    (lasso,) = page.evaluate(SELECTIONS)
    vertices = [tuple(float(v) for v in point.split(",")) for point in lasso["path"].strip("MZ").split("L")]
    inside = points_in_polygon(coords[:, 0], coords[:, 1], tuple(v[0] for v in vertices), tuple(v[1] for v in vertices))
    assert lasso["type"] == "path" and _shown(page) == int(inside.sum()) > 0
    assert not page.errors
