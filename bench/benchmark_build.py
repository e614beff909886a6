"""Benchmark the build pipeline and print the figures as markdown tables.

Two halves, each measured in fresh subprocesses so peak memory is that of the work alone:

* read throughput of `lib.reading.read_papers` on a JSON-lines file of at least
  `--big-gb` GB (made once from the real sample, with new unique ids), keeping every
  paper and keeping only q-bio, and on the gzip sample itself;
* per-stage wall time and peak RSS of `lib.build.build_model_set` on the first
  `--papers` papers of the sample with the default preset, taken from its manifest.

This prints figures only; it asserts nothing about speed.

    python -m bench.benchmark_build [--json OUT] [--skip-read] [--skip-build]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from lib.settings import current_settings
from lib.stages import log_stderr

REPO = Path(__file__).resolve().parents[1]
DEFAULT_WORKDIR = Path("/tmp/arxiv-bench")
MB = 2**20
GB = 2**30
# Children run this module by name (`python -m`), also when benchmark_scaling is the one that imported it.
CHILD_MODULE = "bench.benchmark_build"
CHILD_FLAG = "--child"
RESULT_MARK = "BENCH-RESULT "
FILTER_CATEGORY = "q-bio"
LIBRARIES = ("gensim", "umap-learn", "hdbscan", "numpy", "pandas")


class BenchError(Exception):
    """The benchmark cannot go on; the message is one line."""


def maxrss_mb() -> float:
    """Peak resident memory of this process so far, in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_read(path: str, categories: list[str]) -> dict[str, Any]:
    """Run one read_papers call and return its figures (runs inside a fresh process)."""
    from lib.reading import Filters, read_papers

    baseline = maxrss_mb()
    start = time.perf_counter()
    table, report = read_papers(path, Filters(categories=tuple(categories)))
    seconds = time.perf_counter() - start
    peak = maxrss_mb()
    kept = len(table)
    del table
    return {
        "seconds": seconds,
        "records": report.records,
        "kept": kept,
        "duplicates": report.duplicates,
        "skipped": sum(report.skipped.values()),
        "bytes_read": report.bytes_read,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak,
        "stopped_early": report.stopped_early,
    }


def child_build(config: dict[str, Any]) -> dict[str, Any]:
    """Build one model set and return process-level figures (runs inside a fresh process)."""
    start = time.perf_counter()
    from lib.build import BuildOptions, build_model_set
    from lib.params import PRESETS, with_overrides
    from lib.reading import Filters

    import_seconds = time.perf_counter() - start
    params = with_overrides(PRESETS[config.get("preset", "default")], **{"doc2vec.epochs": config["epochs"], **config.get("overrides", {})})
    options = BuildOptions(
        input=Path(config["sample"]),
        out=Path(config["out"]),
        params=params,
        filters=Filters(limit=config.get("papers")),
        workers=config["workers"],
    )
    manifest = build_model_set(options)
    return {
        "import_seconds": import_seconds,
        "build_seconds": manifest.get("total_seconds"),
        "peak_rss_mb": maxrss_mb(),
    }


def run_child(args: list[str]) -> dict[str, Any]:
    """Run this module in child mode in a new interpreter (from the repository root) and return its JSON result."""
    command = [sys.executable, "-m", CHILD_MODULE, CHILD_FLAG, *args]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise BenchError(f"child {' '.join(args[:1])} failed with exit code {done.returncode} (its traceback is on stderr above)")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK) :])
            result["process_seconds"] = wall
            return result
    raise BenchError(f"child {' '.join(args[:1])} printed no result")


def child_main(argv: list[str]) -> int:
    """Entry point of a child process: `--child read PATH [CATEGORY...]` or `--child build JSON`."""
    kind, rest = argv[0], argv[1:]
    if kind == "read":
        result = child_read(rest[0], rest[1:])
    elif kind == "build":
        result = child_build(json.loads(rest[0]))
    else:
        raise SystemExit(f"unknown child mode {kind!r}")
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


