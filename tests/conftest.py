"""Shared fixtures: where the real arXiv sample lives, and small input files written per test."""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLE = Path(os.environ.get("ARXIV_SAMPLE", ROOT.parent / "shared" / "arxiv" / "sample.jsonl.gz"))
PYTHON = sys.executable


def paper(i: int, **fields: object) -> dict:
    """A valid snapshot-style record with distinct text."""
    record = {
        "id": f"2401.{i:05d}",
        "title": f"Paper number {i} on spectral graphs",
        "abstract": f"We study topic {i} with spectral methods and report findings {i}.",
        "authors": "Ada Lovelace, Alan Turing",
        "categories": "cs.LG stat.ML",
        "update_date": "2024-01-15",
    }
    record.update(fields)
    return record


def write_jsonl(path: Path, lines: list) -> Path:
    """Write records (dicts are JSON-encoded, strings written as they are) one per line."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as out:
        for line in lines:
            out.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


@pytest.fixture
def real_sample() -> Path:
    """The shared real arXiv sample; tests that need real text skip where it is absent."""
    if not SHARED_SAMPLE.is_file():
        pytest.skip(f"real arXiv sample not found at {SHARED_SAMPLE} (set ARXIV_SAMPLE to its path)")
    return SHARED_SAMPLE
