"""Approximate nearest papers for large sets: an inverted-file (IVF) index over the unit document vectors.

k-means splits the vectors into lists around centroids; a query scores the centroids, then only the
papers of its `probes` nearest lists, with exact cosines. This is the idea of faiss's IndexIVFFlat, kept
in numpy so the index is four plain .npy arrays that a model set memory-maps (nothing to load at start):
the centroids, the list boundaries, the paper rows in list order and a copy of the vectors in that order,
so each visited list is one contiguous block (gathering scattered rows was ten times slower).
Below ANN_MIN_PAPERS a search scans every vector. An update of the set (lib/update.py) keeps the centroids and
puts each new or changed vector in its nearest list (`with_rows`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.setfiles import ANN
from lib.stages import Log
from lib.vectors import unit_rows

# Sets with fewer papers are scanned exactly: 200,000 x 100 floats take about 10 ms.
ANN_MIN_PAPERS = 200_000
# k-means is trained on this many points per list (at most), then every paper is assigned.
SAMPLE_PER_LIST = 64
# Lists a query visits: a query-time setting (recall@10 against exact scans in docs/BENCHMARKS.md).
DEFAULT_PROBES = 96
ASSIGN_CHUNK = 1 << 16


def list_count(n_papers: int) -> int:
    """About the square root of the number of papers, between 16 and 4,096 lists."""
    return int(min(4096, max(16, round(math.sqrt(n_papers)))))


@dataclass
class IvfIndex:
    """Centroids (unit rows), list boundaries, the paper rows and their vectors in list order, lists a query visits."""

    centroids: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray
    vectors: np.ndarray
    probes: int = DEFAULT_PROBES

    @property
    def lists(self) -> int:
        """Number of lists."""
        return len(self.centroids)

    def _probed(self, query: np.ndarray, probes: int | None) -> np.ndarray:
        probes = max(1, min(probes or self.probes, self.lists))
        return np.sort(np.argpartition(-(self.centroids @ query), probes - 1)[:probes])

    def search(self, query: np.ndarray, k: int, probes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The (rows, cosines) of the k best papers in the visited lists, best first (ties by row)."""
        rows, scores = [], []
        for i in self._probed(query, probes):
            start, end = self.offsets[i], self.offsets[i + 1]
            if end > start:
                rows.append(self.rows[start:end])
                scores.append(self.vectors[start:end] @ query)
        if not rows or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows, scores = np.concatenate(rows).astype(np.int64), np.concatenate(scores).astype(np.float32)
        k = min(k, len(rows))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((rows[top], -scores[top]))]
        return rows[top], scores[top]

    def save(self, folder: Path) -> dict:
        """Write the four arrays under the set's ANN file names (lib/setfiles.py); return what the manifest records about the index."""
        np.save(folder / ANN["centroids"], self.centroids.astype(np.float32))
        np.save(folder / ANN["offsets"], self.offsets.astype(np.int64))
        np.save(folder / ANN["rows"], self.rows.astype(np.int32))
        np.save(folder / ANN["vectors"], np.asarray(self.vectors, dtype=np.float32))
        return {"method": "inverted file (k-means lists), exact cosine within visited lists", "lists": self.lists}


def load_ivf(folder: Path, probes: int = DEFAULT_PROBES) -> IvfIndex | None:
    """The saved index, memory-mapped, or None when the set has none."""
    if not all((folder / name).is_file() for name in ANN.values()):
        return None
    # Plain ndarray views of the maps: slicing a np.memmap costs microseconds of Python per list visited.
    arrays = {key: np.asarray(np.load(folder / name, mmap_mode="r")) for key, name in ANN.items()}
    return IvfIndex(np.asarray(arrays["centroids"]), np.asarray(arrays["offsets"]), arrays["rows"], arrays["vectors"], probes)


def build_ivf(vectors: np.ndarray, seed: int = 0, lists: int | None = None, probes: int = DEFAULT_PROBES, log: Log = print) -> IvfIndex:
    """k-means (scikit-learn) on a sample of the unit vectors, then every paper assigned to its nearest centroid."""
    from sklearn.cluster import KMeans

    n = len(vectors)
    lists = min(lists or list_count(n), n)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(n, lists * SAMPLE_PER_LIST), replace=False))
    log(f"ANN index: k-means with {lists:,} lists on {len(sample):,} of {n:,} vectors")
    kmeans = KMeans(n_clusters=lists, n_init=1, max_iter=20, random_state=seed).fit(np.asarray(vectors[sample], dtype=np.float32))
    centroids = unit_rows(kmeans.cluster_centers_.astype(np.float32))
    assignment = np.empty(n, dtype=np.int32)
    for start in range(0, n, ASSIGN_CHUNK):
        block = np.asarray(vectors[start : start + ASSIGN_CHUNK], dtype=np.float32)
        assignment[start : start + len(block)] = np.argmax(block @ centroids.T, axis=1)
    order = np.argsort(assignment, kind="stable").astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(assignment, minlength=lists))]).astype(np.int64)
    return IvfIndex(centroids, offsets, order, np.asarray(vectors, dtype=np.float32)[order], probes)