def machine_info() -> dict[str, Any]:
    """CPU model, usable cores, total RAM, Python, OS, library versions, load average and the date."""
    cpu = platform.processor() or platform.machine() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                cpu = value.strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) * 1024 / GB
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cpu": cpu,
        "cores": cores,
        "logical_cpus": os.cpu_count(),
        "ram_gb": ram_gb,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
        "libraries": versions,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def open_lines(path: Path) -> IO[bytes]:
    """Open a JSON-lines file, gzip or plain, for binary reading."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def sample_signature(sample: Path, target_bytes: int) -> dict[str, Any]:
    """What a replicated file was made from; a cached one is reused only if this matches."""
    stat = sample.stat()
    return {
        "sample": str(sample.resolve()),
        "sample_bytes": stat.st_size,
        "sample_mtime_ns": stat.st_mtime_ns,
        "target_bytes": target_bytes,
    }


def write_replicated(sample: Path, target: Path, target_bytes: int, target_records: int | None = None) -> tuple[int, int]:
    """Stream copies of the sample's records (id suffixed `-r{copy}`) until target_bytes (or target_records)."""
    written = records = copy = 0
    next_report = 256 * MB

    def done() -> bool:
        return records >= target_records if target_records is not None else written >= target_bytes

    with open(target, "wb", buffering=MB) as out:
        while not done():
            with open_lines(sample) as source:
                for line in source:
                    if not line.strip():
                        continue
                    record = json.loads(line)
                    record["id"] = f"{record['id']}-r{copy}"
                    data = (json.dumps(record, ensure_ascii=False) + "\n").encode()
                    out.write(data)
                    written += len(data)
                    records += 1
                    if written >= next_report:
                        log_stderr(f"  wrote {written / MB:,.0f} MB")
                        next_report += 256 * MB
                    if done():
                        break
            if copy == 0 and records == 0:
                raise BenchError(f"no records in {sample}")
            copy += 1
    return written, records


def ensure_big_file(sample: Path, workdir: Path, big_gb: float) -> Path:
    """The replicated JSON-lines file of at least big_gb GB, made once and then reused."""
    target_bytes = int(big_gb * GB)
    path = workdir / f"sample-replicated-{big_gb:g}GB.jsonl"
    meta_path = path.with_suffix(".meta.json")
    signature = sample_signature(sample, target_bytes)
    if path.is_file() and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError:
            meta = {}
        if meta.get("source") == signature and meta.get("bytes") == path.stat().st_size:
            log_stderr(f"reusing {path} ({path.stat().st_size / MB:,.0f} MB)")
            return path
    free = shutil.disk_usage(workdir).free
    if free < target_bytes * 1.1:
        raise BenchError(f"not enough disk in {workdir}: {free / MB:,.0f} MB free, need about {target_bytes * 1.1 / MB:,.0f} MB")
    log_stderr(f"writing {path} (at least {target_bytes / MB:,.0f} MB) from {sample}")
    meta_path.unlink(missing_ok=True)
    partial = path.with_name(path.name + ".part")
    start = time.perf_counter()
    try:
        written, records = write_replicated(sample, partial, target_bytes)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    meta = {"source": signature, "bytes": written, "records": records}
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    seconds = time.perf_counter() - start
    log_stderr(f"  {records:,} records, {written / MB:,.0f} MB in {seconds:.0f} s")
    return path


def read_figures(label: str, path: Path, categories: list[str]) -> dict[str, Any]:
    """Time one read in a fresh process and add the file's size and the rates."""
    log_stderr(f"read: {label} ({path.name}, filter: {' '.join(categories) or 'none'})")
    result = run_child(["read", str(path), *categories])
    seconds = max(result["seconds"], 1e-9)
    result.update(
        {
            "input": label,
            "path": str(path),
            "filter": ",".join(categories) or "none",
            "file_mb": path.stat().st_size / MB,
            "data_mb": result["bytes_read"] / MB,
            "data_mb_per_s": result["bytes_read"] / MB / seconds,
            "file_mb_per_s": path.stat().st_size / MB / seconds,
            "records_per_s": result["records"] / seconds,
        }
    )
    return result


def run_reads(sample: Path, workdir: Path, big_gb: float) -> list[dict[str, Any]]:
    """The read-throughput runs: big plain file (all, filtered), then the gzip sample."""
    big = ensure_big_file(sample, workdir, big_gb)
    runs = [
        ("replicated JSON lines", big, []),
        ("replicated JSON lines", big, [FILTER_CATEGORY]),
        ("sample (gzip)", sample, []),
        ("sample (gzip)", sample, [FILTER_CATEGORY]),
    ]
    return [read_figures(label, path, cats) for label, path, cats in runs]


