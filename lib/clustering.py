"""Clustering: HDBSCAN's clusters of the map's points turned into topics.

Contract. A paper's label is its topic: 0, 1, ... numbered from the largest topic down (`by_size`), or NOISE
(-1) for a paper in no topic ("unclustered"). Labels are integer arrays, one per point; no function changes the
array it is given. The steps, in the order a build runs them: `cluster_points` (HDBSCAN),
`assign_noise` (optional: noise joins its neighbours' cluster), `merge_clusters` (clusters whose centres lie
close become one topic), `unsettle` (papers whose nearest papers mostly lie in other topics become noise).
"""

from __future__ import annotations

import numpy as np

from lib.params import HdbscanParams

# The label of a paper in no topic: HDBSCAN's noise, shown as "unclustered".
NOISE = -1


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
