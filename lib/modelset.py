"""The model-set format: one folder with a manifest, written atomically and verified on load.

This module is the format's one owner. Every file name is in lib/setfiles.py (the names below are re-exported
here; lib/doc2vec_files.py, lib/lexical.py and lib/ann.py write and read their part under those names and never
import this module, which imports them to load a set). Writing a set: `staged(target)` gives a hidden staging
folder and commits it whole (or removes it on failure); `write_papers`, `write_levels` and the part writers fill it;
`build_manifest(BuildRecord)` turns what a build knows into the manifest and `write_manifest` adds format version,
versions and every file's size and sha256. Reading: `verify`, `load_model_set`, `list_model_sets`.

Layout of `models/<name>/`:
    manifest.json        format version, versions, parameters, input, counts, timings, sha256 of every file, and
                         "updates": one record per `python -m lib update` (lib/update.py), absent in a set never updated
    papers.arrow         id, title, authors, categories, update_date, abstract, synthetic, x, y, cluster: an
                         uncompressed Arrow IPC file of one record batch, memory-mapped; an updated set also has
                         `placed` (true: the paper's vector and place were inferred by an update, not trained)
    vectors.npy          unit-length document vectors (float32, row i = paper i)
    map.npy              2-D map coordinates (float32)
    clusters.npy         cluster id per paper (int32, -1 = unclustered)
    topics.json          per cluster: size, keywords, label, main categories, centre
    levels.json          coarser levels of topics (lib/levels.py); sets built before it compute them at load
    doc2vec.json, doc2vec_words.json, doc2vec_vocab.npy, doc2vec_wv.npy, doc2vec_syn1neg.npy (doc2vec_syn1.npy)
                         what query inference needs of the Doc2Vec model: parameters, vocabulary, counts and
                         sampling tables, word and output weights (lib/doc2vec_files.py rebuilds the gensim model)
    bm25_*.npy, bm25.json BM25 weights over titles and abstracts (sparse columns) and the term list
    phrases.json         optional: the phrases BM25 indexes as terms (lib/phrases.py); sets built before it have none
    ann_*.npy            optional: an inverted-file index of the vectors for sets of many papers (lib/ann.py)

A set is data: nothing in it is unpickled or run. Sets of formats 2 and 3 held the Doc2Vec model as a pickle
(doc2vec.model); they are refused unopened, with the command that rebuilds them.

Checksums: every file's sha256 is checked before anything is opened. Hashing a million-paper set takes
seconds, so a file that has passed once is remembered by its identity (device, inode, size, mtime, ctime)
in a stamp under the user's cache folder, and re-hashed only when any of those change. The manifest is
hashed at every load, and so in practice are the small JSON files (below the stamp's minimum size).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import json
import os
import platform
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from lib import doc2vec_files
from lib.setfiles import (
    ALL_FILES,
    ANN,
    BM25_META,
    CLUSTERS,
    CORE_FILES,
    DOC2VEC_PARAMS,
    DOC2VEC_PICKLE,
    LEVELS,
    MANIFEST,
    MAP,
    PAPERS,
    PAPERS_V2,
    PHRASES,
    TOPICS,
    VECTORS,
)
from lib.settings import current_settings
from lib.stages import now_iso

if TYPE_CHECKING:  # lib.phrases imports scikit-learn, which listing sets should not load
    from lib.phrases import PhraseTable

FORMAT_VERSION = 4
READABLE_FORMATS = (4,)
# Formats whose Doc2Vec model was a Python pickle (doc2vec.model): never opened, since loading a pickle can run code.
PICKLE_FORMATS = (2, 3)
# Files at least this large may be trusted by their stamp instead of being hashed at every load.
STAMP_MIN_BYTES = 16 << 20
ALWAYS_HASHED = (MANIFEST,)
# What loading depends on: gensim rebuilds the Doc2Vec model from its arrays and runs inference over them, and the
# .npy files are numpy's format. Arrow and JSON are portable, and no UMAP, HDBSCAN or scikit-learn object is stored,
# so their versions matter only for rebuilding the same set.
LOAD_DEPENDENCIES = ("python", "gensim", "numpy")
LIBRARIES = ("gensim", "numpy", "scipy", "pandas", "pyarrow", "umap-learn", "hdbscan", "scikit-learn", "numba", "pynndescent")
# The manifest's "documents": a set built from titles and abstracts, or from a corpus file of full texts.
ABSTRACTS = "abstracts"
FULL_TEXT = "full text (corpus file)"
_STAGING_MARK = ".building-"
_OLD_MARK = ".replaced-"
_LOCK_SUFFIX = ".lock"


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


# What a build into `target` suggests instead when the target is not a model set.
_EXAMPLE_NAME = "cs-2024"


def _example(parent: Path) -> str:
    return str(parent / _EXAMPLE_NAME)


def _not_a_set_reason(target: Path) -> str | None:
    """Why an existing folder may not be replaced by a build (None: it is a model set and holds nothing else).

    A model set is a folder with a readable manifest.json of this project (an object with an integer
    format_version and a file list) beside which there is nothing the build did not write: a set's files may
    be missing or damaged (a rebuild repairs it), but a file or folder the manifest does not list may be a
    user's, and replacing the set would delete it.
    """
    entries = sorted(target.iterdir())
    if not entries:
        return (
            f"--out {target} is an empty folder, not a model set; remove it (rmdir {target}) "
            f"or give a new name such as {_example(target.parent)}"
        )
    if not (target / MANIFEST).is_file():
        if any(entry.is_dir() and (entry / MANIFEST).is_file() for entry in entries):
            return f"{target}/ holds model sets; give a new name such as {_example(target)}"
        return (
            f"--out {target} is a folder that is not a model set (no {MANIFEST}); a build would replace it whole, so nothing was "
            f"changed: give a new name such as {_example(target.parent)}"
        )
    try:
        manifest = read_manifest(target)
    except ModelSetError:
        manifest = None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not isinstance(version, int) or isinstance(version, bool):
        return (
            f"--out {target} has a {MANIFEST} that is not a model set's; nothing was changed: check the folder, remove it yourself "
            f"if it is a damaged set, or give a new name such as {_example(target.parent)}"
        )
    foreign = [
        entry.name + ("/" if entry.is_dir() else "")
        for entry in entries
        if entry.name != MANIFEST and (entry.is_dir() or entry.name not in files)
    ]
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        return (
            f"--out {target} is a model set but also holds {shown}, which its {MANIFEST} does not list; a rebuild would delete "
            f"{'them' if len(foreign) > 1 else 'it'}: move {'them' if len(foreign) > 1 else 'it'} out first, or give a new name"
        )
    return None


def check_build_target(target: Path, inputs: list[Path]) -> None:
    """Refuse, before anything is read or trained, every --out that a build could harm.

    A build replaces its target whole. So the target must be new or a model set (see _not_a_set_reason), never
    a file, a symbolic link, the root or working folder (or one above it), or a folder that holds an input.
    Raises ModelSetError with one line that says what to do.
    """
    if target.is_symlink():
        raise ModelSetError(f"--out {target} is a symbolic link; give the folder it points to, or a new name")
    where = target.resolve()
    if where == Path(where.anchor):
        raise ModelSetError(f"--out {target} is the root folder; give a new folder such as models/{_EXAMPLE_NAME}")
    cwd = Path.cwd().resolve()
    if where == cwd or where in cwd.parents:
        shown = str(target) or "."
        raise ModelSetError(f"--out {shown} is the working folder or holds it; give a new folder such as models/{_EXAMPLE_NAME}")
    for source in inputs:
        source_at = source.resolve()
        if source_at == where or where in source_at.parents:
            raise ModelSetError(
                f"--out {target} holds the input {source}; a build would replace it: give a new folder such as models/{_EXAMPLE_NAME}"
            )
    parent = where.parent
    if parent.exists() and not parent.is_dir():
        raise ModelSetError(
            f"the parent of --out, {target.parent}, is not a folder; give a path in a folder, such as models/{_EXAMPLE_NAME}"
        )
    if not target.exists():
        return
    if not target.is_dir():
        raise ModelSetError(f"--out {target} is a file, not a model set; give a new folder name such as {_example(target.parent)}")
    reason = _not_a_set_reason(target)
    if reason:
        raise ModelSetError(reason)


@contextlib.contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on building `target` (a hidden `.NAME.lock` beside it) or fail at once.

    Two builds into one folder would each train for hours and then collide at the swap; the second fails now
    instead, naming the first's process. The lock file is removed when the build ends; a lock whose file was
    removed meanwhile (by a build that just finished) is taken again on the new file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / f".{target.name}{_LOCK_SUFFIX}"
    for _ in range(3):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            pid = f" (process {holder})" if holder.isdigit() else ""
            raise ModelSetError(f"another build into {target} is running{pid}; wait for it to finish, or give another --out") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    else:
        raise ModelSetError(f"could not lock {path} for a build into {target}; try again")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


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
        try:
            staging.rename(target)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            raise ModelSetError(
                f"{target} appeared while this build ran; nothing there was changed and this build's result was discarded: "
                "build again to replace it, or give another --out"
            ) from None
    elif target.is_symlink() or not target.is_dir() or _not_a_set_reason(target):
        raise ModelSetError(
            f"{target} changed while this build ran and is no longer a model set; nothing there was changed and this build's "
            "result was discarded: give another --out"
        )
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


@contextlib.contextmanager
def staged(target: Path, log: Callable[[str], None] | None = None) -> Iterator[Path]:
    """A fresh hidden folder beside `target` to write a set in; put at `target` in one step when the block ends.

    Contract. On entry, leftovers of interrupted writes of `target` are removed (each named to `log`) and the staging
    folder is made, so that a parent folder that cannot be written fails before any work is done. The block writes
    every file and the manifest into the folder it is given. When the block ends normally the folder is committed
    (`commit`: files fsynced, then renamed to `target` or swapped with the set there in one step); when the block or
    the commit raises, the staging folder is removed and the exception propagates, and `target` is as it was.
    Checking the target (`check_build_target`) and holding `build_lock` are the caller's, before entering.
    """
    for leftover in clean_leftovers(target):
        if log is not None:
            log(f"removed leftovers of an interrupted build: {leftover}")
    staging = staging_dir(target)
    try:
        yield staging
        commit(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_array(folder: Path, name: str, array: object) -> None:
    """One of the set's .npy arrays (vectors.npy, map.npy) written into a set being staged; a name setfiles does not list is refused."""
    import numpy as np

    if name not in ALL_FILES or not name.endswith(".npy"):
        raise ValueError(f"{name!r} is not an array file of a model set (lib/setfiles.py lists them)")
    np.save(folder / name, array)


