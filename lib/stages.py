"""Wall time and peak memory per stage of a long job, sampled by a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil

SAMPLE_SECONDS = 0.05

# Where a long job's progress lines go (the build's is stderr).
Log = Callable[[str], None]


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
