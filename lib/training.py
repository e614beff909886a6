"""Training: the tokenised corpus file, Doc2Vec on it, the UMAP map and HDBSCAN clusters."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gensim.models.callbacks import CallbackAny2Vec
from gensim.models.doc2vec import Doc2Vec

from lib.cleaning import clean_text
from lib.lexical import LexicalIndex
from lib.params import Doc2VecParams, HdbscanParams, TopicParams, UmapParams

Log = Callable[[str], None]


def write_corpus(texts: Iterable[str], path: Path) -> int:
    """Write one cleaned document per line (gensim's corpus_file format); return the line count."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for text in texts:
            out.write(clean_text(text))
            out.write("\n")
            count += 1
    return count


class _EpochProgress(CallbackAny2Vec):
    """Reports each finished Doc2Vec epoch with elapsed time."""

    def __init__(self, epochs: int, log: Log) -> None:
        self.epochs, self.log, self.epoch, self.start = epochs, log, 0, time.perf_counter()

    def on_epoch_end(self, model: Doc2Vec) -> None:
        self.epoch += 1
        elapsed = time.perf_counter() - self.start
        step = max(1, self.epochs // 10)
        if self.epoch % step == 0 or self.epoch == self.epochs:
            eta = elapsed / self.epoch * (self.epochs - self.epoch)
            self.log(f"  doc2vec epoch {self.epoch}/{self.epochs}  {elapsed:.0f}s elapsed, ~{eta:.0f}s left")


def train_doc2vec(corpus_file: Path, n_docs: int, params: Doc2VecParams, workers: int, seed: int, log: Log) -> Doc2Vec:
    """Train Doc2Vec streaming from the corpus file; document i is line i."""
    logging.getLogger("gensim").setLevel(logging.WARNING)
    model = Doc2Vec(
        corpus_file=str(corpus_file),
        dm=params.dm,
        dbow_words=params.dbow_words,
        vector_size=params.vector_size,
        window=params.window,
        min_count=params.min_count,
        epochs=params.epochs,
        negative=params.negative,
        sample=params.sample,
        max_final_vocab=params.max_final_vocab,
        workers=workers,
        seed=seed,
        callbacks=[_EpochProgress(params.epochs, log)],
    )
    if len(model.dv) != n_docs:
        raise RuntimeError(f"Doc2Vec saw {len(model.dv)} documents, expected {n_docs}")
    return model


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32, for cosine by dot product."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


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


def neighbour_groups(indices: np.ndarray) -> int:
    """How many separate groups the k-nearest-neighbour graph (rows of neighbour indices) falls into."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    n, k = indices.shape
    valid = indices >= 0
    rows = np.repeat(np.arange(n), k)[valid.ravel()]
    graph = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, indices[valid])), shape=(n, n))
    return int(connected_components(graph, directed=True, connection="weak")[0])


# UMAP's spectral start lays out each separate group of the neighbour graph and then the groups among
# themselves with dense group-by-group matrices: 300,000 papers in 21,000 groups of identical texts took
# 18.4 GB (and UMAP fell back to a random start anyway). Beyond this many groups UMAP starts from PCA.
MAX_SPECTRAL_GROUPS = 256


def fit_umap(
    vectors: np.ndarray,
    params: UmapParams,
    n_components: int,
    seed: int,
    verbose: bool,
    neighbours: Neighbours | None = None,
    log: Log | None = None,
) -> np.ndarray:
    """Reduce vectors to n_components with UMAP (seeded, so the layout is reproducible), reusing neighbours if given.

    With more than MAX_SPECTRAL_GROUPS separate groups in the neighbour graph, UMAP starts from PCA instead of
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
        groups = neighbour_groups(knn[0])
        if groups > MAX_SPECTRAL_GROUPS:
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


def cluster_points(points: np.ndarray, params: HdbscanParams, workers: int) -> np.ndarray:
    """HDBSCAN cluster labels (-1 is noise) for the given low-dimensional points."""
    from hdbscan import HDBSCAN

    size = max(2, min(params.cluster_size(len(points)), len(points)))
    clusterer = HDBSCAN(
        min_cluster_size=size,
        min_samples=params.min_samples,
        metric=params.metric,
        cluster_selection_method=params.cluster_selection_method,
        core_dist_n_jobs=workers,
    )
    return clusterer.fit_predict(points).astype(np.int32)


def by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0, 1, ... from the largest down (ties by old number); noise stays -1."""
    labels = np.asarray(labels)
    clustered = labels[labels >= 0]
    if not len(clustered):
        return labels.astype(np.int32)
    old, sizes = np.unique(clustered, return_counts=True)
    order = old[np.lexsort((old, -sizes))]
    mapping = np.full(int(old.max()) + 1, -1, dtype=np.int32)
    mapping[order] = np.arange(len(order), dtype=np.int32)
    return np.where(labels >= 0, mapping[np.clip(labels, 0, None)], -1).astype(np.int32)


def merge_clusters(features: np.ndarray, labels: np.ndarray, max_distance: float | None) -> np.ndarray:
    """Join clusters whose centres (mean feature vectors) lie within max_distance, cosine, average linkage."""
    from scipy.cluster.hierarchy import fcluster, linkage

    labels = np.asarray(labels)
    ids = np.unique(labels[labels >= 0])
    if max_distance is None or len(ids) < 2:
        return by_size(labels)
    centres = np.vstack([features[labels == cluster].mean(axis=0) for cluster in ids])
    groups = fcluster(linkage(centres, method="average", metric="cosine"), t=max_distance, criterion="distance") - 1
    merged = np.where(labels >= 0, groups[np.searchsorted(ids, np.clip(labels, ids[0], None))], -1)
    return by_size(merged)


def unsettle(labels: np.ndarray, neighbours: np.ndarray, min_agreement: float, max_share: float) -> np.ndarray:
    """Leave unclustered the papers whose nearest papers mostly lie in other topics (least agreement first, capped)."""
    labels = np.asarray(labels).copy()
    if min_agreement <= 0 or max_share <= 0 or not len(labels):
        return labels
    others = neighbours != np.arange(len(labels))[:, None]
    same = (labels[neighbours] == labels[:, None]) & others
    agreement = same.sum(axis=1) / np.maximum(others.sum(axis=1), 1)
    candidates = np.flatnonzero((agreement < min_agreement) & (labels >= 0))
    limit = int(max_share * len(labels)) - int((labels < 0).sum())
    candidates = candidates[np.lexsort((candidates, agreement[candidates]))][: max(limit, 0)]
    labels[candidates] = -1
    return labels


def assign_noise(points: np.ndarray, labels: np.ndarray, neighbours: int = 10) -> np.ndarray:
    """Give each unclustered point the cluster most common among its nearest clustered points."""
    from sklearn.neighbors import NearestNeighbors

    labels = labels.copy()
    noise = labels == -1
    if not noise.any() or noise.all():
        return labels
    clustered = np.flatnonzero(~noise)
    k = min(neighbours, len(clustered))
    index = NearestNeighbors(n_neighbors=k).fit(points[clustered])
    _, nearest = index.kneighbors(points[noise])
    votes = labels[clustered][nearest]
    labels[noise] = [np.bincount(row).argmax() for row in votes]
    return labels


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
