"""Identical or near-identical texts must not blow up the map: copies are placed, not fitted, and a neighbour
graph that falls apart into many groups makes UMAP start from PCA instead of its spectral layout."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from lib import modelset
from lib.layout import distinct_text_rows, fit_umap, layout_groups, nearest_neighbours
from lib.params import UmapParams
from tests.conftest import build_small, write_jsonl


def test_distinct_text_rows_keeps_the_first_paper_of_each_text(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b\nc d\na b\n\nc d\ne\n\n", encoding="utf-8")
    assert distinct_text_rows(corpus).tolist() == [0, 1, 3, 5]


def test_a_corpus_of_copies_is_fitted_on_its_distinct_texts_and_every_copy_placed_with_its_original(
    demo_corpus: Path, tmp_path: Path
) -> None:
    with gzip.open(demo_corpus, "rt", encoding="utf-8") as lines:
        originals = [json.loads(line) for _, line in zip(range(300), lines, strict=False)]
    copies = 10
    records = [{**record, "id": f"{record['id']}-c{copy}"} for copy in range(copies) for record in originals]
    corpus = write_jsonl(tmp_path / "copies.jsonl", records)
    out = tmp_path / "copies"
    manifest = build_small(corpus, out, **{"hdbscan.min_cluster_size": 15})
    fit = manifest["map_fit"]
    assert fit["papers"] == len(originals) and fit["repeated_texts"] == len(originals) * (copies - 1)
    assert "place" in manifest["stages"]
    papers = modelset.load_papers_frame(out / modelset.PAPERS)
    coords = np.load(out / modelset.MAP).reshape(copies, len(originals), 2)
    clusters = np.load(out / modelset.CLUSTERS).reshape(copies, len(originals))
    assert papers["id"].tolist()[: len(originals)] == [r["id"] + "-c0" for r in originals]
    # Every copy lies near its original (well within the map's spread) and nearly always shares its topic.
    spread = np.ptp(coords[0], axis=0).max()
    offsets = np.linalg.norm(coords[1:] - coords[0], axis=2)
    assert np.median(offsets) < 0.05 * spread and np.percentile(offsets, 95) < 0.2 * spread
    assert (clusters[1:] == clusters[0]).mean() > 0.9
    assert len(manifest["counts"]) and manifest["counts"]["clusters"] >= 2


def test_too_few_distinct_texts_is_one_clear_error(demo_corpus: Path, tmp_path: Path) -> None:
    from lib.build import BuildError

    with gzip.open(demo_corpus, "rt", encoding="utf-8") as lines:
        originals = [json.loads(line) for _, line in zip(range(5), lines, strict=False)]
    records = [{**record, "id": f"{record['id']}-c{copy}"} for copy in range(10) for record in originals]
    with pytest.raises(BuildError, match="only 5 distinct texts among 50 papers"):
        build_small(write_jsonl(tmp_path / "few.jsonl", records), tmp_path / "few")
    assert not (tmp_path / "few").exists()


@pytest.mark.parametrize("size", [20, 12], ids=["groups-larger-than-k", "groups-smaller-than-k"])
def test_a_graph_in_many_groups_starts_umap_from_pca(size: int) -> None:
    """Groups of near-identical points (not exact copies) cut UMAP's graph apart: larger than the neighbour count
    they cut the neighbour graph itself; smaller, their few ties to other points are too weak for UMAP to keep.
    (A small limit of groups here, so that the test stays small; the build's is MAX_SPECTRAL_GROUPS.)"""
    rng = np.random.default_rng(0)
    groups, limit = 80, 40
    centres = rng.normal(size=(groups, 24))
    points = (np.repeat(centres, size, axis=0) + rng.normal(scale=1e-4, size=(groups * size, 24))).astype(np.float32)
    neighbours = nearest_neighbours(points, 16, seed=0)
    found = layout_groups(points, neighbours.indices[:, :15], neighbours.distances[:, :15], "cosine", seed=0)
    assert limit < found <= groups
    said: list[str] = []
    coords = fit_umap(
        points, UmapParams(n_neighbors=15), 2, seed=0, verbose=False, neighbours=neighbours, log=said.append, max_spectral_groups=limit
    )
    assert coords.shape == (groups * size, 2) and np.isfinite(coords).all()
    assert any(f"{found:,} groups" in line and "PCA" in line for line in said), said
    # One connected cloud keeps UMAP's spectral start (nothing said).
    cloud = rng.normal(size=(2000, 24)).astype(np.float32)
    cloud_neighbours = nearest_neighbours(cloud, 16, seed=0)
    assert layout_groups(cloud, cloud_neighbours.indices[:, :15], cloud_neighbours.distances[:, :15], "cosine", seed=0) == 1
    said.clear()
    fit_umap(cloud, UmapParams(n_neighbors=15), 2, seed=0, verbose=False, neighbours=cloud_neighbours, log=said.append)
    assert said == []
