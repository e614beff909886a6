"""The model-set format: one folder with a manifest, written atomically and verified on load.

Layout of `models/<name>/`:
    manifest.json        format version, versions, parameters, input, counts, timings, sha256 of every file
    papers.parquet       id, title, authors, categories, update_date, abstract, synthetic, x, y, cluster
    vectors.npy          unit-length document vectors (float32, row i = paper i)
    map.npy              2-D map coordinates (float32)
    clusters.npy         cluster id per paper (int32, -1 = unclustered)
    topics.json          per cluster: size, keywords, label, main categories, centre
    doc2vec.model(+.npy) gensim's native format, loadable with mmap="r" (a pickle: trust the source)
    bm25_*.npy, bm25.json BM25 weights over titles and abstracts (sparse columns) and the term list
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import platform
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
PAPERS = "papers.parquet"
VECTORS = "vectors.npy"
MAP = "map.npy"
CLUSTERS = "clusters.npy"
TOPICS = "topics.json"
DOC2VEC = "doc2vec.model"
LIBRARIES = ("gensim", "numpy", "scipy", "pandas", "pyarrow", "umap-learn", "hdbscan", "scikit-learn", "numba", "pynndescent")
_STAGING_MARK = ".building-"
_OLD_MARK = ".replaced-"


class ModelSetError(Exception):
    """A model set cannot be used; the message names the set, the file, and what to do."""


def library_versions() -> dict[str, str]:
    """Python and the versions of the libraries whose files a model set depends on."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def now_iso() -> str:
    """The current UTC time, to the second, ISO 8601."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(target: Path) -> list[Path]:
    """Remove folders that interrupted builds of `target` left behind; restore a set lost mid-swap."""
    removed = []
    if not target.parent.is_dir():
        return removed
    for leftover in target.parent.glob(f".{target.name}{_STAGING_MARK}*"):
        pid = leftover.name.rsplit("-", 2)[-2]
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            continue
        shutil.rmtree(leftover, ignore_errors=True)
        removed.append(leftover)
    for old in target.parent.glob(f".{target.name}{_OLD_MARK}*"):
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old)
        else:
            old.rename(target)
    return removed


def staging_dir(target: Path) -> Path:
    """A fresh folder beside `target` in which a build writes before it is swapped into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / f".{target.name}{_STAGING_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    return path


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


def commit(staging: Path, target: Path) -> None:
    """Put a complete staging folder at `target`; an existing set there is replaced in one step."""
    for path in staging.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    if not target.exists():
        staging.rename(target)
    elif _exchange(staging, target):
        shutil.rmtree(staging)
    else:
        old = target.parent / f".{target.name}{_OLD_MARK}{os.getpid()}"
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_manifest(folder: Path, manifest: dict) -> dict:
    """Add format version, checksums of every other file and versions, then write manifest.json."""
    files = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != MANIFEST:
            files[path.name] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    full = {"format_version": FORMAT_VERSION, "created_at": now_iso(), "versions": library_versions(), **manifest, "files": files}
    (folder / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return full


def read_manifest(folder: Path) -> dict:
    """The parsed manifest of a model set, or a ModelSetError saying what is wrong."""
    path = folder / MANIFEST
    if not path.is_file():
        raise ModelSetError(f"model set '{folder.name}': {MANIFEST} is missing; rebuild it with `python -m lib build`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelSetError(f"model set '{folder.name}': {MANIFEST} is unreadable ({exc}); rebuild it") from None
    if not isinstance(manifest, dict):
        raise ModelSetError(f"model set '{folder.name}': {MANIFEST} is not a JSON object; rebuild it")
    return manifest


def verify(folder: Path, manifest: dict | None = None) -> dict:
    """Check format version and every file's size and sha256 against the manifest; return the manifest."""
    manifest = manifest or read_manifest(folder)
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelSetError(
            f"model set '{folder.name}': format version {version} but this program reads version {FORMAT_VERSION}; "
            "rebuild it with this version or update the program"
        )
    for name, expected in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise ModelSetError(f"model set '{folder.name}': file {name} is missing; rebuild the model set")
        if path.stat().st_size != expected["bytes"] or sha256_file(path) != expected["sha256"]:
            raise ModelSetError(
                f"model set '{folder.name}': file {name} does not match its checksum (damaged or changed); rebuild the model set"
            )
    return manifest


@dataclass
class ModelSet:
    """A verified model set in memory; the large arrays are memory-mapped, not copied."""

    path: Path
    manifest: dict
    papers: object
    vectors: object
    coords: object
    clusters: object
    topics: list[dict]
    doc2vec: object
    lexical: object


def load_model_set(folder: str | Path) -> ModelSet:
    """Verify checksums first, then open every file of a model set (arrays memory-mapped)."""
    import numpy as np
    import pandas as pd
    from gensim.models.doc2vec import Doc2Vec

    from lib.lexical import load_index

    folder = Path(folder)
    if not folder.is_dir():
        raise ModelSetError(f"model set '{folder.name}' not found at {folder}; build one with `python -m lib build`")
    manifest = verify(folder)
    try:
        return ModelSet(
            path=folder,
            manifest=manifest,
            papers=pd.read_parquet(folder / PAPERS),
            vectors=np.load(folder / VECTORS, mmap_mode="r"),
            coords=np.load(folder / MAP, mmap_mode="r"),
            clusters=np.load(folder / CLUSTERS, mmap_mode="r"),
            topics=json.loads((folder / TOPICS).read_text(encoding="utf-8")),
            doc2vec=Doc2Vec.load(str(folder / DOC2VEC), mmap="r"),
            lexical=load_index(folder),
        )
    except Exception as exc:
        raise ModelSetError(f"model set '{folder.name}' could not be opened ({type(exc).__name__}: {exc}); rebuild it") from exc


@dataclass(frozen=True)
class ModelSetInfo:
    """What the app lists about a model set without loading it."""

    name: str
    path: Path
    papers: int | None
    created_at: str | None
    synthetic: bool
    error: str | None


def list_model_sets(models_dir: Path) -> list[ModelSetInfo]:
    """Every model set folder under models_dir (hidden folders are builds in progress), sorted by name."""
    infos = []
    if not models_dir.is_dir():
        return infos
    for folder in sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            manifest = read_manifest(folder)
            counts = manifest.get("counts", {})
            infos.append(
                ModelSetInfo(folder.name, folder, counts.get("papers"), manifest.get("created_at"), bool(manifest.get("synthetic")), None)
            )
        except ModelSetError as exc:
            infos.append(ModelSetInfo(folder.name, folder, None, None, False, str(exc)))
    return infos
