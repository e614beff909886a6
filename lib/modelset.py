"""The model-set format: one folder with a manifest, written atomically and verified on load.

Layout of `models/<name>/`:
    manifest.json        format version, versions, parameters, input, counts, timings, sha256 of every file
    papers.arrow         id, title, authors, categories, update_date, abstract, synthetic, x, y, cluster: an
                         uncompressed Arrow IPC file of one record batch, memory-mapped (format 2: papers.parquet)
    vectors.npy          unit-length document vectors (float32, row i = paper i)
    map.npy              2-D map coordinates (float32)
    clusters.npy         cluster id per paper (int32, -1 = unclustered)
    topics.json          per cluster: size, keywords, label, main categories, centre
    levels.json          coarser levels of topics (lib/levels.py); sets built before it compute them at load
    doc2vec.model(+.npy) gensim's native format, loadable with mmap="r" (a pickle: trust the source)
    bm25_*.npy, bm25.json BM25 weights over titles and abstracts (sparse columns) and the term list
    ann_*.npy            optional: an inverted-file index of the vectors for sets of many papers (lib/ann.py)

Checksums: every file's sha256 is checked before anything is opened. Hashing a million-paper set takes
seconds, so a file that has passed once is remembered by its identity (device, inode, size, mtime, ctime)
in a stamp under the user's cache folder, and re-hashed only when any of those change. Files that are
unpickled (doc2vec.model) and the small JSON files are always hashed.
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
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

FORMAT_VERSION = 3
READABLE_FORMATS = (2, 3)
MANIFEST = "manifest.json"
PAPERS = "papers.arrow"
PAPERS_V2 = "papers.parquet"
VECTORS = "vectors.npy"
MAP = "map.npy"
CLUSTERS = "clusters.npy"
TOPICS = "topics.json"
LEVELS = "levels.json"
DOC2VEC = "doc2vec.model"
CORE_FILES = (PAPERS, VECTORS, MAP, CLUSTERS, TOPICS, DOC2VEC)
# Files at least this large may be trusted by their stamp instead of being hashed at every load.
STAMP_MIN_BYTES = 16 << 20
ALWAYS_HASHED = (DOC2VEC, MANIFEST)
# What loading depends on: doc2vec.model is a pickle of gensim objects and the .npy files are numpy's format.
# Parquet and JSON are portable, and no UMAP, HDBSCAN or scikit-learn object is stored, so their versions
# matter only for rebuilding the same set.
LOAD_DEPENDENCIES = ("python", "gensim", "numpy")
LIBRARIES = ("gensim", "numpy", "scipy", "pandas", "pyarrow", "umap-learn", "hdbscan", "scikit-learn", "numba", "pynndescent")
# The manifest's "documents" of a set built from a corpus file of full texts (else "abstracts").
FULL_TEXT = "full text (corpus file)"
_STAGING_MARK = ".building-"
_OLD_MARK = ".replaced-"


class ModelSetError(Exception):
    """A model set cannot be used; the message names the set, the file, and what to do."""


class ModelSetWarning(UserWarning):
    """A model set loaded but was built with other versions of Python or a library than are installed."""


def library_versions() -> dict[str, str]:
    """Python and the versions of the libraries whose files a model set depends on."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def version_differences(recorded: object) -> list[tuple[str, str, str]]:
    """(name, recorded, installed) for each load dependency whose major.minor version differs from the installed one."""
    recorded = recorded if isinstance(recorded, dict) else {}
    installed = library_versions()
    differences = []
    for name in LOAD_DEPENDENCIES:
        built = str(recorded.get(name, "not recorded"))
        if _major_minor(built) != _major_minor(installed[name]):
            differences.append((name, built, installed[name]))
    return differences


def describe_versions(differences: list[tuple[str, str, str]]) -> str:
    """Recorded and installed versions side by side, on one line."""
    return "; ".join(f"{name}: built with {built}, installed {now}" for name, built, now in differences)


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
    large = [name for name, entry in files.items() if entry["bytes"] >= STAMP_MIN_BYTES and name not in ALWAYS_HASHED]
    if large:
        remember_verified(folder, large)
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


def rebuild_hint(folder: Path, manifest: dict | None) -> str:
    """What to do about a broken set: the build command, with the input it was built from when known."""
    source = manifest.get("input") if isinstance(manifest, dict) else None
    path = source.get("path") if isinstance(source, dict) else None
    corpus = source.get("corpus_file") if isinstance(source, dict) else None
    if isinstance(corpus, dict):
        sources = f"--corpus-file {corpus.get('path') or 'CORPUS'} --metadata {path or 'METADATA'}"
        return f"rebuild it with `python -m lib build {sources} --out {folder}`"
    return f"rebuild it with `python -m lib build --input {path or 'DATA'} --out {folder}`"


def papers_file(manifest: dict) -> str:
    """The name of a set's papers table: an Arrow file from format 3 on, Parquet before."""
    return PAPERS if manifest.get("format_version") == FORMAT_VERSION else PAPERS_V2


