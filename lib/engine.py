"""A loaded model set as the app and evaluators use it: its catalogue of papers beside its ranker.

`load_engine(path)` is the one entry point. The engine is read-only and shared by every session of a
server process; pages ask `engine.catalogue` what is in the set and `engine.ranker` what matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lib.catalogue import Catalogue
from lib.modelset import load_model_set
from lib.search import Ranker


@dataclass(frozen=True, eq=False)
class Engine:
    """One model set's catalogue (what is in it) and ranker (what matches a query or a paper)."""

    catalogue: Catalogue
    ranker: Ranker

    @property
    def name(self) -> str:
        """The model set's folder name."""
        return self.catalogue.name


def load_engine(path: str | Path) -> Engine:
    """Load and verify a model set once (arrays memory-mapped) and return its catalogue and ranker."""
    model_set = load_model_set(path)
    catalogue = Catalogue(model_set)
    return Engine(catalogue, Ranker(model_set, catalogue))
