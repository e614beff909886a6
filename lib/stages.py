"""A long job's helpers: its progress log, its clock, and wall time and peak memory per stage.

`log_stderr` is the one progress logger (build, evaluate, harvest from the command line, benchmarks) and
`now_iso` the one clock of records (manifests, harvest state, evaluation reports); stage figures are
sampled by a background thread.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psutil

SAMPLE_SECONDS = 0.05

# Where a long job's progress lines go (the build's is stderr).
Log = Callable[[str], None]


def log_stderr(message: str) -> None:
    """Progress goes to stderr, so stdout carries only a command's result (a summary, a table)."""
    print(message, file=sys.stderr, flush=True)


def now_iso() -> str:
    """The current UTC time, to the second, ISO 8601."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class StageResult:
    """One finished stage: its name, wall seconds and peak resident memory in MB."""

    name: str
    seconds: float
    peak_rss_mb: float


@dataclass
class StageRecorder:
    """Times named stages and tracks the process's peak RSS within each one."""

    results: list[StageResult] = field(default_factory=list)
    on_done: Callable[[StageResult], None] | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Measure the enclosed block as one stage."""
        process = psutil.Process()
        peak = [process.memory_info().rss]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(SAMPLE_SECONDS):
                peak[0] = max(peak[0], process.memory_info().rss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        try:
            yield
        finally:
            done.set()
            sampler.join()
            peak[0] = max(peak[0], process.memory_info().rss)
            result = StageResult(name, time.perf_counter() - start, peak[0] / 2**20)
            self.results.append(result)
            if self.on_done:
                self.on_done(result)

    def as_dict(self) -> dict[str, dict[str, float]]:
        """Stage name -> seconds and peak RSS, for the manifest."""
        return {r.name: {"seconds": round(r.seconds, 3), "peak_rss_mb": round(r.peak_rss_mb, 1)} for r in self.results}
