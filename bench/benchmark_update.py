"""Update benchmark: seconds, peak memory and bytes written by `python -m lib update` adding N papers to a set.

    python -m bench.benchmark_update --model /tmp/scaled/r1M --work /tmp/bench-update [--papers 1000] [--json out.json]

The set is never touched: it is copied into --work as hard links (`cp -al`; the update writes its staging folder
and swaps it in, so a linked file must never be written in place: every source file's size and mtime are compared
before and after, and the run fails if any changed). The new papers are records of the real arXiv sample
(--records) whose ids the set does not hold, written as JSON lines in the Kaggle schema. Before the timed run the
copy is verified once in another process (the stamps of verified files a loaded app leaves: a set in use has them),
all with a private stamp folder (TOPIC_SEARCH_CACHE) that is removed at the end.

The update runs in a fresh process. Its peak memory is VmHWM from /proc/<pid>/status, polled (it only grows; the
last reading before exit is kept), with the largest RssAnon and RssFile seen (RssFile: pages of memory-mapped files,
which the kernel can drop); wait4's ru_maxrss of the child is printed as a check. Bytes written: the child's
write_bytes and wchar from /proc/<pid>/io, and the bytes of the updated set's files that are not links to the
source's (new inodes). Stage times are the gaps between the update's progress lines. Then the result is loaded and
verified in a fresh process (seconds: what the next start of the app pays), and the copy is deleted unless --keep.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORDS = REPO.parent / "shared" / "arxiv" / "sample.jsonl.gz"
FIELDS = ("id", "title", "abstract", "authors", "categories", "update_date")
POLL_SECONDS = 0.05


def set_ids(folder: Path) -> set[str]:
    """The ids of a set's papers (the id column alone, memory-mapped)."""
    import pyarrow as pa

    reader = pa.ipc.open_file(pa.memory_map(str(folder / "papers.arrow"), "r"))
    ids: set[str] = set()
    for i in range(reader.num_record_batches):
        ids.update(reader.get_batch(i).column("id").to_pylist())
    return ids


def new_records(records: Path, taken: set[str], n: int) -> list[dict]:
    """The first n records of the sample whose ids the set does not hold."""
    found = []
    with gzip.open(records, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["id"] not in taken:
                found.append({name: record.get(name) for name in FIELDS})
                if len(found) == n:
                    break
    if len(found) < n:
        raise SystemExit(f"only {len(found)} records of {records} are not in the set; ask for fewer --papers")
    return found


def link_copy(source: Path, target: Path) -> None:
    """A copy of the set's folder whose files are hard links to the source's."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        os.link(path, target / path.name)


def file_states(folder: Path) -> dict[str, tuple[int, int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


def _status(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                values[key] = int(rest.split()[0]) * 1024
    return values


def _io(pid: int) -> dict[str, int]:
    with open(f"/proc/{pid}/io", encoding="ascii") as handle:
        return {key: int(value) for key, value in (line.split(": ") for line in handle)}


def run_measured(command: list[str], env: dict) -> dict:
    """Run command; poll its memory and I/O; time its stderr lines; return the figures."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[tuple[float, str]] = []
    out: list[str] = []

    def read_err() -> None:
        for line in process.stderr:
            lines.append((time.perf_counter() - started, line.rstrip("\n")))

    def read_out() -> None:
        out.extend(process.stdout)

    readers = [threading.Thread(target=read_err, daemon=True), threading.Thread(target=read_out, daemon=True)]
    for reader in readers:
        reader.start()
    peak = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    io = {}
    rusage = None
    while True:
        try:
            status = _status(process.pid)
            io = _io(process.pid)
            for key in peak:
                peak[key] = max(peak[key], status.get(key, 0))
        except (OSError, ValueError):
            pass
        finished, code, usage = os.wait4(process.pid, os.WNOHANG)
        if finished:
            rusage = usage
            process.returncode = os.waitstatus_to_exitcode(code)
            break
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    for reader in readers:
        reader.join()
    stages = []
    previous = 0.0
    for at, line in lines:
        stages.append({"at": round(at, 2), "after_previous": round(at - previous, 2), "line": line[:160]})
        previous = at
    return {
        "returncode": process.returncode,
        "seconds": round(seconds, 2),
        "peak_mb": {
            "VmHWM": round(peak["VmHWM"] / 2**20),
            "max_RssAnon": round(peak["RssAnon"] / 2**20),
            "max_RssFile": round(peak["RssFile"] / 2**20),
            "ru_maxrss": round(rusage.ru_maxrss / 1024) if rusage else None,
        },
        "io_mb": {key: round(io.get(key, 0) / 1e6, 1) for key in ("write_bytes", "wchar", "read_bytes", "rchar")},
        "log": stages,
        "stdout": "".join(out).strip()[-400:],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="model set to copy (never modified)")
    parser.add_argument(
        "--work", type=Path, required=True, help="folder for the linked copy and the input (created; removed unless --keep)"
    )
    parser.add_argument("--papers", type=int, default=1000, help="new papers to add")
    parser.add_argument("--records", type=Path, default=RECORDS, help="JSON lines to draw new papers from")
    parser.add_argument("--keep", action="store_true", help="keep the updated copy")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    source = args.model.resolve()
    if args.work.exists():
        raise SystemExit(f"--work {args.work} exists; give a new folder")
    folder = args.work / source.name
    cache = Path(tempfile.mkdtemp(prefix="benchmark-update-stamps-"))
    env = {**os.environ, "TOPIC_SEARCH_CACHE": str(cache)}
    python = sys.executable
    try:
        before = file_states(source)
        link_copy(source, folder)
        ids = set_ids(source)
        records = new_records(args.records, ids, args.papers)
        input_path = args.work / "new.jsonl"
        input_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        verify_code = "import sys; from lib.modelset import verify; verify(__import__('pathlib').Path(sys.argv[1]))"
        first = run_measured([python, "-c", verify_code, str(folder)], env)
        load_before = [round(x, 2) for x in os.getloadavg()]
        update = run_measured([python, "-m", "lib", "update", "--model", str(folder), "--input", str(input_path)], env)
        load_after = [round(x, 2) for x in os.getloadavg()]
        if update["returncode"] != 0:
            print("\n".join(line["line"] for line in update["log"]), file=sys.stderr)
            raise SystemExit("the update failed")
        changed = [name for name, state in file_states(source).items() if before.get(name) != state]
        if changed:
            raise SystemExit(f"the source set's files changed: {changed} (a linked file was written in place)")
        source_inodes = {state[0] for state in before.values()}
        new_files = {p.name: p.stat().st_size for p in folder.iterdir() if p.stat().st_ino not in source_inodes}
        load_code = "import sys; from lib.modelset import load_model_set; print(len(load_model_set(sys.argv[1]).papers))"
        after = run_measured([python, "-c", load_code, str(folder)], env)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        figures = {
            "model": str(source),
            "papers_before": len(ids),
            "papers_added": args.papers,
            "papers_after": manifest["counts"]["papers"],
            "update": update,
            "new_files_mb": round(sum(new_files.values()) / 1e6, 1),
            "new_files": sorted(new_files),
            "linked_files": sorted(set(p.name for p in folder.iterdir()) - set(new_files)),
            "verify_before_seconds": first["seconds"],
            "load_after_seconds": after["seconds"],
            "load_after_ok": after["returncode"] == 0 and after["stdout"].strip().endswith(str(manifest["counts"]["papers"])),
            "placed_share": manifest["updates"][-1]["placed_share"],
            "machine": {"cores": os.cpu_count(), "load_average_before": load_before, "load_average_after": load_after},
        }
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
