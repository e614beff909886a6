"""Draw a fixed-seed random sample of records from a JSON-lines file (for evaluation and tuning).

python -m bench.sample_papers --input ../shared/arxiv/sample.jsonl.gz --n 20000 --seed 0 --out /tmp/s20k.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import random
from pathlib import Path


def sample_lines(path: Path, n: int, seed: int) -> list[bytes]:
    """Reservoir-sample n lines (memory holds only the sample), returned in file order."""
    rng = random.Random(seed)
    reservoir: list[tuple[int, bytes]] = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        for number, line in enumerate(handle):
            if len(reservoir) < n:
                reservoir.append((number, line))
            else:
                slot = rng.randint(0, number)
                if slot < n:
                    reservoir[slot] = (number, line)
    return [line for _, line in sorted(reservoir)]


def main() -> None:
    """Parse arguments and write the sample (gzip when --out ends in .gz)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lines = sample_lines(args.input, args.n, args.seed)
    opener = gzip.open if args.out.suffix == ".gz" else open
    with opener(args.out, "wb") as out:
        out.writelines(line if line.endswith(b"\n") else line + b"\n" for line in lines)
    print(f"wrote {len(lines):,} records to {args.out}")


if __name__ == "__main__":
    main()