def write_topics(folder: Path, clusters: object, topics: list[dict]) -> None:
    """Every paper's level-0 topic (clusters.npy, -1 unclustered) and the topics' records (topics.json)."""
    write_array(folder, CLUSTERS, clusters)
    (folder / TOPICS).write_text(json.dumps(topics, indent=1) + "\n", encoding="utf-8")


# What write_manifest adds to a manifest: a set derived from another (bench/scaling.py) starts without them.
WRITTEN_FIELDS = ("format_version", "created_at", "versions", "files")


def derived_manifest(source: dict, **changes: object) -> dict:
    """The manifest of a set made from another set: the source's fields, without those write_manifest adds or its stages, then `changes`."""
    kept = {key: value for key, value in source.items() if key not in (*WRITTEN_FIELDS, "stages")}
    return {**kept, **changes}


def write_levels(folder: Path, clusters: object, topics: list[dict]) -> None:
    """Work out the coarser levels of topics of a set being written (its vectors.npy already in `folder`); write levels.json."""
    import numpy as np

    from lib.levels import levels_to_json, topic_levels

    levels = topic_levels(np.load(folder / VECTORS, mmap_mode="r"), clusters, topics)
    (folder / LEVELS).write_text(json.dumps(levels_to_json(levels)) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class CorpusFileRecord:
    """The corpus file a set's full texts came from (resolved path, size, sha256, lines) and the metadata's row count."""

    path: Path
    bytes: int
    sha256: str
    lines: int
    rows: int


@dataclass(frozen=True)
class BuildRecord:
    """What a build knows about the set it wrote, as plain values; `build_manifest` decides how the manifest says it.

    input_path is resolved; filters, read, params and stages are the JSON-ready records of their owners; map_papers is
    the number of papers the map was fitted on (None: every paper, nothing placed); placement_neighbours is how many
    nearest fitted papers place each other paper; ann is what the ANN index records (None: the set has none).
    """

    name: str
    synthetic: bool
    params: dict
    workers: int
    input_path: Path
    input_bytes: int
    input_sha256: str
    filters: dict
    corpus_file: CorpusFileRecord | None
    papers: int
    vocabulary: int
    clusters: int
    largest_cluster: int
    noise: int
    hdbscan_clusters: int
    hdbscan_noise: int
    read: dict
    placement_neighbours: int
    map_papers: int | None
    repeated_texts: int
    ann: dict | None
    stages: dict


def build_manifest(record: BuildRecord) -> dict:
    """The manifest of a built set, without what `write_manifest` adds (format version, creation time, versions, files)."""
    corpus = record.corpus_file
    corpus_fields = {}
    if corpus is not None:
        corpus_fields = {
            "rows": corpus.rows,
            "corpus_file": {"path": str(corpus.path), "bytes": corpus.bytes, "sha256": corpus.sha256, "lines": corpus.lines},
        }
    sampled = record.map_papers is not None
    return {
        "name": record.name,
        "synthetic": record.synthetic,
        "documents": ABSTRACTS if corpus is None else FULL_TEXT,
        "params": record.params,
        "workers": record.workers,
        "input": {
            "path": str(record.input_path),
            "bytes": record.input_bytes,
            "sha256": record.input_sha256,
            **corpus_fields,
            "filters": record.filters,
        },
        "counts": {
            "papers": record.papers,
            "vocabulary": record.vocabulary,
            "clusters": record.clusters,
            "noise": record.noise,
            "noise_share": round(record.noise / record.papers, 4),
            "hdbscan_clusters": record.hdbscan_clusters,
            "hdbscan_noise": record.hdbscan_noise,
            "largest_cluster": record.largest_cluster,
            "read": record.read,
        },
        "placement": {"method": "nearest neighbours in document-vector space", "k": record.placement_neighbours},
        "map_fit": {
            "papers": record.map_papers if sampled else record.papers,
            "repeated_texts": record.repeated_texts,
            "others": f"placed by their {record.placement_neighbours} nearest fitted papers (weighted mean, vote)" if sampled else "none",
            "lsa": "fitted on the sample, every paper projected" if sampled else "fitted on every paper",
        },
        **({"ann": record.ann} if record.ann else {}),
        "stages": record.stages,
    }


def write_manifest(folder: Path, manifest: dict, known: dict[str, str] | None = None) -> dict:
    """Add format version, checksums of every other file and versions, then write manifest.json.

    `known` gives the sha256 of files the caller need not have hashed again: files it hashed as it wrote them, and
    hard links to files of a set it verified (the same inode, so the same bytes); every other file is hashed here.
    """
    known = known or {}
    files = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != MANIFEST:
            files[path.name] = {"bytes": path.stat().st_size, "sha256": known.get(path.name) or sha256_file(path)}
    full = {"format_version": FORMAT_VERSION, "created_at": now_iso(), "versions": library_versions(), **manifest, "files": files}
    (folder / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    large = [name for name, entry in files.items() if entry["bytes"] >= STAMP_MIN_BYTES and name not in ALWAYS_HASHED]
    if large:
        remember_verified(folder, large)
    return full


def read_manifest(folder: Path) -> dict:
    """The parsed and checked manifest of a model set, or a ModelSetError naming what is wrong and the rebuild command.

    Whatever the file holds (any JSON, brackets nested 100,000 deep, gigabytes), the answer is a manifest whose
    fields have the types everything reads (`check_manifest_fields`) or a ModelSetError, never another exception.
    """
    path = folder / MANIFEST
    where = f"model set '{folder.name}': {MANIFEST}"
    if not path.is_file():
        raise ModelSetError(f"{where} is missing; {rebuild_hint(folder, None)}")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
            size = os.fstat(handle.fileno()).st_size
        if len(data) > MAX_MANIFEST_BYTES:
            raise ModelSetError(
                f"{where} has {max(size, len(data)):,} bytes, more than the {MAX_MANIFEST_BYTES:,} a manifest may have "
                f"(damaged); {rebuild_hint(folder, None)}"
            )
        manifest = json.loads(data.decode("utf-8"))
    except (OSError, ValueError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise ModelSetError(f"{where} is unreadable ({detail}); {rebuild_hint(folder, None)}") from None
    except RecursionError:
        raise ModelSetError(f"{where} is unreadable (nested too deeply); {rebuild_hint(folder, None)}") from None
    except MemoryError:
        raise ModelSetError(f"{where} is unreadable (too large to parse); {rebuild_hint(folder, None)}") from None
    if not isinstance(manifest, dict):
        raise ModelSetError(f"{where} is not a JSON object (damaged); {rebuild_hint(folder, None)}")
    return check_manifest_fields(folder, manifest)


# A manifest is a few kilobytes (the read report's examples keep it small); one larger than this is refused unparsed.
MAX_MANIFEST_BYTES = 4 << 20
# The manifest's fields that listing, loading, the app or evaluation read, and what each must be when present
# (format_version and files are checked by verify, with their own messages). "*" stands for every key of an object.
# Input first: the rebuild command in every other message is made from it.
_MANIFEST_FIELDS = (
    (("input",), "an object", lambda value: isinstance(value, dict)),
    (("input", "path"), "a one-line string", lambda value: isinstance(value, str) and value.isprintable()),
    (("input", "corpus_file"), "an object", lambda value: isinstance(value, dict)),
    (("input", "corpus_file", "path"), "a one-line string", lambda value: isinstance(value, str) and value.isprintable()),
    (("name",), "a string", lambda value: isinstance(value, str)),
    (("created_at",), "a string", lambda value: isinstance(value, str)),
    (("synthetic",), "true or false", lambda value: isinstance(value, bool)),
    (("documents",), "a string", lambda value: isinstance(value, str)),
    (("params",), "an object", lambda value: isinstance(value, dict)),
    (("counts",), "an object", lambda value: isinstance(value, dict)),
    (("counts", "papers"), "a whole number of at least 0", lambda value: type(value) is int and value >= 0),
    (("versions",), "an object", lambda value: isinstance(value, dict)),
    (("versions", "*"), "a string", lambda value: isinstance(value, str)),
    (("ann",), "an object", lambda value: isinstance(value, dict)),
    (("updates",), "an array", lambda value: isinstance(value, list)),
)


def _json_kind(value: object) -> str:
    """What a JSON value is, in words (never the value itself: it may be huge or hostile)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return "a negative number" if value < 0 else "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string" if value.isprintable() else "a string with line breaks or control characters"
    return "an array" if isinstance(value, list) else "an object"


def _field_values(manifest: dict, path: tuple[str, ...]) -> list[tuple[str, object]]:
    """(dotted name, value) of the values present at a key path ("*": every key of an object on the way)."""
    found = [("", manifest)]
    for key in path:
        step = []
        for name, value in found:
            if isinstance(value, dict):
                keys = list(value) if key == "*" else [key] if key in value else []
                step.extend((f"{name}.{' '.join(k.split())[:40]}" if name else k, value[k]) for k in keys)
        found = step
    return found


def check_manifest_fields(folder: Path, manifest: dict) -> dict:
    """The manifest itself when every field anything reads has its type, else a ModelSetError naming the first field that has not.

    The one place these fields are checked: list_model_sets and load_model_set both read manifests through it.
    """
    for path, wanted, valid in _MANIFEST_FIELDS:
        for name, value in _field_values(manifest, path):
            if not valid(value):
                raise ModelSetError(
                    f"model set '{folder.name}': {MANIFEST} field '{name}' should be {wanted}, not {_json_kind(value)} (damaged); "
                    f"{rebuild_hint(folder, None if path[0] == 'input' else manifest)}"
                )
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
    """The name of a set's papers table: an Arrow file from format 3 on, Parquet in format 2 (no longer read)."""
    return PAPERS_V2 if manifest.get("format_version") == 2 else PAPERS


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
    if version in PICKLE_FORMATS:
        raise ModelSetError(
            f"{where} says format version {version}, an older format whose Doc2Vec model is a Python pickle "
            f"({DOC2VEC_PICKLE}), which this program does not open because loading a pickle can run code; "
            f"{rebuild_hint(folder, manifest)}"
        )
    if version not in READABLE_FORMATS:
        raise ModelSetError(
            f"{where} says format version {version}, older than this program reads ({FORMAT_VERSION}); {rebuild_hint(folder, manifest)}"
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
    """Where stamps of verified files live: verified/ in the app's cache folder (lib/settings.py)."""
    return current_settings().cache_dir / "verified"


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


def file_identities(folder: Path) -> dict[str, list[int]]:
    """The identity and link count of each large file of a set being staged, taken before `commit` (see remember_committed)."""
    found = {}
    for path in folder.iterdir():
        info = path.stat()
        if path.is_file() and path.name not in ALWAYS_HASHED and info.st_size >= STAMP_MIN_BYTES:
            found[path.name] = [*_identity(path), info.st_nlink]
    return found


def remember_committed(folder: Path, staged_identities: dict[str, list[int]]) -> None:
    """Stamp the large files of a set just committed from staging, whose checksums write_manifest recorded.

    write_manifest stamps them in the staging folder, but a file hard-linked from the set it replaces changes its ctime
    when `commit` removes the old set's link (its link count drops), and its stamp no longer matches: the next load
    would hash it again. So after the commit each file is stamped again if it is still the file staged (same device,
    inode, size and mtime) and its ctime is unchanged or its link count has dropped (what removing the old link does).
    """
    names = []
    for name, before in staged_identities.items():
        try:
            info = (folder / name).stat()
        except OSError:
            continue
        now = _identity(folder / name)
        if now[:4] == before[:4] and (now[4] == before[4] or info.st_nlink < before[5]):
            names.append(name)
    if names:
        remember_verified(folder, names)


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


# Bytes copied at a time when a file is written from another one (write_array_spliced, write_papers_spliced).
COPY_BLOCK = 8 << 20


class _HashingWriter:
    """A file being written start to end, hashed as it goes: write(bytes) and copy(fd, position, length) from another file."""

    def __init__(self, handle: object) -> None:
        self.handle, self.digest, self.position = handle, hashlib.sha256(), 0
        self.block = bytearray(COPY_BLOCK)

    def write(self, data: object) -> int:
        view = memoryview(data).cast("B")
        self.handle.write(view)
        self.digest.update(view)
        self.position += len(view)
        return len(view)

    def copy(self, fd: int, position: int, length: int) -> None:
        """Copy bytes of another file through one reused block (read with pread: its pages are not mapped here)."""
        view = memoryview(self.block)
        while length > 0:
            got = os.preadv(fd, [view[: min(length, len(view))]], position)
            if got <= 0:
                raise OSError(f"unexpected end of file at {position:,} while copying")
            self.write(view[:got])
            position, length = position + got, length - got


def write_array_spliced(folder: Path, name: str, source: Path, rows: object, new: object) -> str:
    """Write array file `name` into a set being staged: the .npy at `source` with row rows[i] replaced by new[i] for
    i < len(rows) and new[len(rows):] appended; return its sha256.

    The old rows are copied from the file a block at a time (never mapped or loaded), so memory stays near the new
    rows' size at any number of papers. `rows` must be sorted and below the source's row count.
    """
    import numpy as np

    if name not in ALL_FILES or not name.endswith(".npy"):
        raise ValueError(f"{name!r} is not an array file of a model set (lib/setfiles.py lists them)")
    rows = np.asarray(rows, dtype=np.int64)
    with open(source, "rb") as old:
        version = np.lib.format.read_magic(old)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"{source} is a .npy file of version {version}, which cannot be spliced")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(old)
        start = old.tell()
        new = np.ascontiguousarray(new, dtype=dtype)
        if fortran or dtype.hasobject or new.shape[1:] != tuple(shape[1:]) or len(new) < len(rows):
            raise ValueError(f"{source} cannot be spliced with rows of shape {new.shape} and dtype {new.dtype}")
        if len(rows) and (np.any(np.diff(rows) <= 0) or rows[0] < 0 or rows[-1] >= shape[0]):
            raise ValueError("replaced rows must be sorted, distinct and within the array")
        row_bytes = int(dtype.itemsize * np.prod(shape[1:], dtype=np.int64))
        with open(folder / name, "wb") as handle:
            out = _HashingWriter(handle)
            header = {
                "descr": np.lib.format.dtype_to_descr(dtype),
                "fortran_order": False,
                "shape": (shape[0] + len(new) - len(rows), *shape[1:]),
            }
            try:  # as np.save writes it: version 1.0 unless the header needs 2.0
                np.lib.format.write_array_header_1_0(out, header)
            except ValueError:
                np.lib.format.write_array_header_2_0(out, header)
            done = 0
            for i, row in enumerate(rows.tolist()):
                out.copy(old.fileno(), start + done * row_bytes, (row - done) * row_bytes)
                out.write(new[i].tobytes())
                done = row + 1
            out.copy(old.fileno(), start + done * row_bytes, (shape[0] - done) * row_bytes)
            out.write(new[len(rows) :].tobytes())
    return out.digest.hexdigest()


class _SplicingSink:
    """The sink of an Arrow IPC writer that writes real bytes in place of placeholder buffers (see write_papers_spliced)."""

    closed = False

    def __init__(self, out: _HashingWriter, fd: int, placeholders: dict[int, tuple[int, list]]) -> None:
        self.out, self.fd, self.placeholders, self.filled = out, fd, placeholders, set()
        self.ranges = [(address, address + size) for address, (size, _) in placeholders.items()]

    def write(self, data: object) -> int:
        import pyarrow as pa

        if isinstance(data, pa.Buffer):
            address, size = data.address, data.size
            if address in self.placeholders and size == self.placeholders[address][0] and address not in self.filled:
                for segment in self.placeholders[address][1]:
                    if isinstance(segment, tuple):
                        self.out.copy(self.fd, *segment)
                    else:
                        self.out.write(segment)
                self.filled.add(address)
                return size
            if any(start < address + size and address < end for start, end in self.ranges):
                raise _SpliceUnsupported("the Arrow writer wrote part of a placeholder buffer")
        return self.out.write(data)

    def tell(self) -> int:
        return self.out.position

    def flush(self) -> None:
        self.out.handle.flush()

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True


class _SpliceUnsupported(Exception):
    """write_papers_spliced cannot stream this table; the caller writes it whole instead."""


def write_papers_spliced(source: Path, path: Path, rows: object, updates: object, columns: dict) -> str:
    """Write the papers table at `path` as `write_papers` would write the table of `source` (a papers.arrow of one
    record batch) with row rows[i] taking updates' row i: rows below the source's row count replace those rows (sorted,
    first), the others are appended in order. `columns` gives whole new columns (every row: x, y, cluster, placed); a
    column of `columns` the source has not is added. Return the file's sha256.

    Memory stays near the new rows' size: the string columns' bytes are copied from the source file a block at a
    time into the one record batch (pyarrow writes the batch's layout and small buffers; each string column's data
    buffer is a placeholder of untouched anonymous memory that the sink replaces by the source's bytes and the new
    rows'). Where that cannot be done (a string column with nulls, a writer that does not hand the placeholder
    through), the table is built in memory and written by `write_papers`: the same file, at a rebuild's memory.
    """
    import numpy as np
    import pyarrow as pa

    rows = np.asarray(rows, dtype=np.int64)
    source_map = pa.memory_map(str(source), "r")
    source_map.seek(0)
    base = source_map.read_buffer(8).address
    reader = pa.ipc.open_file(source_map)
    old = reader.get_batch(0) if reader.num_record_batches == 1 else None
    updates = papers_table(updates)
    try:
        if old is None:
            raise _SpliceUnsupported("the source has more than one record batch")
        return _write_spliced(source, path, old, base, rows, updates, columns)
    except _SpliceUnsupported:
        table = papers_table(reader.read_all())
        n_old = table.num_rows
        for name in updates.schema.names:
            if name not in table.schema.names:
                table = table.append_column(name, pa.array(np.asarray(columns[name])[:n_old]))
        table = table.select(updates.schema.names).cast(updates.schema)
        order = np.arange(n_old + int((rows >= n_old).sum()), dtype=np.int64)
        order[rows] = n_old + np.arange(len(rows))
        whole = pa.concat_tables([table, updates]).take(pa.array(order))
        for name, values in columns.items():
            index = whole.schema.get_field_index(name)
            whole = whole.set_column(index, whole.schema.field(name), pa.array(np.asarray(values), type=whole.schema.field(name).type))
        write_papers(whole, path)
        return sha256_file(path)


def _write_spliced(source: Path, path: Path, old: object, base: int, rows: object, updates: object, columns: dict) -> str:
    import mmap

    import numpy as np
    import pyarrow as pa

    n_old = old.num_rows
    replaced = rows[rows < n_old]
    appended = len(rows) - len(replaced)
    if not np.array_equal(rows[len(replaced) :], np.arange(n_old, n_old + appended)) or np.any(np.diff(replaced) <= 0):
        raise ValueError("replaced rows must come first, sorted, and appended rows follow the source's in order")
    n = n_old + appended
    arrays, placeholders, keep = [], {}, []
    for column_field in updates.schema:
        name, kind = column_field.name, column_field.type
        if name in columns:
            arrays.append(pa.array(np.asarray(columns[name]), type=kind))
            continue
        if name not in old.schema.names:
            raise _SpliceUnsupported(f"column {name} is neither in the source nor given whole")
        old_column, new_column = old.column(name), updates.column(name).combine_chunks()
        if kind != pa.large_string() or old_column.type != kind or old_column.null_count or new_column.null_count:
            order = np.arange(n, dtype=np.int64)
            order[rows] = n_old + np.arange(len(rows))
            arrays.append(pa.concat_arrays([old_column, new_column.cast(old_column.type)]).take(pa.array(order)).cast(kind))
            continue
        old_buffers, new_buffers = old_column.buffers(), new_column.buffers()
        old_offsets = np.frombuffer(old_buffers[1], dtype=np.int64)[old_column.offset : old_column.offset + n_old + 1]
        new_offsets = np.frombuffer(new_buffers[1], dtype=np.int64)[new_column.offset : new_column.offset + len(rows) + 1]
        new_data = new_buffers[2] if new_buffers[2] is not None else pa.py_buffer(b"")
        lengths = np.concatenate([np.diff(old_offsets), np.diff(new_offsets)[len(replaced) :]])
        lengths[replaced] = np.diff(new_offsets)[: len(replaced)]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        size = int(offsets[-1])
        data_at = old_buffers[2].address - base if old_buffers[2] is not None else 0
        segments, done = [], 0
        for i, row in enumerate(replaced.tolist()):
            if old_offsets[row] > old_offsets[done]:
                segments.append((data_at + int(old_offsets[done]), int(old_offsets[row] - old_offsets[done])))
            segments.append(new_data[int(new_offsets[i]) : int(new_offsets[i + 1])])
            done = row + 1
        if old_offsets[n_old] > old_offsets[done]:
            segments.append((data_at + int(old_offsets[done]), int(old_offsets[n_old] - old_offsets[done])))
        segments.append(new_data[int(new_offsets[len(replaced)]) : int(new_offsets[-1])])
        if size == 0:
            arrays.append(pa.array([""] * n, type=kind))
            continue
        placeholder = mmap.mmap(-1, size)  # anonymous and never touched: no memory is used for it
        keep.append(placeholder)
        data = pa.py_buffer(placeholder)
        placeholders[data.address] = (size, segments)
        arrays.append(pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), data], null_count=0))
    batch = pa.RecordBatch.from_arrays(arrays, schema=updates.schema)
    with open(source, "rb") as old_file, open(path, "wb") as handle:
        out = _HashingWriter(handle)
        sink = _SplicingSink(out, old_file.fileno(), placeholders)
        with pa.ipc.new_file(pa.PythonFile(sink, mode="w"), batch.schema) as writer:
            writer.write_batch(batch)
        if sink.filled != set(placeholders):
            raise _SpliceUnsupported("the Arrow writer did not hand every placeholder buffer through")
    return out.digest.hexdigest()


