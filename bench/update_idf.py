"""Measure lib/update.py's BM25 choice: idf recomputed over every paper against the build's idf kept.

The real sample's papers sorted by update_date; the first 90% indexed as a build would (lib.lexical.build_index, no
phrases), the newest 10% added by `lib.lexical.write_updated_index` (idf recomputed). "Kept" is that index with each
old term's column scaled back to the build's idf and the terms the build lacked dropped (what keeping the idf gives).
Both are compared with an index built from scratch over every paper: for 300 titles of added and 300 of old papers
as queries, the share of the top 10 the rebuilt index also ranks there, and how often the title finds its paper first.

    python -m bench.update_idf [--sample PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
from pathlib import Path

import numpy as np
from scipy import sparse

from lib.cleaning import tokenize
from lib.lexical import build_index, load_index, write_updated_index

SAMPLE = Path(__file__).resolve().parent.parent.parent / "shared" / "arxiv" / "sample.jsonl.gz"


def _overlap(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    return len(set(np.argsort(-a)[:k].tolist()) & set(np.argsort(-b)[:k].tolist())) / k


def main() -> None:
    """Print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    args = parser.parse_args()
    with gzip.open(args.sample, "rt", encoding="utf-8") as lines:
        records = [r for r in map(json.loads, lines) if r.get("title") and r.get("abstract")]
    records.sort(key=lambda r: r.get("update_date") or "")
    docs = [tokenize(r["title"] + " " + r["abstract"]) for r in records]
    n, base_n = len(docs), int(len(docs) * 0.9)
    base, rebuilt = build_index(docs[:base_n]), build_index(docs)
    with tempfile.TemporaryDirectory() as folder:
        write_updated_index(base, docs[base_n:], np.arange(base_n, n), Path(folder))
        updated = load_index(Path(folder))
        old_terms = len(base.idf)
        ratio = np.zeros(len(updated.idf), dtype=np.float32)
        ratio[:old_terms] = np.asarray(base.idf) / np.asarray(updated.idf)[:old_terms]
        kept = (updated.columns.astype(np.float32) @ sparse.diags(ratio)).tocsc()

        def kept_scores(query: list[str]) -> np.ndarray:
            terms = sorted({updated.vocabulary[t] for t in query if updated.vocabulary.get(t, old_terms) < old_terms})
            return np.asarray(kept[:, terms].sum(axis=1)).ravel() if terms else np.zeros(n)

        print(f"{n:,} papers: {base_n:,} built, {n - base_n:,} added; {len(updated.idf) - old_terms:,} new terms")
        print(f"average length: built {base.average_length:.2f}, rebuilt {rebuilt.average_length:.2f}")
        rng = np.random.default_rng(0)
        for label, pool in (("added", np.arange(base_n, n)), ("old", np.arange(base_n))):
            overlap = {"recomputed": [], "kept": []}
            first = {"recomputed": 0, "kept": 0}
            for row in rng.choice(pool, 300, replace=False).tolist():
                query = tokenize(records[row]["title"])
                truth = rebuilt.bm25_scores(query)
                for name, scores in (("recomputed", updated.bm25_scores(query)), ("kept", kept_scores(query))):
                    overlap[name].append(_overlap(truth, scores))
                    first[name] += int(np.argmax(scores) == row)
            print(
                f"titles of {label} papers: top-10 overlap with the rebuilt index recomputed {np.mean(overlap['recomputed']):.3f}, "
                f"kept {np.mean(overlap['kept']):.3f}; R@1 recomputed {first['recomputed'] / 300:.3f}, kept {first['kept'] / 300:.3f}"
            )


if __name__ == "__main__":
    main()
