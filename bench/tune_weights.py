"""Sweep the lexical weight of hybrid search and of "more like this" on a built model set.

    python -m bench.tune_weights --model models/NAME [--queries 1000] [--weights 0 0.3 0.5 0.7 0.9 1]

Prints known-item R@1/R@10/MRR@10 (title -> paper) per search weight and neighbour category
precision P@10 per similar weight, on the same fixed-seed sample `python -m lib evaluate` uses.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from lib.engine import load_engine
from lib.evaluation import bare_archive, mrr_at_k, neighbour_precision, primary, rank_of, recall_at_k


def main() -> None:
    """Run both sweeps and print a line per weight."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0])
    args = parser.parse_args()
    engine = load_engine(args.model)
    papers = engine.catalogue.papers
    rows = np.random.default_rng(args.seed).choice(len(papers), size=min(args.queries, len(papers)), replace=False)
    primaries = [primary(c) for c in papers["categories"]]
    neighbour_rows = [r for r in rows if not bare_archive(primaries[r])]
    print(f"{engine.name}: {len(papers):,} papers, {len(rows)} title queries, {len(neighbour_rows)} neighbour queries")
    for weight in args.weights:
        ranker = engine.ranker
        ranks = [
            rank_of(papers["id"].iloc[r], [h.paper_id for h in ranker.search(papers["title"].iloc[r], k=10, lexical_weight=weight)])
            for r in rows
        ]
        neighbours = [[primaries[h.row] for h in ranker.similar(papers["id"].iloc[r], k=10, lexical_weight=weight)] for r in neighbour_rows]
        p10 = neighbour_precision([primaries[r] for r in neighbour_rows], neighbours)
        print(
            f"weight {weight:.2f}: R@1 {recall_at_k(ranks, 1):.3f} R@10 {recall_at_k(ranks, 10):.3f} "
            f"MRR@10 {mrr_at_k(ranks, 10):.3f} | P@10 {p10:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