def load_papers_frame(path: Path) -> object:
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
        except ModelSetError:
            raise  # from a file opened within this one, already naming it
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


def _phrases(opener: _Opener, manifest: dict) -> PhraseTable | None:
    """The set's phrase table, or None for a set built before phrases (its BM25 index holds words only)."""
    from lib.phrases import load_phrases

    return opener.open(PHRASES, load_phrases) if PHRASES in manifest["files"] else None


def load_model_set(folder: str | Path) -> ModelSet:
    """Verify format and checksums before opening anything, then open every file; nothing is unpickled."""
    import numpy as np

    from lib.ann import load_ivf
    from lib.levels import levels_from_json
    from lib.lexical import load_index

    folder = Path(folder)
    if not folder.is_dir():
        raise ModelSetError(f"model set '{folder.name}' not found at {folder}; build one with `python -m lib build`")
    manifest = verify(folder)
    differences = version_differences(manifest.get("versions"))
    opener = _Opener(folder, manifest, differences)
    model_set = ModelSet(
        path=folder,
        manifest=manifest,
        papers=opener.open(papers_file(manifest), load_papers_frame),
        vectors=opener.open(VECTORS, lambda path: np.load(path, mmap_mode="r", allow_pickle=False)),
        coords=opener.open(MAP, lambda path: np.load(path, mmap_mode="r", allow_pickle=False)),
        clusters=opener.open(CLUSTERS, lambda path: np.load(path, mmap_mode="r", allow_pickle=False)),
        topics=opener.open(TOPICS, lambda path: json.loads(path.read_text(encoding="utf-8"))),
        doc2vec=opener.open(DOC2VEC_PARAMS, lambda path: doc2vec_files.load(folder, opener.open)),
        lexical=opener.open(BM25_META, lambda path: load_index(path.parent, _phrases(opener, manifest))),
    )
    if ANN["rows"] in manifest["files"]:
        model_set.ann = opener.open(ANN["rows"], lambda path: load_ivf(path.parent))
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
    """What the app lists about a model set without loading it; full_text for sets built from a corpus file of full texts.

    Of a set without error, papers is an int of at least 0 or None and created_at a string or None (read_manifest checks them);
    of a broken set, error is the one-line message and the other fields are empty.
    """

    name: str
    path: Path
    papers: int | None
    created_at: str | None
    synthetic: bool
    error: str | None
    full_text: bool = False


def list_model_sets(models_dir: Path) -> list[ModelSetInfo]:
    """Every model set folder under models_dir (hidden folders are builds in progress), sorted by name.

    Never raises for what a folder holds: a set whose manifest or files are wrong is listed with its error.
    """
    infos = []
    if not models_dir.is_dir():
        return infos
    for folder in sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            manifest = verify(folder, read_manifest(folder), checksums=False)
            counts = manifest.get("counts", {})
            full_text = manifest.get("documents") == FULL_TEXT
            infos.append(
                ModelSetInfo(
                    folder.name,
                    folder,
                    counts.get("papers"),
                    manifest.get("created_at"),
                    manifest.get("synthetic") is True,
                    None,
                    full_text,
                )
            )
        except ModelSetError as exc:
            infos.append(ModelSetInfo(folder.name, folder, None, None, False, str(exc)))
        except Exception as exc:  # a check that missed a case must not take every other set down with this one
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
            error = f"model set '{folder.name}': {MANIFEST} could not be checked ({detail}); {rebuild_hint(folder, None)}"
            infos.append(ModelSetInfo(folder.name, folder, None, None, False, error))
    return infos
