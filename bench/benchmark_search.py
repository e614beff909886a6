"""Search benchmark: cold start, time per query, memory, and the ANN index's recall against exact ranking.

    python -m bench.benchmark_search --model /tmp/scaled/r1M [--queries 300] [--fresh-stamps] [--json out.json]

The figures come from a fresh Python process (as a server starts): time from process start to the first
answered search, RSS after loading and after all queries, p50/p95 per query for each mode and for
more-like-this and map placement, and recall@10 of the indexed ranking against an exact scan of every paper.
Queries are the first words of titles of randomly chosen papers plus fixed free-text questions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FREE_TEXT = [
    "transformer language models for machine translation",
    "graph neural networks oversmoothing",
    "topological insulators edge states",
    "reinforcement learning for robot locomotion",
    "quantum error correction surface codes",
    "superconductivity in twisted bilayer graphene",
    "differential privacy federated learning",
    "diffusion models for image generation",
]


def recall_of(exact: list, approximate: list) -> float:
    """Mean recall@10 of ranked hit lists against exact ones."""
    import numpy as np

    from lib.ann import recall_at

    return round(recall_at([np.array([h.row for h in e]) for e in exact], [np.array([h.row for h in a]) for a in approximate]), 4)


def child(model: str, n_queries: int, seed: int, started: float) -> None:
    """Runs in the measured process: load, answer one search, then time everything else."""
    import numpy as np
    import psutil

    from lib.engine import load_engine

    process = psutil.Process()
    engine = load_engine(model)
    loaded = time.time() - started
    first = engine.ranker.search(FREE_TEXT[0], 10)
    answered = time.time() - started
    rss_loaded = process.memory_info().rss
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(engine.catalogue.papers), size=min(n_queries, len(engine.catalogue.papers)), replace=False)
    titles = engine.catalogue.papers["title"].iloc[np.sort(rows)].tolist()
    queries = [" ".join(str(title).split()[:8]) for title in titles] + FREE_TEXT
    figures: dict = {
        "papers": len(engine.catalogue.papers),
        "index": engine.catalogue.manifest.get("ann") and {**engine.catalogue.manifest["ann"], "probes": engine.ranker.ann.probes},
        "seconds_to_loaded": round(loaded, 3),
        "seconds_to_first_answer": round(answered, 3),
        "first_answer_hits": len(first),
        "rss_mb_after_first_answer": round(rss_loaded / 2**20),
        "queries": len(queries),
        "ms": {},
    }

    def timed(call) -> tuple[list, list[float]]:
        results, seconds = [], []
        for argument in queries:
            start = time.perf_counter()
            results.append(call(argument))
            seconds.append(time.perf_counter() - start)
        return results, seconds

    def summary(seconds: list[float]) -> dict:
        values = np.array(seconds) * 1000
        return {name: round(float(np.percentile(values, q)), 1) for name, q in (("p50", 50), ("p95", 95), ("max", 100))}

    approximate = {}
    for mode in ("hybrid", "semantic", "lexical"):
        results, seconds = timed(lambda q, mode=mode: engine.ranker.search(q, 10, mode=mode))
        figures["ms"][f"search {mode}"] = summary(seconds)
        approximate[mode] = results
    ids = engine.catalogue.ids(rows[: min(100, len(rows))])
    start_similar = []
    similar = []
    for paper_id in ids:
        start = time.perf_counter()
        similar.append(engine.ranker.similar(paper_id, 10))
        start_similar.append(time.perf_counter() - start)
    figures["ms"]["more like this"] = summary(start_similar)
    _, seconds = timed(engine.ranker.locate)
    figures["ms"]["map placement"] = summary(seconds)
    figures["rss_mb_after_queries"] = round(process.memory_info().rss / 2**20)
    if engine.catalogue.manifest.get("ann"):
        recall = {}
        for mode in ("hybrid", "semantic"):
            exact, seconds = timed(lambda q, mode=mode: engine.ranker.search(q, 10, mode=mode, approximate=False))
            figures["ms"][f"exact {mode}"] = summary(seconds)
            recall[mode] = recall_of(exact, approximate[mode])
        recall["more like this"] = recall_of([engine.ranker.similar(paper_id, 10, approximate=False) for paper_id in ids], similar)
        figures["recall_at_10_vs_exact"] = recall
    print(json.dumps(figures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="model set folder")
    parser.add_argument("--queries", type=int, default=300, help="title queries (plus the fixed free-text ones)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fresh-stamps", action="store_true", help="start without stamps of verified files: every file is hashed")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.model, args.queries, args.seed, args.started)
        return 0
    env = dict(os.environ)
    if args.fresh_stamps:
        env["TOPIC_SEARCH_CACHE"] = tempfile.mkdtemp(prefix="benchmark-stamps-")
    started = time.time()
    # The child runs this module by name from the repository root; the model's path is made absolute for it.
    options = ["--model", str(Path(args.model).resolve()), "--queries", str(args.queries), "--seed", str(args.seed)]
    command = [sys.executable, "-m", "bench.benchmark_search", "--child", *options]
    output = subprocess.run([*command, "--started", str(started)], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        print(output.stderr, file=sys.stderr)
        return 1
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    figures["model"] = str(Path(args.model).resolve())
    figures["fresh_stamps"] = args.fresh_stamps
    figures["machine"] = {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