def _check_format(folder: Path, manifest: dict) -> None:
    version = manifest.get("format_version")
    where = f"model set '{folder.name}': {MANIFEST}"
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelSetError(f"{where} has no valid format_version (damaged); {rebuild_hint(folder, manifest)}")
    if version > FORMAT_VERSION:
        raise ModelSetError(
            f"{where} says format version {version}, newer than this program reads ({FORMAT_VERSION}); "
            "update this program, or rebuild the set with this one"
        )
    if version not in READABLE_FORMATS:
        raise ModelSetError(
            f"{where} says format version {version}, older than this program reads "
            f"({min(READABLE_FORMATS)} to {FORMAT_VERSION}); {rebuild_hint(folder, manifest)}"
        )


def _listed_files(folder: Path, manifest: dict) -> dict[str, dict]:
    files = manifest.get("files")
    where = f"model set '{folder.name}': {MANIFEST}"
    valid = isinstance(files, dict) and all(
        isinstance(entry, dict) and isinstance(entry.get("bytes"), int) and isinstance(entry.get("sha256"), str) for entry in files.values()
    )
    if not valid or any(Path(name).name != name or name in (".", "..", MANIFEST) for name in files):
        raise ModelSetError(f"{where} has no valid file list (damaged); {rebuild_hint(folder, manifest)}")
    for name in (papers_file(manifest), *CORE_FILES[1:]):
        if name not in files:
            raise ModelSetError(f"{where} does not list {name} (damaged or incomplete); {rebuild_hint(folder, manifest)}")
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.name != MANIFEST and path.name not in files:
            raise ModelSetError(
                f"model set '{folder.name}': file {path.name} is not listed in {MANIFEST} (added after the build?); "
                f"remove it or {rebuild_hint(folder, manifest)}"
            )
    return files


def stamp_dir() -> Path:
    """Where stamps of verified files live: $TOPIC_SEARCH_CACHE, else $XDG_CACHE_HOME or ~/.cache, /topic-search/verified."""
    explicit = os.environ.get("TOPIC_SEARCH_CACHE")
    if explicit:
        return Path(explicit) / "verified"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "topic-search" / "verified"