def with_rows(index: IvfIndex, vectors: np.ndarray, rows: np.ndarray) -> IvfIndex:
    """The index over `vectors` (every paper's unit vector, row i = paper i; the old papers first) with `rows`, papers
    added or whose vector changed, each put at the end of its nearest centroid's list; every other paper keeps its list
    and place. The centroids stay: k-means is not run again, so lists grow unevenly as papers are added."""
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    changed = np.zeros(len(vectors), dtype=bool)
    changed[rows] = True
    list_of = np.repeat(np.arange(index.lists, dtype=np.int64), np.diff(index.offsets))
    kept = ~changed[np.asarray(index.rows, dtype=np.int64)]
    assigned = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), ASSIGN_CHUNK):
        block = np.asarray(vectors[rows[start : start + ASSIGN_CHUNK]], dtype=np.float32)
        assigned[start : start + len(block)] = np.argmax(block @ index.centroids.T, axis=1)
    all_rows = np.concatenate([np.asarray(index.rows, dtype=np.int64)[kept], rows])
    all_lists = np.concatenate([list_of[kept], assigned])
    order = all_rows[np.argsort(all_lists, kind="stable")]
    offsets = np.concatenate([[0], np.cumsum(np.bincount(all_lists, minlength=index.lists))]).astype(np.int64)
    return IvfIndex(index.centroids, offsets, order.astype(np.int32), np.asarray(vectors[order], dtype=np.float32), index.probes)


def _list_layout(index: IvfIndex, n_papers: int, rows: np.ndarray, row_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """with_rows' lists: (kept, assigned, offsets): which stored entries stay, each changed row's list, the new bounds."""
    changed = np.zeros(n_papers, dtype=bool)
    changed[rows] = True
    kept = ~changed[np.asarray(index.rows, dtype=np.int64)]
    assigned = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), ASSIGN_CHUNK):
        block = np.asarray(row_vectors[start : start + ASSIGN_CHUNK], dtype=np.float32)
        assigned[start : start + len(block)] = np.argmax(block @ index.centroids.T, axis=1)
    list_of = np.repeat(np.arange(index.lists, dtype=np.int64), np.diff(index.offsets))
    sizes = np.bincount(list_of[kept], minlength=index.lists) + np.bincount(assigned, minlength=index.lists)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return kept, assigned, offsets


def write_with_rows(index: IvfIndex, n_papers: int, rows: np.ndarray, row_vectors: np.ndarray, folder: Path) -> dict:
    """Write to `folder` the index `with_rows` gives (the same four arrays), without a copy of every vector in memory:
    `rows` are the papers added or whose vector changed (sorted, distinct; n_papers in all), row_vectors[i] the vector
    of rows[i]. Each list is written in turn: its stored vectors that stay, read from the index's memory-mapped copy,
    then its new ones. Return what the manifest records about the index."""
    rows = np.asarray(rows, dtype=np.int64)
    row_vectors = np.asarray(row_vectors, dtype=np.float32)
    if len(rows) and np.any(np.diff(rows) <= 0):
        raise ValueError("rows must be sorted and distinct")
    kept, assigned, offsets = _list_layout(index, n_papers, rows, row_vectors)
    order = np.argsort(assigned, kind="stable")
    new_bounds = np.searchsorted(assigned[order], np.arange(index.lists + 1))
    out_rows = np.empty(int(offsets[-1]), dtype=np.int32)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False}
    with open(folder / ANN["vectors"], "wb") as handle:  # written in order: no output pages kept mapped
        np.lib.format.write_array_header_1_0(handle, {**header, "shape": (int(offsets[-1]), index.centroids.shape[1])})
        for i in range(index.lists):
            start, end, at = int(index.offsets[i]), int(index.offsets[i + 1]), int(offsets[i])
            stays = kept[start:end]
            old_rows, old_vectors = np.asarray(index.rows[start:end]), np.asarray(index.vectors[start:end], dtype=np.float32)
            if not stays.all():
                old_rows, old_vectors = old_rows[stays], old_vectors[stays]
            mine = order[new_bounds[i] : new_bounds[i + 1]]
            out_rows[at : at + len(old_rows)] = old_rows
            out_rows[at + len(old_rows) : at + len(old_rows) + len(mine)] = rows[mine]
            handle.write(np.ascontiguousarray(old_vectors).tobytes())
            handle.write(np.ascontiguousarray(row_vectors[mine]).tobytes())
    np.save(folder / ANN["centroids"], np.asarray(index.centroids, dtype=np.float32))
    np.save(folder / ANN["offsets"], offsets)
    np.save(folder / ANN["rows"], out_rows)
    return {"method": "inverted file (k-means lists), exact cosine within visited lists", "lists": index.lists}


def recall_at(exact: list[np.ndarray], approximate: list[np.ndarray]) -> float:
    """Mean share of each exact top list that the approximate list also holds."""
    shares = [len(set(a.tolist()) & set(e.tolist())) / len(e) for e, a in zip(exact, approximate, strict=True) if len(e)]
    return float(np.mean(shares)) if shares else 1.0
