"""Add papers to a built model set, and replace papers whose records changed, without training anything again.

`update_model_set` reads an input as `build` does (lib/reading.py: JSON lines or CSV, bad records skipped and
counted, duplicate ids keeping their last record) through the set's own build filters unless others are given, and
writes the updated set into `modelset.staged`: the set is replaced in one swap, and an update stopped at any moment
leaves it exactly as it was (a hidden staging folder beside it, removed by the next build or update).

Each input paper is compared with the set by id:
    not in the set                   added (a new last row)
    its update_date older            kept as the set has it ("older"; a record without a date is older than a dated one)
    same date and same title, abstract, authors and categories
                                     unchanged: not counted as added, nothing written for it
    otherwise (a newer date, or the same date with other text: a correction)
                                     replaced in its own row; with the same title and abstract only its metadata
                                     changes (its trained vector, place, topic and BM25 row stay), else it is
                                     embedded and placed again like a new paper.
An update that adds and replaces nothing leaves the set untouched (so running one input twice changes the set once).
A paper whose newer record no longer passes the filters stays as the set has it: an update never removes papers.

New and re-embedded papers get:
    a document vector    gensim's inference on their cleaned document (the build's --text), seeded from its words
                         (lib/doc2vec.py `infer_vector`), so the same input gives the same vectors in any process
    a map place, a topic the similarity-weighted mean position and the weighted topic vote of their
                         PLACEMENT_NEIGHBOURS nearest papers of the set by document vector (lib/layout.py
                         `place_by_neighbours`, as the build places papers outside its map sample and the app a
                         query); re-embedded papers are not among their own neighbours. Topics keep their ids,
                         keywords, labels, categories and centres; their sizes are counted again from clusters.npy
                         and the coarser levels worked out again (lib/levels.py), so sizes stay consistent.
    a BM25 row           lib/lexical.py `write_updated_index`, with idf recomputed over the whole set: the index is
                         the one a build would make of the same papers, except that the average length stays the
                         build's (the stored weights keep no lengths to recompute it). Why: a term that grows common
                         through updates (a new field harvested week by week) loses weight as a rebuild would give it,
                         and words the set never had get columns of their own, so a new paper is found by them; with
                         the build's idf kept those words would have no idf at all. It costs no extra writing: a new
                         row enters each of its terms' columns, so the column arrays are written anew either way; it
                         costs one pass to scale each stored column and recompute the row norms. Measured with
                         bench/update_idf.py on the real 50,023-paper sample, its newest 10% added to an index of
                         the rest, 300 titles of each kind as queries against an index rebuilt from scratch: top-10
                         overlap 0.998 (added papers' titles) and 0.999 (old ones') with idf recomputed, 0.985 and
                         0.989 with it kept; an added paper's title finds it first 100% of the time against 99.0%;
                         5,258 terms were new. Average length moved from 130.41 to 131.04 words.
    ANN lists            where the set has an index: the same centroids, each new vector in its nearest list
                         (lib/ann.py `with_rows`, written by `write_with_rows`).

The manifest gets one "updates" record per update (when, the input's path, size and sha256, the filters, what was
read, added, replaced, unchanged, older, skipped and filtered, and the share of papers now placed rather than trained),
and the papers table a `placed` column: true for papers whose vector and place an update inferred. Files an update
does not change (the Doc2Vec model's) are hard links to the old set's (copies where links cannot be made); their
checksums are the old manifest's (the same inode), and every file is stamped as verified after the swap, so the next
load hashes only the manifest. What changes is streamed from the old files, never loaded whole: vectors.npy and the
papers table (one record batch, as a build writes it) are copied a block at a time with the new rows spliced in and
hashed as written (lib/modelset.py `write_array_spliced`, `write_papers_spliced`), the BM25 columns a block at a time
(lib/lexical.py), the ANN lists list by list (lib/ann.py `write_with_rows`). Adding 1,000 papers to a 1,000,000-paper
set: bench/benchmark_update.py, docs/BENCHMARKS.md.

When more than UPDATE_REBUILD_SHARE of the set is placed rather than trained, the update logs a line recommending a
rebuild, with the command: a build reads one input, so it is given the union of the build's and every update's input.
Sets built from a corpus file of full texts are refused: an input of abstracts would give their papers documents of
another kind.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lib import modelset
from lib.cleaning import clean_text
from lib.clustering import NOISE
from lib.corpus import document_texts
from lib.doc2vec import infer_vector
from lib.layout import place_by_neighbours
from lib.params import PLACEMENT_NEIGHBOURS
from lib.reading import FIELDS, Filters, InputError, ReadReport, read_papers
from lib.setfiles import MAP, PAPERS, VECTORS
from lib.stages import Log, log_stderr, now_iso
from lib.vectors import unit_rows

if TYPE_CHECKING:
    from lib.phrases import PhraseTable

# Fields that, all equal (with update_date), make an input record the same as the set's paper.
COMPARED = ("title", "abstract", "authors", "categories")
# Fields whose change means a new document: the paper is embedded, indexed and placed again.
DOCUMENT = ("title", "abstract")
PLACED = "placed"
# Scores computed at a time by the exact neighbour scan (papers x new papers): 64 MB of float32.
SCAN_SCORES = 1 << 24
# Above this share of papers placed rather than trained, `update` recommends a rebuild. What placing leaves out: the
# topics (their number, members, keywords and labels) and the map's layout were fitted without the placed papers, so a
# field that grows through updates gets no topic of its own and its papers are spread over the nearest old ones; BM25's
# average length stays the build's; the Doc2Vec model never learnt the placed papers' new words (inference ignores them);
# the ANN index's centroids stay, so lists grow unevenly. At a fifth of the set placed, one paper in five is in a topic
# fitted without it; below it the trained papers still set the topics' shape (with 15 neighbours a placed paper mostly
# lands among trained ones). The value is a judgement, not a measurement: it says when a rebuild is worth its hours.
UPDATE_REBUILD_SHARE = 0.2


class UpdateError(Exception):
    """The update cannot go on; the message is one line for the user."""


@dataclass(frozen=True)
class UpdateOptions:
    """The set to update, the input to read, and the filters (None: those the set was built with)."""

    model: Path
    input: Path
    filters: Filters | None = None


@dataclass(frozen=True)
class UpdateResult:
    """What an update did: its record in the manifest (None when nothing changed and nothing was written) and the read."""

    record: dict | None
    report: ReadReport
    added: int
    replaced: int
    unchanged: int
    older: int


def set_filters(manifest: dict, categories: tuple[str, ...] | None = None, since: str | None = None, until: str | None = None) -> Filters:
    """The filters the set was built with (its manifest's input.filters), each replaced by the one given; no --limit."""
    recorded = manifest.get("input", {}).get("filters")
    recorded = recorded if isinstance(recorded, dict) else {}
    built_categories = recorded.get("categories") if isinstance(recorded.get("categories"), list) else []
    return Filters(
        categories=tuple(categories) if categories is not None else tuple(str(c) for c in built_categories),
        since=since if since is not None else recorded.get("since") if isinstance(recorded.get("since"), str) else None,
        until=until if until is not None else recorded.get("until") if isinstance(recorded.get("until"), str) else None,
    )


@dataclass(frozen=True)
class Changes:
    """The input papers sorted against the set: rows replaced (with their new records) and papers added."""

    replaced_rows: np.ndarray
    replaced: pd.DataFrame
    reembed: np.ndarray  # per replaced row: its title or abstract changed
    added: pd.DataFrame
    unchanged: int
    older: int


def compare(set_papers: pd.DataFrame, incoming: pd.DataFrame) -> Changes:
    """Sort input papers into added, replaced (newer date, or same date and other text), unchanged and older ones."""
    rows = pd.Index(set_papers["id"]).get_indexer(incoming["id"])
    present = rows >= 0
    added = incoming[~present].reset_index(drop=True)
    candidates = incoming[present].reset_index(drop=True)
    found = rows[present]
    old = set_papers.iloc[found].reset_index(drop=True)
    new_date, old_date = candidates["update_date"].fillna(""), old["update_date"].fillna("")
    older = (new_date < old_date).to_numpy()
    same_text = np.ones(len(candidates), dtype=bool)
    same_document = np.ones(len(candidates), dtype=bool)
    for name in COMPARED:
        equal = (candidates[name].fillna("") == old[name].fillna("")).to_numpy()
        same_text &= equal
        if name in DOCUMENT:
            same_document &= equal
    unchanged = ~older & (new_date == old_date).to_numpy() & same_text
    replace = ~older & ~unchanged
    order = np.argsort(found[replace], kind="stable")
    return Changes(
        replaced_rows=found[replace][order].astype(np.int64),
        replaced=candidates[replace].iloc[order].reset_index(drop=True),
        reembed=~same_document[replace][order],
        added=added,
        unchanged=int(unchanged.sum()),
        older=int(older.sum()),
    )


def infer_vectors(doc2vec: object, papers: pd.DataFrame, text: str, phrases: PhraseTable | None = None) -> np.ndarray:
    """Unit document vectors of papers by gensim's inference, each seeded from its words (the same in every process).

    `phrases`: the set's phrase table when its Doc2Vec was trained on phrase tokens, so that an added paper's words
    are followed by its phrase tokens as a trained paper's were."""
    size = doc2vec.dv.vector_size
    vectors = np.zeros((len(papers), size), dtype=np.float32)
    for i, document in enumerate(document_texts(papers, text)):
        words = clean_text(document).split()
        vectors[i] = infer_vector(doc2vec, phrases.with_tokens(words) if phrases is not None else words)
    return unit_rows(vectors)


def nearest_papers(
    vectors: np.ndarray, queries: np.ndarray, k: int, excluded: np.ndarray, ann: object = None
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and cosines of each query's k nearest papers by vector, the `excluded` rows left out, best first.

    Through the set's ANN index when it has one (as the app's searches go), else an exact scan a block of queries at a
    time (SCAN_SCORES scores at once).
    """
    n = len(vectors)
    skip = np.zeros(n, dtype=bool)
    skip[excluded] = True
    if skip.all():  # every paper is being replaced: their old places are all there is
        skip[:] = False
    k = max(1, min(k, int((~skip).sum())))
    rows = np.zeros((len(queries), k), dtype=np.int64)
    scores = np.zeros((len(queries), k), dtype=np.float32)
    if ann is not None:
        for i, query in enumerate(queries):
            found, cosines = ann.search(query, k + int(skip.sum()))
            keep = ~skip[found]
            found, cosines = found[keep][:k], cosines[keep][:k]
            if len(found) < k:  # too few in the visited lists: scan exactly
                found, cosines = _scan(vectors, query[None, :], k, skip)
                found, cosines = found[0], cosines[0]
            rows[i], scores[i] = found, cosines
        return rows, scores
    block = max(1, SCAN_SCORES // max(n, 1))
    for start in range(0, len(queries), block):
        rows[start : start + block], scores[start : start + block] = _scan(vectors, queries[start : start + block], k, skip)
    return rows, scores


def _scan(vectors: np.ndarray, queries: np.ndarray, k: int, skip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cosines = np.asarray(queries @ np.asarray(vectors, dtype=np.float32).T, dtype=np.float32)
    cosines[:, skip] = -np.inf
    top = np.argpartition(-cosines, k - 1, axis=1)[:, :k]
    best = np.take_along_axis(cosines, top, axis=1)
    order = np.lexsort((top, -best), axis=1)
    return np.take_along_axis(top, order, axis=1).astype(np.int64), np.take_along_axis(best, order, axis=1)


def counted_topics(topics: list[dict], clusters: np.ndarray) -> list[dict]:
    """The topics' records with their sizes counted from clusters; a topic left with no paper is dropped."""
    sizes = np.bincount(clusters[clusters >= 0], minlength=max((t["id"] for t in topics), default=-1) + 1)
    return [{**topic, "size": int(sizes[topic["id"]])} for topic in topics if sizes[topic["id"]] > 0]


def update_model_set(options: UpdateOptions, log: Log = log_stderr) -> UpdateResult:
    """Add and replace the input's papers in the set (see the module docstring); the set is swapped whole or not at all."""
    folder = options.model
    if folder.is_symlink():
        raise modelset.ModelSetError(f"--model {folder} is a symbolic link; give the folder it points to")
    if not folder.is_dir():
        raise modelset.ModelSetError(f"model set '{folder.name}' not found at {folder}; build one with `python -m lib build`")
    if not options.input.is_file():
        raise InputError(f"input not found or not a file: {options.input}")
    with modelset.build_lock(folder):
        return _update_locked(options, log)


def _update_locked(options: UpdateOptions, log: Log) -> UpdateResult:
    started = time.perf_counter()
    folder = options.model
    model_set = modelset.load_model_set(folder)
    manifest = model_set.manifest
    if manifest.get("documents") == modelset.FULL_TEXT:
        raise UpdateError(
            f"model set '{folder.name}' was built from full texts (a corpus file); an update adds abstracts and cannot add to it: "
            f"{modelset.rebuild_hint(folder, manifest)} with the new papers in both files"
        )
    filters = options.filters or set_filters(manifest)
    log(f"reading {options.input}")
    table, report = read_papers(options.input, filters)
    incoming = table.to_frame()
    del table
    from lib.build import describe_read

    for line in describe_read(report):
        log(line)
    if report.kept == 0 and report.skipped and not report.filtered:
        raise UpdateError(f"no usable papers in {options.input}: every record was skipped (first at line {_first_skip(report)})")
    papers = model_set.papers
    changes = compare(papers, incoming)
    result = UpdateResult(None, report, len(changes.added), len(changes.replaced), changes.unchanged, changes.older)
    if not len(changes.added) and not len(changes.replaced):
        log(f"nothing to add or replace in '{folder.name}': the set was left as it was")
        return result
    input_sha = modelset.sha256_file(options.input)
    with modelset.staged(folder, log) as staging:
        written = _write_updated(model_set, changes, staging, log)
        record = {
            "at": now_iso(),
            "input": {"path": str(options.input.resolve()), "bytes": options.input.stat().st_size, "sha256": input_sha},
            "filters": {"categories": list(filters.categories), "since": filters.since, "until": filters.until},
            "records": report.records,
            "added": len(changes.added),
            "replaced": len(changes.replaced),
            "replaced_text": int(changes.reembed.sum()),
            "unchanged": changes.unchanged,
            "older": changes.older,
            "duplicates": report.duplicates,
            "skipped": report.as_dict()["skipped_total"],
            "skipped_reasons": dict(report.skipped),
            "filtered": sum(report.filtered.values()),
            **written.figures,
            "seconds": round(time.perf_counter() - started, 3),
        }
        known = {**_link_unchanged(folder, staging, manifest["files"]), **written.hashed}
        log("checksums")
        final = modelset.write_manifest(staging, _updated_manifest(manifest, written, record), known)
        identities = modelset.file_identities(staging)
        log("swapping the updated set into place")
    modelset.remember_committed(folder, identities)
    log(
        f"updated '{folder.name}': {record['added']:,} added, {record['replaced']:,} replaced, {record['unchanged']:,} unchanged, "
        f"{record['older']:,} older than the set's; {record['placed_share']:.1%} of {record['papers']:,} papers placed, not trained"
    )
    advice = rebuild_advice(folder, final)
    if advice:
        log(advice)
    return UpdateResult(record, report, len(changes.added), len(changes.replaced), changes.unchanged, changes.older)


def rebuild_advice(folder: Path, manifest: dict) -> str | None:
    """The line recommending a rebuild when more than UPDATE_REBUILD_SHARE of the set's papers are placed, else None.

    A build reads one input, and must be given every paper: the build's input and each update's, in that order (a later
    record of an id replaces an earlier one, as in the updates), with the set's filters.
    """
    updates = manifest.get("updates") or []
    share = updates[-1].get("placed_share", 0) if updates else 0
    if not share or share <= UPDATE_REBUILD_SHARE:
        return None
    inputs = [str(manifest.get("input", {}).get("path") or "BUILD-INPUT")]
    for update in updates:
        path = str(update.get("input", {}).get("path") or "UPDATE-INPUT")
        if path not in inputs[1:]:
            inputs.append(path)
    union = folder.parent / f"{folder.name}-all.jsonl"
    filters = manifest.get("input", {}).get("filters") or {}
    options = "".join(
        [
            f" --categories {' '.join(filters['categories'])}" if filters.get("categories") else "",
            f" --since {filters['since']}" if filters.get("since") else "",
            f" --until {filters['until']}" if filters.get("until") else "",
        ]
    )
    return (
        f"rebuild recommended: {share:.1%} of '{folder.name}' is placed rather than trained (above {UPDATE_REBUILD_SHARE:.0%}): "
        "its topics, map and BM25 average length were fitted without those papers. A build reads one input and must be "
        f"given every paper, the build's input and every update's (JSON lines; a later record of an id wins): "
        f"`zcat -f {' '.join(inputs)} > {union} && python -m lib build --input {union}{options} --out {folder}`"
    )


def _first_skip(report: ReadReport) -> int:
    return min((lines[0] for lines in report.examples.values() if lines), default=0)


@dataclass(frozen=True)
class Written:
    """What the update wrote: the figures of its manifest record, the topics, the unclustered papers, whether every
    paper is synthetic, and the checksums of the files hashed as they were written."""

    figures: dict
    topics: list[dict]
    noise: int
    synthetic: bool
    hashed: dict[str, str]  # sha256 of the files hashed as they were written


def _write_updated(model_set: modelset.ModelSet, changes: Changes, staging: Path, log: Log) -> Written:
    """Write every file the update changes into staging."""
    from lib.lexical import write_updated_index

    manifest = model_set.manifest
    n_old = len(model_set.papers)
    reembed_rows = changes.replaced_rows[changes.reembed]
    embedded = pd.concat([changes.replaced[changes.reembed], changes.added], ignore_index=True)
    text = manifest.get("params", {}).get("text", "title+abstract")
    log(f"inferring document vectors of {len(embedded):,} papers")
    trained_on_phrases = manifest.get("params", {}).get("doc2vec", {}).get("phrase_tokens", False)
    new_vectors = infer_vectors(model_set.doc2vec, embedded, text, model_set.lexical.phrases if trained_on_phrases else None)
    new_rows = np.concatenate([reembed_rows, np.arange(n_old, n_old + len(changes.added))]).astype(np.int64)
    log(f"placing {len(embedded):,} papers by their {PLACEMENT_NEIGHBOURS} nearest papers")
    nearest, cosines = nearest_papers(model_set.vectors, new_vectors, PLACEMENT_NEIGHBOURS, reembed_rows, model_set.ann)
    old_clusters = np.asarray(model_set.clusters, dtype=np.int32)
    places, labels = place_by_neighbours(nearest, 1.0 - cosines, np.asarray(model_set.coords, dtype=np.float32), old_clusters)

    log("vectors, map, topics and levels")
    hashed = {VECTORS: modelset.write_array_spliced(staging, VECTORS, model_set.path / VECTORS, reembed_rows, new_vectors)}
    coords = _spliced(model_set.coords, reembed_rows, places)
    clusters = _spliced(old_clusters, reembed_rows, labels)
    modelset.write_array(staging, MAP, coords)
    topics = counted_topics(model_set.topics, clusters)
    modelset.write_topics(staging, clusters, topics)
    modelset.write_levels(staging, clusters, topics)
    log(f"BM25 rows of {len(embedded):,} papers (idf recomputed for {len(coords):,} papers)")
    lexical = write_updated_index(
        model_set.lexical, [clean_text(t).split() for t in document_texts(embedded, "title+abstract", " ")], new_rows, staging
    )
    if model_set.ann is not None:
        from lib.ann import write_with_rows

        log(f"ANN index: {len(new_rows):,} papers put in their nearest lists")
        write_with_rows(model_set.ann, len(coords), new_rows, new_vectors, staging)
    log("papers table")
    placed, synthetic, hashed[PAPERS] = _write_papers(model_set, changes, new_rows, coords, clusters, staging)
    figures = {
        "papers": len(coords),
        "placed": placed,
        "placed_share": round(placed / len(coords), 4),
        "bm25": {"idf": "recomputed over every paper", "terms": lexical.terms, "new_terms": lexical.new_terms},
    }
    return Written(figures, topics, int((clusters == NOISE).sum()), synthetic, hashed)


def _spliced(old: np.ndarray, rows: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The old array with `rows` given new[:len(rows)] and new[len(rows):] appended."""
    out = np.concatenate([np.asarray(old), new[len(rows) :].astype(old.dtype)])
    out[rows] = new[: len(rows)]
    return out


def _write_papers(
    model_set: modelset.ModelSet, changes: Changes, new_rows: np.ndarray, coords: np.ndarray, clusters: np.ndarray, staging: Path
) -> tuple[int, bool, str]:
    """Write the papers table with replaced rows' new records, added papers last, every row's place and topic; return
    the number of papers placed by updates, whether every paper is synthetic, and the file's sha256.

    The old rows' strings are copied from the set's file, not loaded (lib/modelset.py `write_papers_spliced`)."""
    import pyarrow as pa

    old = pa.ipc.open_file(pa.memory_map(str(model_set.path / PAPERS), "r")).read_all()
    n_old = old.num_rows
    schema = modelset.papers_table(old.slice(0, 0)).schema
    if PLACED not in schema.names:
        schema = schema.append(pa.field(PLACED, pa.bool_()))
    placed = np.zeros(n_old + len(changes.added), dtype=bool)
    if PLACED in old.schema.names:
        placed[:n_old] = np.asarray(old.column(PLACED).to_numpy(zero_copy_only=False), dtype=bool)
    placed[new_rows] = True
    rows = np.concatenate([changes.replaced_rows, np.arange(n_old, n_old + len(changes.added))])
    records = pd.concat([changes.replaced, changes.added], ignore_index=True)
    columns = {}
    for field in schema:
        name, kind = field.name, field.type
        if name in FIELDS or name == "synthetic":
            columns[name] = pa.array(records[name].tolist(), type=kind)
        elif name in ("x", "y", "cluster", PLACED):
            columns[name] = pa.nulls(len(rows), type=kind)  # given whole below
        else:  # a column this program does not know: the replaced rows keep their value, added ones have none
            values = old.column(name).take(pa.array(changes.replaced_rows)).to_pylist() + [None] * len(changes.added)
            columns[name] = pa.array(values, type=kind)
    updates = pa.Table.from_pydict(columns, schema=schema)
    whole = {"x": coords[:, 0], "y": coords[:, 1], "cluster": clusters, PLACED: placed}
    sha = modelset.write_papers_spliced(
        model_set.path / PAPERS, staging / PAPERS, rows, updates, {k: v for k, v in whole.items() if k in schema.names}
    )
    synthetic = False
    if "synthetic" in schema.names:
        flags = np.zeros(n_old + len(changes.added), dtype=bool)
        if "synthetic" in old.schema.names:
            flags[:n_old] = np.asarray(old.column("synthetic").to_numpy(zero_copy_only=False), dtype=bool)
        flags[rows] = np.asarray(updates.column("synthetic").to_numpy(zero_copy_only=False), dtype=bool)
        synthetic = bool(flags.all())
    return int(placed.sum()), synthetic, sha


def _link_unchanged(source: Path, staging: Path, files: dict) -> dict[str, str]:
    """Hard-link into staging every file of the set that the update did not write (copy where a link cannot be made);
    return the sha256 the set's manifest gives each file linked (the same inode as the verified set's: the same bytes)."""
    linked = {}
    for name in files:
        if (staging / name).exists():
            continue
        try:
            os.link(source / name, staging / name)
        except OSError:
            shutil.copy2(source / name, staging / name)
            continue
        if os.path.samestat((source / name).stat(), (staging / name).stat()):
            linked[name] = files[name]["sha256"]
    return linked


def _updated_manifest(manifest: dict, written: Written, record: dict) -> dict:
    """The set's manifest with its new counts, this update's record added to its updates, the build's stages kept.

    created_at becomes the update's time (write_manifest), which tells the app the set changed; built_at keeps the build's.
    """
    topics, noise, papers = written.topics, written.noise, record["papers"]
    counts = manifest.get("counts", {})
    changes = {
        "counts": {
            **counts,
            "papers": papers,
            "clusters": len(topics),
            "noise": noise,
            "noise_share": round(noise / papers, 4),
            "largest_cluster": max((t["size"] for t in topics), default=0),
        },
        "synthetic": written.synthetic,
        "built_at": manifest.get("built_at", manifest.get("created_at")),
        "updates": [*manifest.get("updates", []), record],
    }
    if "stages" in manifest:
        changes["stages"] = manifest["stages"]
    return modelset.derived_manifest(manifest, **changes)
