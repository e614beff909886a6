"""Phrase terms in BM25 at scale: learning the phrases, and the index with and without them.

Three steps over N documents (the real sample's titles and abstracts, repeated in order up to N, tokenised as the
build does), each in its own fresh process so that its peak memory (VmHWM) is its own:

* learn: `lib.phrases.learn_phrases` over the build's learning sample of the N documents (every k-th, at most
  LEARN_DOCS), the table saved as phrases.json;
* words: `lib.lexical.build_index` of the words alone (what sets built before phrases hold), saved;
* phrases: the same index with the learned table's phrase terms, saved;
* latency: both saved indexes opened memory-mapped in one process, `bm25_scores` timed on each in turn, query by
  query (so both see the same machine load), over the typed queries of data/tag_queries.json.

Each prints seconds, peak RSS (and RSS before the work: the sample's texts), nonzeros, terms and bytes on disk; the
two index steps also time queries on their own saved index (figures that the load of the moment can skew; the
latency step compares the two fairly). The machine's load average is printed before and after each step.

Repeating the sample's 50,023 texts keeps its vocabulary: a real corpus of N papers has far more distinct words and
word pairs, so the learning step's memory here is that of 50,023 distinct texts seen several times (see the notes).

    python -m bench.benchmark_phrases [--papers 1000000] [--workdir /tmp/phrases-bench] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "arxiv" / "sample.jsonl.gz"
QUERIES = REPO / "data" / "tag_queries.json"
RESULT_MARK = "BENCH-RESULT "
STEPS = ("learn", "words", "phrases", "latency")
# Rounds of every typed query on each index in the latency step, the two indexes taking turns query by query.
LATENCY_ROUNDS = 5
MB = 2**20


def memory_mb(field: str) -> float:
    """VmRSS or VmHWM (peak resident set) of this process, in MB, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status (this benchmark needs Linux)")


def load_texts(sample: Path) -> list[str]:
    """Title and abstract of every paper of the sample, joined as the build joins them for BM25."""
    from lib.corpus import document_texts
    from lib.reading import Filters, read_papers

    table, _ = read_papers(sample, Filters())
    return list(document_texts(table.to_frame(), "title+abstract", " "))


def repeated(texts: list[str], n: int) -> Iterator[str]:
    """The texts in order, over and over, n in all."""
    return (texts[i % len(texts)] for i in range(n))


def folder_bytes(folder: Path) -> dict[str, int]:
    """Size of each file in a folder."""
    return {path.name: path.stat().st_size for path in sorted(folder.iterdir())}


def query_latency(folder: Path, phrases: object) -> dict:
    """p50, p95 and mean milliseconds of bm25_scores over the typed queries, on the saved index memory-mapped."""
    import numpy as np

    from lib.cleaning import tokenize
    from lib.lexical import load_index

    index = load_index(folder, phrases)
    queries = [query for group in json.loads(QUERIES.read_text(encoding="utf-8")).values() for query in group]
    for query in queries[:20]:  # warm the mapped pages of the commonest columns, as a running server has them
        index.bm25_scores(tokenize(query))
    times = []
    for query in queries:
        start = time.perf_counter()
        index.bm25_scores(tokenize(query))
        times.append((time.perf_counter() - start) * 1000)
    with_phrase = sum(1 for query in queries if phrases is not None and phrases.terms(tokenize(query)))
    return {
        "queries": len(queries),
        "queries_with_a_phrase": with_phrase,
        "p50_ms": float(np.percentile(times, 50)),
        "p95_ms": float(np.percentile(times, 95)),
        "mean_ms": float(np.mean(times)),
    }


def compare_latency(workdir: Path, n: int) -> dict:
    """Milliseconds per query of the words-only and the phrase index, timed in turn on the same queries, p50 / p95 / mean."""
    import numpy as np

    from lib.cleaning import tokenize
    from lib.lexical import load_index
    from lib.phrases import load_phrases
    from lib.setfiles import PHRASES

    table = load_phrases(workdir / f"learn-{n}" / PHRASES)
    indexes = {"words": load_index(workdir / f"words-{n}"), "phrases": load_index(workdir / f"phrases-{n}", table)}
    queries = [tokenize(query) for group in json.loads(QUERIES.read_text(encoding="utf-8")).values() for query in group]
    times: dict[str, list[float]] = {name: [] for name in indexes}
    for round_ in range(LATENCY_ROUNDS + 1):
        for query in queries:
            for name, index in indexes.items():
                start = time.perf_counter()
                index.bm25_scores(query)
                if round_:  # the first round warms the mapped pages, as a running server has them
                    times[name].append((time.perf_counter() - start) * 1000)
    figures = {"step": "latency", "papers": n, "queries": len(queries), "rounds": LATENCY_ROUNDS}
    for name, values in times.items():
        figures[name] = {"p50_ms": float(np.median(values)), "p95_ms": float(np.percentile(values, 95)), "mean_ms": float(np.mean(values))}
    figures["queries_with_a_phrase"] = sum(1 for query in queries if table.terms(query))
    return figures


