"""Try topic settings on a built model set's vectors and print topic-quality figures per setting.

    python -m bench.tune_clusters --model models/NAME [--features doc2vec doc2vec+lsa] [--sizes 40] \
        [--merge 0.25 0.3 0.35] [--agreement 0 0.5]

For each feature choice the neighbour graph and 5-D UMAP are computed once; then for each HDBSCAN
minimum size the leaf clusters are found, unclustered papers joined to their neighbours' cluster,
clusters with close centres merged and unsettled papers left out, as `build` does. Each line gives
clusters, noise share, NMI with the primary category (all clustered papers, and those whose primary
is a full category) and the largest cluster's share.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from lib.clustering import assign_noise, cluster_points, merge_clusters, unsettle
from lib.evaluation import clustering_figures
from lib.layout import fit_umap, nearest_neighbours, topic_features
from lib.modelset import load_model_set
from lib.params import PLACEMENT_NEIGHBOURS, PRESETS
from lib.topic_summaries import primary_category


def main() -> None:
    """Run the grid and print one line per setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--features", nargs="+", default=["doc2vec", "doc2vec+lsa"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40])
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--merge", type=float, nargs="+", default=[0.0, 0.25, 0.3, 0.35])
    parser.add_argument("--agreement", type=float, nargs="+", default=[0.0, 0.5])
    args = parser.parse_args()
    model_set = load_model_set(args.model)
    defaults = PRESETS["default"]
    primaries = np.array([primary_category(c) for c in model_set.papers["categories"]])
    print(f"{len(primaries):,} papers from {args.model}")
    print("features size merge agreement | clusters noise nmi nmi_fine largest")
    for features_name in args.features:
        start = time.perf_counter()
        params = replace(defaults.topics, features=features_name)
        features = topic_features(np.asarray(model_set.vectors), model_set.lexical, params, seed=0)
        neighbours = nearest_neighbours(features, max(defaults.umap.n_neighbors, PLACEMENT_NEIGHBOURS + 1), seed=0)
        space = fit_umap(features, defaults.umap, defaults.umap.cluster_dims, seed=0, verbose=False, neighbours=neighbours)
        print(f"# {features_name}: features, neighbours and UMAP in {time.perf_counter() - start:.0f}s", flush=True)
        for size in args.sizes:
            hdbscan = replace(defaults.hdbscan, min_cluster_size=size, min_samples=args.samples)
            leaves = assign_noise(space, cluster_points(space, hdbscan, 2))
            for merge, agreement in itertools.product(args.merge, args.agreement):
                labels = merge_clusters(features, leaves, merge or None)
                labels = unsettle(labels, neighbours.indices[:, : PLACEMENT_NEIGHBOURS + 1], agreement, params.max_unclustered)
                f = clustering_figures(labels, primaries)
                print(
                    f"{features_name:>11} {size:>4} {merge:>5} {agreement:>9} | {f['clusters']:>8} {f['noise_share']:.3f}"
                    f" {f['nmi']:.3f} {f['nmi_without_bare_archives']:.3f} {f['largest_cluster_share']:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
