"""Write a benchmark model set of any size by replicating a real one: `python -m bench.scale_model_set --help`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.scaling import scale_model_set


def main(argv: list[str] | None = None) -> int:
    """Parse the options, write the scaled set, print what was written and how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.split(":")[0])
    parser.add_argument("--model", type=Path, required=True, help="source model set, e.g. models/demo")
    parser.add_argument("--papers", type=int, required=True, help="papers in the scaled set")
    parser.add_argument("--out", type=Path, required=True, help="folder of the scaled set (replaced if present)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = scale_model_set(args.model, args.out, args.papers, args.seed, log=lambda message: print(message, flush=True))
    seconds = time.perf_counter() - started
    total = sum(entry["bytes"] for entry in manifest["files"].values())
    print(f"wrote {args.out}: {manifest['counts']['papers']:,} papers from '{manifest['scaled_from']['name']}' in {seconds:.1f} s")
    for name, entry in manifest["files"].items():
        print(f"  {name:<34} {entry['bytes'] / 1e6:10.1f} MB")
    print(f"  {'total':<34} {total / 1e6:10.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
