"""A loaded model set as the app and evaluators use it: its catalogue of papers beside its ranker.

`load_engine(path)` is the one entry point. The engine is read-only and shared by every session of a
server process; pages ask `engine.catalogue` what is in the set and `engine.ranker` what matches.

An engine is one version of its set. A build or update swaps a new version into the folder in one rename while a
server may be loading the old one, and loading opens the set's files one after another by path: a swap between two
opens would give the manifest and some files of one version and the rest of the other. So the manifest is read
before and after loading, and a load during which it changed is done again (LOAD_ATTEMPTS in all). Once loaded,
nothing is read from the folder by path again (arrays and the papers table are memory-mapped from files already
open, which stay valid after the swap deletes them), so an engine never changes under a page that holds it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lib.catalogue import Catalogue
from lib.modelset import MANIFEST, ModelSetError, load_model_set
from lib.search import Ranker

# Loads of a set that keeps being swapped while it is read before giving up (each swap is a whole build or update).
LOAD_ATTEMPTS = 4


@dataclass(frozen=True, eq=False)
class Engine:
    """One model set's catalogue (what is in it) and ranker (what matches a query or a paper)."""

    catalogue: Catalogue
    ranker: Ranker
    # sha256 of the manifest the set was loaded with (`manifest_version`): tells two versions of a set apart, even two
    # written within one second (their created_at, to the second, can be equal: an update of a small set takes less)
    version: str = ""

    @property
    def name(self) -> str:
        """The model set's folder name."""
        return self.catalogue.name


def _manifest_bytes(folder: Path) -> bytes | None:
    """The manifest as it is on disk now (None when it cannot be read): what tells one version of a set from the next."""
    try:
        return (folder / MANIFEST).read_bytes()
    except OSError:
        return None


def manifest_version(folder: str | Path) -> str:
    """The version of the set now in this folder, as `Engine.version` names it: the sha256 of its manifest ("" when
    unreadable). Every build and update writes a manifest of its own (new times, counts and file checksums)."""
    data = _manifest_bytes(Path(folder))
    return hashlib.sha256(data).hexdigest() if data is not None else ""


def load_engine(path: str | Path) -> Engine:
    """Load and verify a model set once (arrays memory-mapped) and return its catalogue and ranker, all of one version.

    A load during which the set was swapped (its manifest changed) is repeated; a load that failed while the set was
    being swapped too (a file of the other version failed its checksum, or was already deleted).
    """
    folder = Path(path)
    for attempt in range(1, LOAD_ATTEMPTS + 1):
        before = _manifest_bytes(folder)
        try:
            model_set = load_model_set(folder)
        except ModelSetError:
            if attempt < LOAD_ATTEMPTS and _manifest_bytes(folder) != before:
                continue
            raise
        if before is not None and _manifest_bytes(folder) == before:
            catalogue = Catalogue(model_set)
            return Engine(catalogue, Ranker(model_set, catalogue), hashlib.sha256(before).hexdigest())
    raise ModelSetError(f"model set '{folder.name}' was replaced {LOAD_ATTEMPTS} times while it was being loaded; try again")
