"""Server CPU per interaction, by kind: what one search, one map, one topic page costs the Streamlit server.

Not a CI test. The load test (bench/load_test.py) reports CPU per interaction over a mix of pages; this script
splits it: one websocket session (the load test's `StreamClient`, which speaks the app's protocol as the browser
does and reports the messages it has cached) runs each kind of interaction --runs times in a row, each with
another query taken from the set's paper titles, and measures the server's CPU time (its process and children,
user + system) across them, the wall time of each run and the bytes the server sent. The server is quiet
otherwise, so its CPU during the runs is theirs. A first run of each kind is made before measuring (imports,
the model set's load, cold caches), so the figures are those of a warmed server.

Kinds: `search` (the search page with a query), `map` (the map page with a query pinned on it), `map-plain`
(the map page without a query: the figure a session sees first), `topics` (the topics page).

    python -m bench.interaction_cost --models DIR [--runs 20] [--kinds search,map] [--json OUT]
    python -m bench.interaction_cost --url http://127.0.0.1:8501 --pid PID --models DIR   # a running server
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import psutil

from bench.load_test import StreamClient, start_server, title_queries, tree_cpu_seconds

# Kind -> (page url path, whether the run carries a query).
KINDS = {"search": ("", True), "map": ("map", True), "map-plain": ("map", False), "topics": ("topics", False)}
RUN_TIMEOUT = 120.0


async def measure(url: str, server: psutil.Process, kinds: list[str], runs: int, queries: list[str]) -> dict:
    """Run each kind `runs` times in one session; CPU of the server, wall time and bytes per run, by kind."""
    client = await StreamClient.open(url, RUN_TIMEOUT)
    figures: dict[str, dict] = {}
    try:
        await client.run("", "", RUN_TIMEOUT)  # the session's first page
        for kind in kinds:
            page, with_query = KINDS[kind]
            await client.run(page, queries[0] if with_query else "", RUN_TIMEOUT)  # warm
            walls, sent = [], []
            cpu_before = tree_cpu_seconds(server)
            for i in range(runs):
                query = queries[1 + (i % (len(queries) - 1))] if with_query else ""
                bytes_before = client.received_bytes
                start = time.perf_counter()
                await client.run(page, query, RUN_TIMEOUT)
                walls.append(time.perf_counter() - start)
                sent.append(client.received_bytes - bytes_before)
            cpu = tree_cpu_seconds(server) - cpu_before
            figures[kind] = {
                "runs": runs,
                "server_cpu_per_run_s": round(cpu / runs, 3),
                "wall_median_s": round(statistics.median(walls), 3),
                "wall_max_s": round(max(walls), 3),
                "bytes_per_run_median": int(statistics.median(sent)),
            }
    finally:
        await client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=Path("models"), help="folder of model sets (queries are its titles)")
    parser.add_argument("--url", help="a running server instead of starting one (give --pid too)")
    parser.add_argument("--pid", type=int, help="the running server's process id")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {', '.join(KINDS)}")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    kinds = [kind for kind in args.kinds.split(",") if kind]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or args.runs < 1:
        parser.error(f"unknown kinds {unknown}; expected some of {', '.join(KINDS)}, and --runs of at least 1")
    process = None
    if args.url:
        if args.pid is None:
            parser.error("--url needs --pid, the server's process id, to measure its CPU")
        url, server = args.url.rstrip("/"), psutil.Process(args.pid)
    else:
        process, url = start_server(args.models)
        server = psutil.Process(process.pid)
    try:
        queries = title_queries(args.models, limit=args.runs + 1)
        figures = asyncio.run(measure(url, server, kinds, args.runs, queries))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    result = {"url": url, "models": str(args.models), "cores": os.cpu_count(), "uptime": load, "kinds": figures}
    for kind, row in figures.items():
        print(
            f"{kind:10s} server CPU {row['server_cpu_per_run_s']:.3f} s/run   wall median {row['wall_median_s']:.3f} s "
            f"(max {row['wall_max_s']:.3f})   {row['bytes_per_run_median'] / 1024:,.0f} KiB sent"
        )
    print(load)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
