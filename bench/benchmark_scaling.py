"""Scaling benchmark: build model sets of growing size from the shared sample's texts replicated with new ids.

    python -m bench.benchmark_scaling [--sizes 100000 300000 1000000] [--preset large] [--json OUT] [--keep DIR]

Each size is built in a fresh process; the tables give wall time and peak RSS per stage (from the
model set's manifest), the growth exponent of each stage between the two largest sizes
(time ~ papers^b; b > 1.15 is marked as faster than linear; for UMAP and HDBSCAN "papers" is the
fitted sample), and an extrapolation to 2.7 million papers by that exponent (UMAP and HDBSCAN at the
sample size of the largest run, since a larger corpus is fitted on the same sample). It prints figures only and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import benchmark_build as bench
from lib.settings import DEFAULT_SAMPLE

ARXIV_PAPERS = 2_700_000
FITTED_STAGES = ("umap", "hdbscan")
SUPERLINEAR = 1.15


def scaled_corpus(sample: Path, workdir: Path, papers: int) -> Path:
    """A JSON-lines file of exactly `papers` records replicated from the sample, made once and reused."""
    path = workdir / f"scaled-{papers}.jsonl"
    if path.is_file():
        with open(path, "rb") as lines:
            if sum(1 for _ in lines) == papers:
                bench.log(f"reusing {path}")
                return path
    partial = path.with_name(path.name + ".part")
    bench.log(f"writing {path} ({papers:,} papers) from {sample}")
    try:
        bench.write_replicated(sample, partial, 0, target_records=papers)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return path


def build(corpus: Path, out: Path, preset: str, workers: int) -> dict[str, Any]:
    """Build one set in a fresh process; its stage figures and counts."""
    config = {"sample": str(corpus), "out": str(out), "papers": None, "epochs": None, "workers": workers, "preset": preset}
    process = bench.run_child(["build", json.dumps(config)])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {
        "stages": manifest["stages"],
        "counts": {key: manifest["counts"].get(key) for key in ("papers", "vocabulary", "clusters", "noise_share")},
        "map_fit": manifest.get("map_fit"),
        "ann": manifest.get("ann"),
        "bytes_on_disk": sum(entry["bytes"] for entry in manifest["files"].values()),
        "process": process,
    }


def fitted(run: dict[str, Any], papers: int | None = None) -> int:
    """Papers the map was fitted on in a run, or for `papers` papers with the same sample size."""
    fit, total = (run.get("map_fit") or {}).get("papers"), run["counts"]["papers"]
    if papers is None:
        return fit or total
    return fit if fit and fit < total else papers


def exponent(small: tuple[int, float], large: tuple[int, float]) -> float | None:
    """b in time ~ papers^b through two (papers, seconds) points."""
    (n1, t1), (n2, t2) = small, large
    if min(t1, t2) <= 0 or n1 == n2:
        return None
    return math.log(t2 / t1) / math.log(n2 / n1)


def tables(runs: dict[int, dict[str, Any]]) -> str:
    """Markdown: seconds and peak RSS per stage and size, growth exponents, extrapolation to 2.7 million."""
    sizes = sorted(runs)
    stages = list(dict.fromkeys(name for size in sizes for name in runs[size]["stages"]))
    header = ["stage", *[f"{size:,} s" for size in sizes], *[f"{size:,} MB" for size in sizes], "b", f"{ARXIV_PAPERS:,} s (extrapolated)"]
    rows = []
    totals = {size: 0.0 for size in sizes}
    for name in stages:
        seconds = [runs[size]["stages"].get(name, {}).get("seconds") for size in sizes]
        peaks = [runs[size]["stages"].get(name, {}).get("peak_rss_mb") for size in sizes]
        for size, value in zip(sizes, seconds, strict=True):
            totals[size] += value or 0.0
        # UMAP and HDBSCAN see only the fitted sample: their size is the sample's, which stops growing at map_sample.
        scale = [fitted(runs[size]) if name in FITTED_STAGES else size for size in sizes]
        target = fitted(runs[sizes[-1]], ARXIV_PAPERS) if name in FITTED_STAGES else ARXIV_PAPERS
        b = exponent((scale[-2], seconds[-2] or 0), (scale[-1], seconds[-1] or 0)) if len(sizes) > 1 else None
        guess = seconds[-1] * (target / scale[-1]) ** max(b, 1.0) if b is not None and seconds[-1] else None
        mark = " (faster than linear)" if b is not None and b > SUPERLINEAR else ""
        rows.append(
            [
                name,
                *[f"{v:,.1f}" if v is not None else "-" for v in seconds],
                *[f"{v:,.0f}" if v is not None else "-" for v in peaks],
                f"{b:.2f}{mark}" if b is not None else "-",
                f"{guess:,.0f}" if guess is not None else "-",
            ]
        )
    rows.append(["**all**", *[f"{totals[size]:,.0f}" for size in sizes], *["" for _ in sizes], "", ""])
    counts = [
        [
            f"{size:,}",
            f"{runs[size]['counts']['vocabulary']:,}",
            f"{runs[size]['counts']['clusters']:,}",
            f"{runs[size]['counts']['noise_share']:.1%}",
            f"{runs[size]['bytes_on_disk'] / 2**30:.2f}",
            f"{runs[size]['process']['peak_rss_mb']:,.0f}",
        ]
        for size in sizes
    ]
    return "\n\n".join(
        [
            bench.markdown_table(header, rows, set(range(1, len(header)))),
            bench.markdown_table(
                ["papers", "vocabulary", "topics", "unclustered", "GB on disk", "process peak MB"], counts, {1, 2, 3, 4, 5}
            ),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE, help="the real arXiv sample (JSON lines, .gz)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000], help="papers per build")
    parser.add_argument("--preset", default="large", help="build preset (default large)")
    parser.add_argument("--workdir", type=Path, default=bench.DEFAULT_WORKDIR, help="folder for the scaled corpora")
    parser.add_argument("--keep", type=Path, help="keep the built sets in this folder (default: deleted)")
    parser.add_argument("--json", type=Path, help="write the figures to this file; sizes already in it are not built again")
    args = parser.parse_args(argv)
    if not args.sample.is_file():
        print(f"error: sample not found: {args.sample}", file=sys.stderr)
        return 1
    from lib.build import default_workers

    args.workdir.mkdir(parents=True, exist_ok=True)
    runs: dict[int, dict[str, Any]] = {}
    if args.json and args.json.is_file():
        earlier = json.loads(args.json.read_text(encoding="utf-8"))
        if earlier.get("preset") == args.preset:
            runs = {int(size): run for size, run in earlier["runs"].items()}
            bench.log(f"kept the figures of {', '.join(f'{size:,}' for size in sorted(runs))} papers from {args.json}")
    for size in sorted(set(args.sizes) - set(runs)):
        corpus = scaled_corpus(args.sample, args.workdir, size)
        folder = args.keep or Path(tempfile.mkdtemp(prefix="scaling-", dir=args.workdir))
        out = folder / f"scaled-{size}"
        bench.log(f"build: {size:,} papers, preset {args.preset}")
        runs[size] = build(corpus, out, args.preset, default_workers())
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        bench.log(json.dumps({size: runs[size]["stages"]}))
        if args.json:
            args.json.write_text(json.dumps({"machine": bench.machine_info(), "preset": args.preset, "runs": runs}, indent=2) + "\n")
    runs = {size: runs[size] for size in sorted(runs)}
    print(f"# Scaling benchmark (preset {args.preset})\n\n{bench.machine_section(bench.machine_info())}\n\n{tables(runs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
