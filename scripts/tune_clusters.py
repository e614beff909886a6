"""Try clustering settings on a built model set's vectors and print topic-quality figures per setting.

    python scripts/tune_clusters.py --model models/NAME [--neighbors 15 30] [--dims 5] [--sizes 30 60] [--samples 5 10]

For each UMAP (neighbours, dims) the embedding is computed once; every HDBSCAN setting is then
measured: clusters, noise share, NMI with the primary category (all clustered papers, and those
whose primary is a full category), largest cluster share; with and without noise assignment.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.evaluation import clustering_figures  # noqa: E402
from lib.modelset import load_model_set  # noqa: E402
from lib.params import HdbscanParams, UmapParams  # noqa: E402
from lib.topics import primary_category  # noqa: E402
from lib.training import assign_noise, cluster_points, fit_umap  # noqa: E402


def main() -> None:
    """Run the grid and print one line per setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--neighbors", type=int, nargs="+", default=[15, 30])
    parser.add_argument("--dims", type=int, nargs="+", default=[5])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 60])
    parser.add_argument("--samples", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--methods", nargs="+", default=["eom", "leaf"])
    args = parser.parse_args()
    model_set = load_model_set(args.model)
    vectors = np.asarray(model_set.vectors)
    primaries = np.array([primary_category(c) for c in model_set.papers["categories"]])
    print(f"{len(vectors):,} papers from {args.model}")
    print("neighbors dims size samples method | clusters noise nmi nmi_fine largest | +assign: nmi nmi_fine largest | seconds")
    for neighbors, dims in itertools.product(args.neighbors, args.dims):
        start = time.perf_counter()
        space = fit_umap(vectors, UmapParams(n_neighbors=neighbors, min_dist=0.0), dims, seed=0, verbose=False)
        umap_seconds = time.perf_counter() - start
        for size, samples, method in itertools.product(args.sizes, args.samples, args.methods):
            start = time.perf_counter()
            labels = cluster_points(space, HdbscanParams(min_cluster_size=size, min_samples=samples, cluster_selection_method=method), 2)
            seconds = time.perf_counter() - start
            raw = clustering_figures(labels, primaries)
            full = clustering_figures(assign_noise(space, labels), primaries)
            print(
                f"{neighbors:>9} {dims:>4} {size:>4} {samples:>7} {method:>6} | {raw['clusters']:>8} {raw['noise_share']:.3f}"
                f" {raw['nmi']:.3f} {raw['nmi_without_bare_archives']:.3f} {raw['largest_cluster_share']:.3f}"
                f" | {full['nmi']:.3f} {full['nmi_without_bare_archives']:.3f} {full['largest_cluster_share']:.3f}"
                f" | umap {umap_seconds:.0f}s hdbscan {seconds:.1f}s",
                flush=True,
            )


if __name__ == "__main__":
    main()