def child(step: str, n: int, workdir: Path, sample: Path, learn_docs: int) -> dict:
    """Run one step in this (fresh) process and return its figures."""
    from lib.cleaning import tokenize
    from lib.lexical import build_index
    from lib.phrases import learn_phrases, learning_sample, load_phrases
    from lib.setfiles import PHRASES

    if step == "latency":
        return compare_latency(workdir, n)
    texts = load_texts(sample)
    before = memory_mb("VmRSS")
    table_folder = workdir / f"learn-{n}"
    if step == "learn":
        table_folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        table = learn_phrases(tokenize(text) for text in learning_sample(repeated(texts, n), n, learn_docs))
        seconds = time.perf_counter() - start
        table.save(table_folder)
        return {
            "step": step,
            "papers": n,
            "seconds": seconds,
            "rss_before_mb": before,
            "peak_rss_mb": memory_mb("VmHWM"),
            "phrases": len(table),
            "learned_from_documents": table.params["documents"],
            "learned_from_tokens": table.params["tokens"],
            "file_bytes": (table_folder / PHRASES).stat().st_size,
        }
    table = load_phrases(table_folder / PHRASES) if step == "phrases" else None
    out = workdir / f"{step}-{n}"
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    index = build_index((tokenize(text) for text in repeated(texts, n)), table)
    seconds = time.perf_counter() - start
    peak = memory_mb("VmHWM")
    start = time.perf_counter()
    index.save(out)
    save_seconds = time.perf_counter() - start
    files = folder_bytes(out)
    phrase_columns = [i for term, i in index.vocabulary.items() if " " in term]
    counts = index.columns.indptr[1:] - index.columns.indptr[:-1]
    figures = {
        "step": step,
        "papers": n,
        "seconds": seconds,
        "save_seconds": save_seconds,
        "rss_before_mb": before,
        "peak_rss_mb": peak,
        "nonzeros": int(index.columns.nnz),
        "phrase_nonzeros": int(counts[phrase_columns].sum()) if phrase_columns else 0,
        "terms": len(index.vocabulary),
        "phrase_terms": len(phrase_columns),
        "bytes_on_disk": sum(files.values()),
        "files": files,
    }
    del index
    figures["latency"] = query_latency(out, table)
    return figures


def run_step(step: str, args: argparse.Namespace) -> dict:
    """One step in a fresh process; its figures."""
    command = [sys.executable, "-m", "bench.benchmark_phrases", "--child", step, "--papers", str(args.papers)]
    command += ["--workdir", str(args.workdir), "--sample", str(args.sample), "--learn-docs", str(args.learn_docs)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise SystemExit(f"step {step} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages and the core count."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


def table(results: list[dict]) -> str:
    """The figures as a markdown table."""
    rows = ["| step | papers | s | peak RSS MB (before) | phrases / terms | nonzeros (phrase) | MB on disk | query p50 / p95 ms |"]
    rows.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        if r["step"] == "latency":
            continue
        if r["step"] == "learn":
            size = f"{r['phrases']:,} from {r['learned_from_documents']:,} docs"
            rows.append(
                f"| learn | {r['papers']:,} | {r['seconds']:.0f} | {r['peak_rss_mb']:,.0f} ({r['rss_before_mb']:,.0f}) | {size} | – |"
                f" {r['file_bytes'] / MB:.1f} | – |"
            )
            continue
        latency = r["latency"]
        rows.append(
            f"| {r['step']} | {r['papers']:,} | {r['seconds']:.0f} (+{r['save_seconds']:.0f} save) |"
            f" {r['peak_rss_mb']:,.0f} ({r['rss_before_mb']:,.0f}) | {r['terms']:,} ({r['phrase_terms']:,} phrases) |"
            f" {r['nonzeros']:,} ({r['phrase_nonzeros']:,}) | {r['bytes_on_disk'] / MB:,.0f} |"
            f" {latency['p50_ms']:.1f} / {latency['p95_ms']:.1f} |"
        )
    for r in results:
        if r["step"] == "latency":
            spans = {name: "p50 {p50_ms:.1f} / p95 {p95_ms:.1f} / mean {mean_ms:.1f} ms".format(**r[name]) for name in ("words", "phrases")}
            rows.append(
                f"\nbm25_scores in turn on both indexes ({r['queries']} typed queries, {r['queries_with_a_phrase']} with a phrase, "
                f"{r['rounds']} rounds): words only {spans['words']}, with phrases {spans['phrases']}"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    """Run the three steps in fresh processes (or one step, as a child) and print the figures."""
    from lib.phrases import LEARN_DOCS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/phrases-bench"))
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--learn-docs", type=int, default=LEARN_DOCS, help="most documents phrases are learned from")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(RESULT_MARK + json.dumps(child(args.child, args.papers, args.workdir, args.sample, args.learn_docs)), flush=True)
        return
    if not args.sample.is_file():
        raise SystemExit(f"sample not found: {args.sample}; give --sample PATH (JSON lines of papers with id, title, abstract)")
    results, loads = [], [load_average()]
    for step in args.steps:
        print(f"{step} over {args.papers:,} papers ({load_average()})", file=sys.stderr, flush=True)
        results.append(run_step(step, args))
        loads.append(load_average())
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(table(results))
    print(f"\nload before and after each step: {'; '.join(loads)}")
    if args.json:
        args.json.write_text(json.dumps({"papers": args.papers, "loads": loads, "results": results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
