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
SCREENSHOTS = ROOT / "test-artifacts"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the browser tests left their screenshots."""
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")


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


def build_small(corpus: Path, out: Path, **overrides: object) -> dict:
    """Build a model set in-process with settings small enough for tests (real gensim, UMAP, HDBSCAN)."""
    from lib.build import BuildOptions, build_model_set
    from lib.params import PRESETS, with_overrides
    from lib.reading import Filters

    settings = {"doc2vec.epochs": 10, "umap.n_neighbors": 15, "hdbscan.min_cluster_size": 20, **overrides}
    params = with_overrides(PRESETS["default"], **settings)
    return build_model_set(BuildOptions(corpus, out, params, Filters(), workers=2), log=lambda message: None)


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200 synthetic papers over the demo topics."""
    from lib.demo import write_demo_corpus

    path = tmp_path_factory.mktemp("corpus") / "demo.jsonl.gz"
    write_demo_corpus(path, n_papers=1200, seed=1)
    return path


@pytest.fixture(scope="session")
def demo_model_set(demo_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model set built once per test session from the demo corpus; tests must not modify it."""
    out = tmp_path_factory.mktemp("models") / "demo"
    build_small(demo_corpus, out)
    return out
