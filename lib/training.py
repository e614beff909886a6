"""Training: the tokenised corpus file, Doc2Vec on it, the UMAP map and HDBSCAN clusters."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from gensim.models.callbacks import CallbackAny2Vec
from gensim.models.doc2vec import Doc2Vec

from lib.cleaning import clean_text
from lib.params import Doc2VecParams, HdbscanParams, UmapParams

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


def fit_umap(vectors: np.ndarray, params: UmapParams, n_components: int, seed: int, verbose: bool) -> np.ndarray:
    """Reduce document vectors to n_components with UMAP (seeded, so the layout is reproducible)."""
    import warnings

    from umap import UMAP

    warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
    n_neighbors = max(2, min(params.n_neighbors, len(vectors) - 1))
    reducer = UMAP(
        n_neighbors=n_neighbors,
        n_components=n_components,
        min_dist=params.min_dist,
        metric=params.metric,
        random_state=seed,
        verbose=verbose,
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
