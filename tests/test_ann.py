"""The inverted-file index: exact when every list is visited, close to exact when few are, and the engine's use of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import scaling
from lib import ann
from lib.ann import IvfIndex, build_ivf, list_count, load_ivf, recall_at
from lib.engine import load_engine


def clustered_unit_vectors(n: int, dims: int = 32, groups: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around `groups` random directions, like document vectors of topics."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dims))
    points = centres[rng.integers(0, groups, n)] + 0.6 * rng.normal(size=(n, dims))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    scores = vectors @ query
    order = np.lexsort((np.arange(len(scores)), -scores))
    return order[:k]


def test_list_count_grows_with_the_square_root_within_bounds() -> None:
    assert list_count(10) == 16 and list_count(1_000_000) == 1000 and list_count(10**9) == 4096


def test_every_paper_is_in_exactly_one_list() -> None:
    vectors = clustered_unit_vectors(3000)
    index = build_ivf(vectors, seed=1, lists=25, log=lambda message: None)
    assert index.lists == 25 and index.offsets[0] == 0 and index.offsets[-1] == len(vectors)
    assert np.all(np.diff(index.offsets) >= 0)
    assert sorted(index.rows.tolist()) == list(range(len(vectors)))
    assert np.array_equal(index.vectors, vectors[index.rows])  # each list's vectors lie together, in list order
    norms = np.linalg.norm(index.centroids, axis=1)
    assert np.allclose(norms, 1, atol=1e-5)


def test_visiting_every_list_is_exact_and_few_lists_are_close() -> None:
    vectors = clustered_unit_vectors(5000)
    index = build_ivf(vectors, seed=0, lists=50, log=lambda message: None)
    queries = clustered_unit_vectors(60, seed=9)
    for query in queries[:10]:
        rows, scores = index.search(query, 10, probes=index.lists)
        assert rows.tolist() == exact_top(vectors, query, 10).tolist()
        assert np.allclose(scores, vectors[rows] @ query)
    exact = [exact_top(vectors, q, 10) for q in queries]
    few = [index.search(q, 10, probes=10)[0] for q in queries]
    one = [index.search(q, 10, probes=1)[0] for q in queries]
    assert recall_at(exact, few) >= 0.95
    assert recall_at(exact, one) < recall_at(exact, few)  # the test can tell a worse index from a good one


def test_saved_index_is_memory_mapped_and_answers_the_same(tmp_path: Path) -> None:
    vectors = clustered_unit_vectors(2000)
    index = build_ivf(vectors, seed=0, lists=20, probes=5, log=lambda message: None)
    recorded = index.save(tmp_path)
    assert recorded["lists"] == 20
    loaded = load_ivf(tmp_path, probes=5)
    assert isinstance(loaded, IvfIndex) and isinstance(loaded.rows.base, np.memmap)  # a view of the file, not a copy
    query = vectors[7]
    assert loaded.search(query, 5)[0].tolist() == index.search(query, 5)[0].tolist()
    assert load_ivf(tmp_path / "nowhere") is None


def test_recall_counts_shared_members() -> None:
    assert recall_at([np.array([1, 2, 3, 4])], [np.array([4, 3, 9, 8])]) == 0.5


@pytest.fixture(scope="module")
def indexed_set(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6,000-paper set scaled from the demo set, with an ANN index (the size threshold lowered for the test)."""
    out = tmp_path_factory.mktemp("ann") / "indexed"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scaling, "ANN_MIN_PAPERS", 1000)
        scaling.scale_model_set(demo_model_set, out, 6000, seed=2, log=lambda message: None)
    return out


def test_engine_ranks_with_the_index_close_to_an_exact_scan(indexed_set: Path) -> None:
    engine = load_engine(indexed_set)
    assert engine.catalogue.manifest["ann"]["lists"] == ann.list_count(6000) and engine.ranker.ann is not None
    titles = engine.catalogue.papers["title"].iloc[::300].tolist()
    for mode in ("hybrid", "semantic", "lexical"):
        approx = [np.array([h.row for h in engine.ranker.search(t, 10, mode=mode)]) for t in titles]
        truth = [np.array([h.row for h in engine.ranker.search(t, 10, mode=mode, approximate=False)]) for t in titles]
        assert recall_at(truth, approx) >= 0.95, mode
    hits = engine.ranker.search(titles[0], 10)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    paper = engine.catalogue.papers["id"].iloc[123]
    similar = engine.ranker.similar(paper, 10)
    assert len(similar) == 10 and paper not in {h.paper_id for h in similar}
    assert (
        recall_at([np.array([h.row for h in engine.ranker.similar(paper, 10, approximate=False)])], [np.array([h.row for h in similar])])
        >= 0.9
    )
    located, truth_located = engine.ranker.locate(titles[1]), engine.ranker.locate(titles[1], approximate=False)
    assert located.cluster == truth_located.cluster


def test_filtered_search_scans_exactly_even_with_an_index(indexed_set: Path) -> None:
    engine = load_engine(indexed_set)
    years = engine.catalogue.year_bounds()
    query = engine.catalogue.papers["title"].iloc[42]
    assert engine.ranker.search(query, 10, years=years) == engine.ranker.search(query, 10, years=years, approximate=False)