def run_build(sample: Path, workdir: Path, papers: int, epochs: int | None) -> dict[str, Any]:
    """Build a model set in a fresh process and return its manifest's stage figures."""
    from lib.build import default_workers
    from lib.params import PRESETS

    workers = default_workers()
    effective_epochs = epochs or PRESETS["default"].doc2vec.epochs
    folder = Path(tempfile.mkdtemp(prefix="build-", dir=workdir))
    out = folder / "bench-default"
    config = {
        "sample": str(sample),
        "out": str(out),
        "papers": papers,
        "epochs": epochs,
        "workers": workers,
    }
    log_stderr(f"build: first {papers:,} papers, preset default, {effective_epochs} epochs, {workers} workers, into {out}")
    try:
        result = run_child(["build", json.dumps(config)])
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    counts = manifest["counts"]
    return {
        "papers_requested": papers,
        "preset": "default",
        "epochs": effective_epochs,
        "workers": workers,
        "stages": manifest["stages"],
        "counts": {
            key: counts.get(key)
            for key in (
                "papers",
                "vocabulary",
                "clusters",
                "noise_share",
                "largest_cluster",
            )
        },
        "process": result,
    }


def markdown_table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    """A padded markdown table; columns whose index is in `right` are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        padded = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w + 1) + ":" if i in right else "-" * (w + 2) for i, w in enumerate(widths)]
    return "\n".join([line(headers), "|" + "|".join(rule) + "|"] + [line(row) for row in rows])


def machine_section(info: dict[str, Any]) -> str:
    """The machine header table."""
    ram = f"{info['ram_gb']:.1f} GB" if info["ram_gb"] is not None else "unknown"
    libraries = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    rows = [
        ["CPU", info["cpu"]],
        ["cores (usable)", f"{info['cores']} (of {info['logical_cpus']} logical)"],
        ["RAM", ram],
        ["Python", info["python"]],
        ["OS", info["os"]],
        ["libraries", libraries],
        ["load average at start", " ".join(f"{x:.2f}" for x in info["load_average"] or ()) or "unknown"],
        ["date", info["date"]],
    ]
    return "## Machine\n\n" + markdown_table(["", "value"], rows, set())


def read_section(reads: list[dict[str, Any]]) -> str:
    """The read-throughput table and a note on what the columns mean."""
    headers = [
        "input",
        "filter",
        "file MB",
        "data MB",
        "seconds",
        "MB/s",
        "records/s",
        "records",
        "kept",
        "peak RSS MB",
    ]
    rows = [
        [
            r["input"],
            r["filter"],
            f"{r['file_mb']:,.0f}",
            f"{r['data_mb']:,.0f}",
            f"{r['seconds']:,.1f}",
            f"{r['data_mb_per_s']:,.1f}",
            f"{r['records_per_s']:,.0f}",
            f"{r['records']:,}",
            f"{r['kept']:,}",
            f"{r['peak_rss_mb']:,.0f}",
        ]
        for r in reads
    ]
    baseline = max(r["baseline_rss_mb"] for r in reads)
    notes = (
        "MB = 2^20 bytes. data MB is what the reader parsed (decompressed for gzip); "
        "MB/s = data MB / seconds. Each read ran in a fresh process; peak RSS is its "
        f"ru_maxrss, of which about {baseline:,.0f} MB is the interpreter before "
        "reading. The replicated file was just written or re-read, so it was most "
        "likely in the page cache: the rates are parse-bound, not disk-bound."
    )
    table = markdown_table(headers, rows, set(range(2, len(headers))))
    return f"## Read throughput (`lib.reading.read_papers`)\n\n{table}\n\n{notes}"


def build_section(build: dict[str, Any]) -> str:
    """The per-stage table and the counts of the built model set."""
    stages = build["stages"]
    rows = [[name, f"{f['seconds']:,.1f}", f"{f['peak_rss_mb']:,.0f}"] for name, f in stages.items()]
    total = sum(f["seconds"] for f in stages.values())
    peak = max((f["peak_rss_mb"] for f in stages.values()), default=0.0)
    rows.append(["**all stages**", f"{total:,.1f}", f"{peak:,.0f}"])
    process = build["process"]
    counts = build["counts"]
    count_rows = [
        ["papers", f"{counts['papers']:,}"],
        ["vocabulary", f"{counts['vocabulary']:,}"],
        ["clusters", f"{counts['clusters']:,}"],
        ["noise share", f"{counts['noise_share']:.1%}"],
        ["largest cluster", f"{counts['largest_cluster']:,}"],
        ["build_model_set seconds", f"{process['build_seconds']:,.1f}"],
        ["import seconds (lib.build)", f"{process['import_seconds']:,.1f}"],
        ["process seconds (start to exit)", f"{process['process_seconds']:,.1f}"],
        ["process peak RSS MB", f"{process['peak_rss_mb']:,.0f}"],
    ]
    title = (
        f"## Build stages (first {build['papers_requested']:,} sample papers, preset "
        f"{build['preset']}, {build['epochs']} epochs, {build['workers']} workers)"
    )
    return "\n\n".join(
        [
            title,
            markdown_table(["stage", "seconds", "peak RSS MB"], rows, {1, 2}),
            markdown_table(["model set", "value"], count_rows, {1}),
        ]
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""

    def positive_int(value: str) -> int:
        number = int(value)
        if number < 1:
            raise argparse.ArgumentTypeError(f"expected a positive whole number: {value}")
        return number

    def positive_float(value: str) -> float:
        number = float(value)
        if number <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number: {value}")
        return number

    parser = argparse.ArgumentParser(description="Benchmark reading and building; prints markdown tables.")
    parser.add_argument(
        "--sample",
        type=Path,
        default=current_settings().arxiv_sample,
        help="real arXiv sample, JSON lines (default: $ARXIV_SAMPLE or ../shared/arxiv/sample.jsonl.gz beside the repository)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help=f"folder for generated inputs and the temporary model set (default {DEFAULT_WORKDIR})",
    )
    parser.add_argument(
        "--big-gb",
        type=positive_float,
        default=1.0,
        help="size of the replicated JSON-lines file in GB (2^30 bytes; default 1.0)",
    )
    parser.add_argument(
        "--papers",
        type=positive_int,
        default=20000,
        help="papers to build the model set from (default 20000)",
    )
    parser.add_argument("--epochs", type=positive_int, help="override Doc2Vec epochs (default: preset's)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--skip-read", action="store_true", help="skip the read benchmark")
    parser.add_argument("--skip-build", action="store_true", help="skip the build benchmark")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the selected halves, print the tables, optionally write JSON."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == CHILD_FLAG:
        return child_main(argv[1:])
    args = parse_args(argv)
    sample: Path = args.sample
    if not sample.is_file():
        print(
            f"error: sample not found: {sample} (pass --sample PATH or set ARXIV_SAMPLE)",
            file=sys.stderr,
        )
        return 1
    try:
        args.workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: cannot create workdir {args.workdir}: {exc}", file=sys.stderr)
        return 1
    figures: dict[str, Any] = {
        "command": [Path(sys.executable).name, *sys.argv],
        "sample": str(sample.resolve()),
        "machine": machine_info(),
        "read": None,
        "build": None,
        "errors": [],
    }
    sections = ["# Build benchmark", machine_section(figures["machine"])]
    if not args.skip_read:
        try:
            figures["read"] = run_reads(sample, args.workdir, args.big_gb)
            sections.append(read_section(figures["read"]))
        except (BenchError, OSError) as exc:
            figures["errors"].append(f"read: {exc}")
    if not args.skip_build:
        try:
            figures["build"] = run_build(sample, args.workdir, args.papers, args.epochs)
            sections.append(build_section(figures["build"]))
        except (BenchError, OSError, KeyError, ValueError) as exc:
            figures["errors"].append(f"build: {exc}")
    if figures["errors"]:
        sections.append("## Errors\n\n" + "\n".join(f"- {e}" for e in figures["errors"]))
    print("\n\n".join(sections))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        log_stderr(f"wrote {args.json}")
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
