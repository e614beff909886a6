"""Unit vectors: a model set stores its document vectors at unit length, so a dot product is a cosine.

`unit_rows` is the one normaliser: the build's document vectors and map features, the ANN index's centroids
and the benchmark's scaled copies all go through it.
"""

from __future__ import annotations

import numpy as np


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32, for cosine by dot product."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)
