"""A set swapped while a server loads or holds it: every engine is one whole version, and old versions are let go.

`python -m lib update` (and a rebuild) puts the new version in place with one rename while the app may be reading the
old one. These tests make the swap happen in the middle of a load, at the moment the papers table is opened, with the
real commit of lib/modelset.py.
"""

from __future__ import annotations

import gc
import shutil
import weakref
from pathlib import Path

import pytest

from lib import modelset
from lib.demo import generate_demo_records
from lib.engine import load_engine, manifest_version
from lib.update import UpdateOptions, update_model_set
from tests.conftest import write_jsonl


@pytest.fixture(scope="module")
def versions(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo set and, beside it, the same set after an update that added three papers."""
    root = tmp_path_factory.mktemp("versions")
    old = shutil.copytree(demo_model_set, root / "old" / "demo")
    new = shutil.copytree(demo_model_set, root / "new" / "demo")
    records = [{**r, "id": f"2704.{i:05d}"} for i, r in enumerate(generate_demo_records(3, seed=21))]
    update_model_set(UpdateOptions(new, write_jsonl(root / "new.jsonl", records)), log=lambda message: None)
    return old, new


def swap_in_while_loading(monkeypatch: pytest.MonkeyPatch, source: Path, target: Path) -> None:
    """Commit a copy of `source` at `target` (as update does) just before the next load opens target's papers table."""
    original = modelset.load_papers_frame
    swapped = []

    def opening(path: Path) -> object:
        if not swapped:
            staging = shutil.copytree(source, target.parent / f".{target.name}.staging-test")
            modelset.commit(staging, target)
            swapped.append(True)
        return original(path)

    monkeypatch.setattr(modelset, "load_papers_frame", opening)


def test_a_load_during_a_swap_gives_one_whole_version(versions: tuple[Path, Path], tmp_path: Path, monkeypatch) -> None:
    old, new = versions
    served = shutil.copytree(old, tmp_path / "demo")
    counts = {len(modelset.load_papers_frame(folder / modelset.PAPERS)) for folder in versions}
    assert len(counts) == 2

    # The hazard: loading by path across a swap mixes the old manifest with the new papers.
    swap_in_while_loading(monkeypatch, new, served)
    mixed = modelset.load_model_set(served)
    assert mixed.manifest["counts"]["papers"] != len(mixed.papers)

    # load_engine notices the manifest changed while it loaded and loads again: one version throughout.
    swap_in_while_loading(monkeypatch, old, served)
    engine = load_engine(served)
    manifest = engine.catalogue.manifest
    assert manifest == modelset.read_manifest(old)
    assert len(engine.catalogue) == manifest["counts"]["papers"] == len(engine.catalogue.coords) == len(engine.catalogue.clusters)
    assert engine.ranker.search("entropy production", k=5), "the engine searches"


def test_the_app_cache_follows_a_swap_and_lets_the_old_version_go(versions: tuple[Path, Path], tmp_path: Path) -> None:
    import pages.cache as cache

    old, new = versions
    served = shutil.copytree(old, tmp_path / "demo")
    first = cache.engine_for(str(served), manifest_version(served))
    assert cache.engine_for(str(served), manifest_version(served)) is first, "one engine per version"
    held = weakref.ref(first)
    staging = shutil.copytree(new, tmp_path / ".demo.staging-test")
    modelset.commit(staging, served)
    # A page run that got the old engine keeps a whole old version to its end: its papers table is memory-mapped from
    # a file the swap deleted, which stays readable while open.
    assert len(first.catalogue) == len(modelset.load_papers_frame(old / modelset.PAPERS))
    assert first.catalogue.papers["title"].str.len().sum() > 0

    # The next run sees the new version and gets it; the old one leaves the cache.
    second = cache.engine_for(str(served), manifest_version(served))
    assert second.catalogue.manifest == modelset.read_manifest(new)
    assert len(second.catalogue) == len(modelset.load_papers_frame(new / modelset.PAPERS))
    # A run that looked before the swap and asks for the old version late gets the new one (the picker describes the
    # set by the engine it got, so the page shows one version).
    late = cache.engine_for(str(served), first.version)
    assert late.version == second.version
    del first, late
    gc.collect()
    assert held() is None, "the superseded version is no longer cached"


def test_versions_written_within_one_second_are_told_apart(versions: tuple[Path, Path]) -> None:
    old, new = versions
    # The fixture's update follows the build at once: their created_at may be the same second, their versions not.
    assert manifest_version(old) != manifest_version(new)
    assert load_engine(old).version == manifest_version(old)
