"""The 2-D layout: the map's features, their nearest neighbours, UMAP, and the placement of papers outside the fit.

Contract. `topic_features` gives the vectors the map and topics are computed from (row i = paper i). The map
is fitted on the rows `map_sample_rows` picks: every paper, or a sample, and only the first paper of each
distinct text (`distinct_text_rows`). `nearest_neighbours` of the fitted rows are found once and shared by
both UMAP fits (`fit_umap`: the 2-D map and the space clustered), the build's agreement check and placing.
Papers outside the fit get the similarity-weighted mean position of their nearest fitted papers and the topic
of their weighted vote (`place_by_neighbours`, `place_rest` a block at a time). Everything is seeded: the
same features and seed give the same layout.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lib.params import TopicParams, UmapParams
from lib.stages import Log
from lib.vectors import unit_rows

if TYPE_CHECKING:  # lib.lexical imports scikit-learn, which a build should not load before its read succeeded
    from lib.lexical import LexicalIndex

# Below this many papers neighbours are found exactly, above it approximately (as UMAP itself does).
EXACT_NEIGHBOURS_BELOW = 4096


def topic_features(
    vectors: np.ndarray, lexical: LexicalIndex | None, params: TopicParams, seed: int, fit_rows: np.ndarray | None = None
) -> np.ndarray:
    """The vectors the map and topics are computed from: Doc2Vec alone, or joined with the LSA view of BM25
    (its SVD fitted on `fit_rows`, the map's sample, when given). Built in place: one copy of the result."""
    vectors = unit_rows(vectors)
    if params.features == "doc2vec" or lexical is None:
        return vectors
    latent = lexical.latent_vectors(params.lsa_dims, seed, fit_rows)
    features = np.empty((len(vectors), vectors.shape[1] + latent.shape[1]), dtype=np.float32)
    features[:, : vectors.shape[1]], features[:, vectors.shape[1] :] = vectors, latent
    del vectors, latent
    features /= np.float32(np.sqrt(2.0))
    return features


@dataclass(frozen=True)
class Neighbours:
    """Each point's nearest points (itself included) with cosine distances, shared by both UMAP fits."""

    indices: np.ndarray
    distances: np.ndarray
    search_index: object = None


def nearest_neighbours(features: np.ndarray, k: int, seed: int) -> Neighbours:
    """Cosine k-nearest neighbours: exact for small corpora, NN-descent (seeded, one thread) above."""
    k = max(2, min(k, len(features)))
    if len(features) < EXACT_NEIGHBOURS_BELOW:
        from sklearn.neighbors import NearestNeighbors

        distances, indices = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(features).kneighbors(features)
        return Neighbours(indices.astype(np.int32), distances.astype(np.float32))
    from umap.umap_ import nearest_neighbors

    indices, distances, index = nearest_neighbors(
        features, k, "cosine", {}, False, np.random.RandomState(seed), low_memory=True, n_jobs=1, verbose=False
    )
    return Neighbours(indices, distances, index)


def layout_groups(features: np.ndarray, indices: np.ndarray, distances: np.ndarray, metric: str, seed: int) -> int:
    """How many separate groups the graph that UMAP lays out falls into.

    That graph is UMAP's fuzzy graph of the neighbours without the edges weaker than 1/epochs of the strongest,
    which UMAP drops before its spectral start. A group of near-identical papers smaller than the neighbour count
    is still tied to other papers by its members' farthest neighbours, but those edges are so weak beside the
    group's inner ones that UMAP drops them: 300,000 papers whose texts differed only by one title word, 14 of
    each, fell into thousands of groups although the plain neighbour graph held together.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from umap.umap_ import fuzzy_simplicial_set

    graph, _, _ = fuzzy_simplicial_set(
        features, indices.shape[1], np.random.RandomState(seed), metric, knn_indices=indices, knn_dists=distances
    )
    graph = graph.tocoo()
    # UMAP's default epochs (500 up to 10,000 points, else 200) set its cut; fit_umap leaves them at the default.
    epochs = 500 if graph.shape[0] <= 10_000 else 200
    kept = graph.data >= graph.data.max() / epochs
    pruned = coo_matrix((graph.data[kept], (graph.row[kept], graph.col[kept])), shape=graph.shape).tocsr()
    return int(connected_components(pruned, directed=False)[0])


# UMAP's spectral start lays out each separate group of its graph and then the groups among themselves with
# dense group-by-group matrices: 300,000 papers in 21,000 groups of identical texts took 18.4 GB, and of
# near-identical ones 19 GB and rising when stopped (and UMAP falls back to a random start anyway). Beyond
# this many groups UMAP starts from PCA.
MAX_SPECTRAL_GROUPS = 256


def fit_umap(
    vectors: np.ndarray,
    params: UmapParams,
    n_components: int,
    seed: int,
    verbose: bool,
    neighbours: Neighbours | None = None,
    log: Log | None = None,
    max_spectral_groups: int = MAX_SPECTRAL_GROUPS,
) -> np.ndarray:
    """Reduce vectors to n_components with UMAP (seeded, so the layout is reproducible), reusing neighbours if given.

    With more than max_spectral_groups separate groups in UMAP's graph (see layout_groups), UMAP starts from PCA instead of
    its spectral layout, whose memory grows with the square of the number of groups."""
    import warnings

    from umap import UMAP

    warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
    warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)
    n_neighbors = max(2, min(params.n_neighbors, len(vectors) - 1))
    knn = (None, None, None)
    init = "spectral"
    if neighbours is not None and neighbours.indices.shape[1] >= n_neighbors:
        knn = (neighbours.indices[:, :n_neighbors], neighbours.distances[:, :n_neighbors], neighbours.search_index)
        groups = layout_groups(vectors, knn[0], knn[1], params.metric, seed)
        if groups > max_spectral_groups:
            init = "pca"
            if log:
                log(f"  the neighbour graph falls apart into {groups:,} groups (near-identical papers?): UMAP starts from PCA")
    reducer = UMAP(
        init=init,
        n_neighbors=n_neighbors,
        n_components=n_components,
        min_dist=params.min_dist,
        metric=params.metric,
        random_state=seed,
        verbose=verbose,
        precomputed_knn=knn,
    )
    return reducer.fit_transform(vectors).astype(np.float32)


def map_sample_rows(n_papers: int, sample: int | None, seed: int, distinct: np.ndarray | None = None) -> np.ndarray | None:
    """Sorted rows of the papers the map and topics are fitted on, or None to fit on every paper.

    With `distinct` (the first row of each distinct text, see distinct_text_rows), only those rows are fitted:
    copies of one text are placed afterwards, like the papers outside a sample.
    """
    rows = np.arange(n_papers) if distinct is None else np.asarray(distinct)
    if len(rows) == n_papers and (sample is None or n_papers <= sample):
        return None
    if sample is None or len(rows) <= sample:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, size=sample, replace=False))


def distinct_text_rows(corpus_file: Path) -> np.ndarray:
    """Sorted rows of the corpus file's lines whose text no earlier line has (the first paper of each text).

    Copies of one text under many ids (a corpus merged twice, mirrored records) form groups of identical
    papers. A group larger than UMAP's neighbour count is cut off from every other paper in the neighbour
    graph; thousands of such groups made UMAP's spectral layout of the groups need 18.4 GB on 300,000 papers
    (each text 14 times). Fitting on distinct texts avoids that and costs 8 bytes per paper here.
    """
    with open(corpus_file, "rb") as lines:
        keys = np.fromiter(
            (int.from_bytes(hashlib.blake2b(line.rstrip(b"\n"), digest_size=8).digest(), "little") for line in lines), dtype=np.uint64
        )
    _, first = np.unique(keys, return_index=True)
    return np.sort(first)


def _query(neighbours: Neighbours, fitted: np.ndarray, block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    if neighbours.search_index is not None:
        return neighbours.search_index.query(block, k=k)
    from sklearn.neighbors import NearestNeighbors

    distances, indices = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(fitted).kneighbors(block)
    return indices, distances


def place_by_neighbours(
    nearest: np.ndarray, distances: np.ndarray, coords: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The similarity-weighted mean of the nearest fitted points' coordinates, and the topic with the largest
    weighted vote among them (unclustered counts as a topic): how a paper outside the sample is placed."""
    weights = np.clip(1.0 - distances.astype(np.float64), 1e-6, None)
    placed = np.einsum("mk,mkd->md", weights, coords[nearest].astype(np.float64)) / weights.sum(axis=1, keepdims=True)
    tally = np.zeros((len(nearest), int(labels.max()) + 2))
    rows = np.repeat(np.arange(len(nearest)), nearest.shape[1])
    np.add.at(tally, (rows, (labels[nearest] + 1).ravel()), weights.ravel())
    return placed.astype(np.float32), (tally.argmax(axis=1) - 1).astype(np.int32)


def place_rest(
    neighbours: Neighbours,
    fitted: np.ndarray,
    features: np.ndarray,
    rows: np.ndarray,
    coords: np.ndarray,
    labels: np.ndarray,
    k: int,
    log: Log,
) -> tuple[np.ndarray, np.ndarray]:
    """Map coordinates and topics of the papers in `rows` (outside the fitted sample), a block at a time:
    only a block of their features is ever copied."""
    chunk = 1 << 16
    placed = np.empty((len(rows), coords.shape[1]), dtype=np.float32)
    topics = np.empty(len(rows), dtype=np.int32)
    k = max(1, min(k, len(fitted)))
    for start in range(0, len(rows), chunk):
        block = features[rows[start : start + chunk]]
        nearest, distances = _query(neighbours, fitted, block, k)
        placed[start : start + len(block)], topics[start : start + len(block)] = place_by_neighbours(nearest, distances, coords, labels)
        log(f"  placed {start + len(block):,} of {len(rows):,} papers")
    return placed, topics