def _identity(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def _stamp_path(manifest_sha: str) -> Path:
    return stamp_dir() / f"{manifest_sha}.json"


def _read_stamps(manifest_sha: str) -> dict:
    try:
        stamps = json.loads(_stamp_path(manifest_sha).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamps if isinstance(stamps, dict) else {}


def remember_verified(folder: Path, names: list[str], manifest_sha: str | None = None) -> None:
    """Record that these files of a set matched their checksums, so the next load need not hash them again."""
    manifest_sha = manifest_sha or sha256_file(folder / MANIFEST)
    stamps = _read_stamps(manifest_sha)
    for name in names:
        stamps[name] = _identity(folder / name)
    target = _stamp_path(manifest_sha)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
        partial.write_text(json.dumps(stamps), encoding="utf-8")
        partial.replace(target)
    except OSError:
        pass


def verify(folder: Path, manifest: dict | None = None, checksums: bool = True) -> dict:
    """Check format version, file list and every file's size and sha256 (unless checksums=False); return the manifest.

    Large data files whose identity matches a stamp written when they last passed are not hashed again.
    """
    manifest = manifest or read_manifest(folder)
    _check_format(folder, manifest)
    manifest_sha = sha256_file(folder / MANIFEST) if checksums else ""
    stamps = _read_stamps(manifest_sha) if checksums else {}
    hashed = []
    for name, expected in _listed_files(folder, manifest).items():
        path = folder / name
        if not path.is_file():
            raise ModelSetError(f"model set '{folder.name}': file {name} is missing; {rebuild_hint(folder, manifest)}")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise ModelSetError(
                f"model set '{folder.name}': file {name} has {size:,} bytes but {MANIFEST} says {expected['bytes']:,} "
                f"(truncated or damaged); {rebuild_hint(folder, manifest)}"
            )
        if not checksums:
            continue
        trusted = size >= STAMP_MIN_BYTES and name not in ALWAYS_HASHED and stamps.get(name) == _identity(path)
        if trusted:
            continue
        if sha256_file(path) != expected["sha256"]:
            raise ModelSetError(
                f"model set '{folder.name}': file {name} does not match its sha256 in {MANIFEST} (damaged or changed); "
                f"{rebuild_hint(folder, manifest)}"
            )
        if size >= STAMP_MIN_BYTES and name not in ALWAYS_HASHED:
            hashed.append(name)
    if hashed:
        remember_verified(folder, hashed, manifest_sha)
    return manifest


def papers_table(papers: object) -> object:
    """A pyarrow table of a papers DataFrame or table with 64-bit string offsets in one chunk, ready to memory-map."""
    import pyarrow as pa

    table = papers if isinstance(papers, pa.Table) else pa.Table.from_pandas(papers, preserve_index=False)
    fields = [pa.field(f.name, pa.large_string() if pa.types.is_string(f.type) else f.type) for f in table.schema]
    return table.cast(pa.schema(fields)).combine_chunks()


def write_papers(papers: object, path: Path) -> None:
    """Write the papers table as an uncompressed Arrow IPC file of one record batch.

    One batch, because pandas takes rows from a multi-chunk column by first concatenating it;
    uncompressed, so a loader maps the file instead of reading a copy of a million abstracts.
    """
    import pyarrow as pa

    table = papers_table(papers)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(1, table.num_rows))


def read_papers(path: Path) -> object:
    """The papers DataFrame; an Arrow file is memory-mapped (strings stay in the file's pages), Parquet is read."""
    import pandas as pd
    import pyarrow as pa

    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    return table.to_pandas()


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
    ann: object = None
    levels: list | None = None
    warnings: list[str] = field(default_factory=list)


class _Opener:
    """Opens a verified set's files one at a time, so a failure names the file (and any version differences)."""

    def __init__(self, folder: Path, manifest: dict, differences: list[tuple[str, str, str]]) -> None:
        self.folder, self.manifest, self.differences = folder, manifest, differences

    def open(self, name: str, load: Callable[[Path], object]) -> object:
        """load(path) of one file; any failure becomes a one-line ModelSetError."""
        try:
            return load(self.folder / name)
        except Exception as exc:
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            if self.differences:
                advice = (
                    f"it was built with other versions ({describe_versions(self.differences)}): "
                    f"install those, or {rebuild_hint(self.folder, self.manifest)}"
                )
            else:
                advice = rebuild_hint(self.folder, self.manifest)
            raise ModelSetError(f"model set '{self.folder.name}': file {name} could not be opened ({detail}); {advice}") from exc


def load_model_set(folder: str | Path) -> ModelSet:
    """Verify format and checksums before opening anything (doc2vec.model is a pickle), then open every file."""
    import numpy as np
    from gensim.models.doc2vec import Doc2Vec

    from lib.ann import FILES as ANN_FILES
    from lib.ann import load_ivf
    from lib.levels import levels_from_json
    from lib.lexical import META, load_index

    folder = Path(folder)
    if not folder.is_dir():
        raise ModelSetError(f"model set '{folder.name}' not found at {folder}; build one with `python -m lib build`")
    manifest = verify(folder)
    differences = version_differences(manifest.get("versions"))
    opener = _Opener(folder, manifest, differences)
    model_set = ModelSet(
        path=folder,
        manifest=manifest,
        papers=opener.open(papers_file(manifest), read_papers),
        vectors=opener.open(VECTORS, lambda path: np.load(path, mmap_mode="r")),
        coords=opener.open(MAP, lambda path: np.load(path, mmap_mode="r")),
        clusters=opener.open(CLUSTERS, lambda path: np.load(path, mmap_mode="r")),
        topics=opener.open(TOPICS, lambda path: json.loads(path.read_text(encoding="utf-8"))),
        doc2vec=opener.open(DOC2VEC, lambda path: Doc2Vec.load(str(path), mmap="r")),
        lexical=opener.open(META, lambda path: load_index(path.parent)),
    )
    if ANN_FILES["rows"] in manifest["files"]:
        model_set.ann = opener.open(ANN_FILES["rows"], lambda path: load_ivf(path.parent))
    if LEVELS in manifest["files"]:
        topics = model_set.topics
        model_set.levels = opener.open(LEVELS, lambda path: levels_from_json(json.loads(path.read_text(encoding="utf-8")), topics))
    if differences:
        message = (
            f"model set '{folder.name}' was built with other versions than are installed ({describe_versions(differences)}); "
            f"it loaded, but if it misbehaves {rebuild_hint(folder, manifest)}"
        )
        model_set.warnings.append(message)
        warnings.warn(message, ModelSetWarning, stacklevel=2)
    return model_set


@dataclass(frozen=True)
class ModelSetInfo:
    """What the app lists about a model set without loading it; full_text for sets built from a corpus file of full texts."""

    name: str
    path: Path
    papers: int | None
    created_at: str | None
    synthetic: bool
    error: str | None
    full_text: bool = False


def list_model_sets(models_dir: Path) -> list[ModelSetInfo]:
    """Every model set folder under models_dir (hidden folders are builds in progress), sorted by name."""
    infos = []
    if not models_dir.is_dir():
        return infos
    for folder in sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            manifest = verify(folder, read_manifest(folder), checksums=False)
            counts = manifest.get("counts") if isinstance(manifest.get("counts"), dict) else {}
            full_text = manifest.get("documents") == FULL_TEXT
            infos.append(
                ModelSetInfo(
                    folder.name, folder, counts.get("papers"), manifest.get("created_at"), bool(manifest.get("synthetic")), None, full_text
                )
            )
        except ModelSetError as exc:
            infos.append(ModelSetInfo(folder.name, folder, None, None, False, str(exc)))
    return infos
