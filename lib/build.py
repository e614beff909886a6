"""Build a model set: read -> clean -> Doc2Vec -> UMAP -> HDBSCAN -> topics -> write, atomically.

A paper's document is its title and abstract from the metadata, or (with a corpus file) its title and
its line of the corpus file: the paper's full text, already tokenised, line i for metadata row i.

`_train_and_write` is the list of stages after the read, each timed under its name in the manifest (clean,
phrases, doc2vec, index, lexical, umap, hdbscan, place, topics, write). Each stage is a small function here taking
and returning plain data; the work itself is done in its module: lib/corpus.py (the training corpus),
lib/doc2vec.py, lib/ann.py (the ANN index of large sets), lib/lexical.py (BM25), lib/layout.py (features,
neighbours, UMAP, placement), lib/clustering.py (HDBSCAN and its clean-up into topics), lib/topic_summaries.py
and lib/levels.py (keywords, summaries, coarser levels). lib/modelset.py owns the format: the build writes into
`modelset.staged(out)` (committed whole, or removed on failure) under the names of lib/setfiles.py, and passes
what it knows as a `modelset.BuildRecord`, from which modelset builds and writes the manifest.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lib import doc2vec_files, modelset
from lib.ann import ANN_MIN_PAPERS, build_ivf
from lib.cleaning import tokenize
from lib.clustering import NOISE, assign_noise, by_size, cluster_points, merge_clusters, unsettle
from lib.corpus import document_texts, paired_documents, read_corpus, write_corpus, write_phrase_corpus
from lib.doc2vec import train_doc2vec
from lib.layout import Neighbours, distinct_text_rows, fit_umap, map_sample_rows, nearest_neighbours, place_rest, topic_features
from lib.params import PLACEMENT_NEIGHBOURS, BuildParams
from lib.reading import (
    MAX_CHARS,
    CorpusFileReport,
    Filters,
    InputError,
    ReadReport,
    corpus_lines,
    read_paired_metadata,
    read_papers,
)
from lib.stages import Log, StageRecorder, log_stderr
from lib.vectors import unit_rows

if TYPE_CHECKING:
    from lib.lexical import LexicalIndex
    from lib.phrases import PhraseTable

MIN_PAPERS = 20
EXPECTED_INPUT = "expected JSON lines (one object per line with id, title, abstract) or CSV with those columns"
CORPUS = "corpus.txt"
# The corpus with each line's phrase tokens appended, written for Doc2Vec's training and deleted after it.
PHRASE_CORPUS = "corpus-phrases.txt"
PAIRED_TEXT = "title+full text"


class BuildError(Exception):
    """The build cannot go on; the message is one line for the user."""


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class BuildOptions:
    """What to read, what to keep, how to train, and where the set goes.

    With corpus_file set, `input` is the metadata whose row i describes line i of the corpus file.
    """

    input: Path
    out: Path
    params: BuildParams
    filters: Filters
    workers: int
    corpus_file: Path | None = None


def _read_progress(log: Log, every_seconds: float = 5.0) -> Callable[[ReadReport], None]:
    start = time.perf_counter()
    last = [start]

    def report(r: ReadReport) -> None:
        now = time.perf_counter()
        if now - last[0] >= every_seconds:
            last[0] = now
            log(f"  read {r.records:,} records, kept {r.kept:,}  ({r.bytes_read / 2**20 / (now - start):.0f} MB/s)")

    return report


def _explain_nothing_usable(path: Path, report: ReadReport) -> str:
    if path.stat().st_size == 0:
        return f"no usable papers in {path}: the file is empty"
    reasons = ", ".join(f"{n} {reason} (first at line {report.examples[reason][0]})" for reason, n in report.skipped.most_common())
    filtered = ", ".join(f"{n} {reason}" for reason, n in report.filtered.most_common())
    parts = [f"{report.records} record{'' if report.records == 1 else 's'} read"]
    parts += [f"skipped: {reasons}"] if reasons else []
    parts += [f"filtered out: {filtered}"] if filtered else []
    parts += [report.stopped_early] if report.stopped_early else []
    hint = "" if filtered or not reasons else f"; {EXPECTED_INPUT}"
    return f"no usable papers in {path} ({'; '.join(parts)}){hint}"


def build_model_set(options: BuildOptions, log: Log = log_stderr) -> dict:
    """Build the model set described by options and return its manifest; nothing is left half-written."""
    paired = options.corpus_file is not None
    if not options.input.is_file():
        raise InputError(f"{'metadata' if paired else 'input'} not found or not a file: {options.input}")
    if paired and not options.corpus_file.is_file():
        raise InputError(f"corpus file not found or not a file: {options.corpus_file}")
    if paired:
        options = replace(options, params=replace(options.params, text=PAIRED_TEXT))
    modelset.check_build_target(options.out, [options.input] + ([options.corpus_file] if paired else []))
    # The staging folder is made before reading, so that a folder the build cannot write to fails now, not after hours of training.
    with modelset.build_lock(options.out), modelset.staged(options.out, log) as staging:
        manifest = _read_train_and_write(options, staging, log)
    return manifest


def _read_train_and_write(options: BuildOptions, staging: Path, log: Log) -> dict:
    stages = StageRecorder(on_done=lambda r: log(f"  {r.name} done in {r.seconds:.1f}s (peak {r.peak_rss_mb:,.0f} MB)"))
    paired = options.corpus_file is not None
    keep = None
    with stages.stage("read"):
        log(f"reading {options.input}")
        if paired:
            table, keep, report = read_paired_metadata(options.input, options.filters, progress=_read_progress(log))
        else:
            table, report = read_papers(options.input, options.filters, progress=_read_progress(log))
        if report.kept == 0:
            raise BuildError(_explain_nothing_usable(options.input, report))
        if report.kept < MIN_PAPERS:
            raise BuildError(f"only {report.kept} usable papers in {options.input}; a model set needs at least {MIN_PAPERS}")
        papers = table.to_frame()
        del table
        input_sha = modelset.sha256_file(options.input)
    for line in describe_read(report):
        log(line)
    return _train_and_write(options, papers, report, input_sha, staging, stages, log, keep)


@dataclass(frozen=True)
class Corpus:
    """The training corpus in the staging folder (line i = paper i), and the corpus file it came from (None: abstracts)."""

    path: Path
    documents: int
    source: CorpusFileReport | None


@dataclass(frozen=True)
class MapRows:
    """The rows the map is fitted on (sorted; None = every paper) and how many papers repeat an earlier paper's text."""

    sample: np.ndarray | None
    copies: int


@dataclass(frozen=True)
class Layout:
    """The map fitted on the sample: every paper's features, the fitted rows' features, their 2-D coordinates, the
    space they are clustered in (the map itself or a higher-dimensional UMAP) and their nearest neighbours."""

    features: np.ndarray
    fitted: np.ndarray
    coords: np.ndarray
    space: np.ndarray
    neighbours: Neighbours


@dataclass(frozen=True)
class Clusters:
    """The fitted rows' topic labels, and what HDBSCAN itself found before noise was assigned and topics merged."""

    labels: np.ndarray
    hdbscan_clusters: int
    hdbscan_noise: int


def _train_and_write(
    options: BuildOptions,
    papers,
    report: ReadReport,
    input_sha: str,
    staging: Path,
    stages: StageRecorder,
    log: Log,
    keep: list[bool] | None = None,
) -> dict:
    """The stages after the read, in order; large arrays are dropped as soon as the next stages no longer need them."""
    with stages.stage("clean"):
        corpus = _clean_corpus(options, papers, keep, staging / CORPUS, log)
    options = replace(options, params=options.params.for_corpus(corpus.documents))
    params = options.params
    with stages.stage("phrases"):
        phrases = _learn_phrases(papers, corpus, log)
    with stages.stage("doc2vec"):
        vectors, vocabulary = _doc2vec(options, corpus, phrases, staging, log)
    ann = None
    if corpus.documents >= ANN_MIN_PAPERS:
        with stages.stage("index"):
            ann = build_ivf(vectors, params.seed, log=log).save(staging)
    with stages.stage("lexical"):
        lexical = _lexical_index(papers, corpus, phrases, staging, log)
    with stages.stage("umap"):
        rows = _map_rows(params, corpus)
        features = topic_features(vectors, lexical, params.topics, params.seed, fit_rows=rows.sample)
        del vectors, lexical  # saved already; the map needs only the features from here on
        layout = _fit_map(params, features, rows, corpus.documents, log)
    with stages.stage("hdbscan"):
        clusters = _cluster(params, layout, options.workers, log)
    if rows.sample is None:
        coords, labels = layout.coords, clusters.labels
    else:
        with stages.stage("place"):
            coords, labels = _place(layout, rows.sample, clusters.labels, corpus.documents, log)
    # Every paper's features, their neighbours and the clustered space: the keywords need none of them.
    del features, layout
    with stages.stage("topics"):
        topics = _topics(corpus, coords, labels, papers, staging)
    with stages.stage("write"):
        _write_papers_and_topics(corpus, coords, labels, topics, papers, staging)
    record = _build_record(options, papers, report, input_sha, keep, corpus, vocabulary, rows, clusters, labels, topics, ann, stages)
    return modelset.write_manifest(staging, modelset.build_manifest(record))


def _clean_corpus(options: BuildOptions, papers, keep: list[bool] | None, path: Path, log: Log) -> Corpus:
    """Clean each paper's document into the training corpus: its metadata text (--text), or its title and corpus-file line."""
    if keep is None:
        return Corpus(path, write_corpus(document_texts(papers, options.params.text), path), None)
    return Corpus(path, len(papers), _write_paired_corpus(options, papers["title"].tolist(), keep, path, log))


def _write_paired_corpus(options: BuildOptions, titles: Sequence[str], keep: Sequence[bool], corpus: Path, log: Log) -> CorpusFileReport:
    """Clean each kept paper's title and corpus line into the training corpus; fail unless lines and metadata rows match."""
    source = CorpusFileReport()
    log(f"reading {options.corpus_file}")
    write_corpus(paired_documents(corpus_lines(options.corpus_file, source), titles, keep, log), corpus)
    if source.lines != len(keep):
        raise BuildError(
            f"corpus file {options.corpus_file} has {source.lines:,} lines but metadata {options.input} has {len(keep):,} rows; "
            "line i of the corpus file must be the text of the paper in row i of the metadata"
        )
    return source


def _doc2vec(options: BuildOptions, corpus: Corpus, phrases: PhraseTable, staging: Path, log: Log) -> tuple[np.ndarray, int]:
    """Train Doc2Vec (on words and phrase tokens if the parameters say so), save the model, and save and return the
    unit document vectors with the vocabulary size."""
    params, workers = options.params, options.workers
    training = corpus.path
    if params.doc2vec.phrase_tokens:
        training = staging / PHRASE_CORPUS
        log(f"adding phrase tokens to the training corpus ({len(phrases):,} phrases)")
        write_phrase_corpus(corpus.path, phrases, training)
    log(f"training Doc2Vec on {corpus.documents:,} papers ({params.doc2vec.epochs} epochs, {workers} workers)")
    model = train_doc2vec(training, corpus.documents, params.doc2vec, workers, params.seed, log)
    if training != corpus.path:
        training.unlink()
    doc2vec_files.save(model, staging)
    vectors = unit_rows(model.dv.vectors)
    vocabulary = len(model.wv)
    del model
    modelset.write_array(staging, modelset.VECTORS, vectors)
    return vectors, vocabulary


def _lexical_texts(papers, corpus: Corpus) -> tuple[Iterator[str], Callable[[str], list[str]]]:
    """The texts BM25 indexes and phrases are learned from, streamed (a million abstracts' tokens as Python strings would
    cost gigabytes), and how to split one into tokens: each title and abstract, or each corpus line (cleaned already)."""
    if corpus.source is None:
        return document_texts(papers, "title+abstract", " "), tokenize
    return read_corpus(corpus.path), str.split


def _learn_phrases(papers, corpus: Corpus, log: Log) -> PhraseTable:
    """Learn the phrases of the documents (a sample of them), for BM25's terms and Doc2Vec's phrase tokens."""
    from lib.phrases import learn_phrases, learning_sample

    texts, split = _lexical_texts(papers, corpus)
    # The sample is taken before splitting, so skipped texts cost nothing.
    phrases = learn_phrases(split(text) for text in learning_sample(texts, corpus.documents))
    log(f"learned {len(phrases):,} phrases from {phrases.params['documents']:,} papers")
    return phrases


def _lexical_index(papers, corpus: Corpus, phrases: PhraseTable, staging: Path, log: Log) -> LexicalIndex:
    """Build and save the BM25 index of the documents' words and phrases."""
    # This imports scikit-learn: seconds that a build failing at its read should not wait for.
    from lib.lexical import build_index

    log(f"BM25 index of words and phrases over {corpus.documents:,} papers")
    texts, split = _lexical_texts(papers, corpus)
    lexical = build_index((split(text) for text in texts), phrases)
    lexical.save(staging)
    return lexical


def _map_rows(params: BuildParams, corpus: Corpus) -> MapRows:
    """The rows the map is fitted on: the first paper of each distinct text, sampled down to --map-sample."""
    distinct = distinct_text_rows(corpus.path)
    if len(distinct) < MIN_PAPERS:
        raise BuildError(f"only {len(distinct)} distinct texts among {corpus.documents:,} papers; a model set needs at least {MIN_PAPERS}")
    sample = map_sample_rows(corpus.documents, params.topics.map_sample, params.seed, distinct)
    return MapRows(sample, corpus.documents - len(distinct))


def _fit_map(params: BuildParams, features: np.ndarray, rows: MapRows, n_docs: int, log: Log) -> Layout:
    """UMAP of the fitted rows to 2-D (and to the clustering space when it has more dimensions)."""
    fitted = features if rows.sample is None else features[rows.sample]
    scope = f"a sample of {len(fitted):,} of {n_docs:,} papers" if rows.sample is not None else f"{n_docs:,} papers"
    if rows.copies:
        scope += f" ({rows.copies:,} repeat an earlier paper's text: placed, not fitted)"
    log(f"UMAP: {scope} ({params.topics.features}, {features.shape[1]}-D) to 2-D (n_neighbors={params.umap.n_neighbors})")
    # Found once for both UMAP fits, the agreement check and placing; UMAP would find them itself otherwise.
    neighbours = nearest_neighbours(fitted, max(params.umap.n_neighbors, PLACEMENT_NEIGHBOURS + 1), params.seed)
    coords = fit_umap(fitted, params.umap, 2, params.seed, verbose=False, neighbours=neighbours, log=log)
    space = coords
    if params.umap.cluster_dims > 2:
        log(f"UMAP: {params.umap.cluster_dims}-D space for clustering")
        space = fit_umap(fitted, params.umap, params.umap.cluster_dims, params.seed, verbose=False, neighbours=neighbours, log=log)
    return Layout(features, fitted, coords, space, neighbours)


def _cluster(params: BuildParams, layout: Layout, workers: int, log: Log) -> Clusters:
    """HDBSCAN on the clustering space, then noise assigned, close topics merged and unsettled papers left unclustered."""
    fitted, space = layout.fitted, layout.space
    log(f"HDBSCAN: clustering {len(fitted):,} points (min_cluster_size={params.hdbscan.cluster_size(len(fitted))})")
    labels = cluster_points(space, params.hdbscan, workers)
    hdbscan_clusters, hdbscan_noise = len(set(labels.tolist()) - {NOISE}), int((labels == NOISE).sum())
    if params.hdbscan.assign_noise:
        labels = assign_noise(space, labels)
    labels = merge_clusters(fitted, labels, params.topics.merge_distance)
    if params.topics.min_agreement > 0:
        nearest = layout.neighbours.indices[:, : PLACEMENT_NEIGHBOURS + 1]
        labels = unsettle(labels, nearest, params.topics.min_agreement, params.topics.max_unclustered)
    return Clusters(labels, hdbscan_clusters, hdbscan_noise)


def _place(layout: Layout, sample: np.ndarray, labels: np.ndarray, n_docs: int, log: Log) -> tuple[np.ndarray, np.ndarray]:
    """Every paper's map position and topic: the fitted rows' own, the others' from their nearest fitted papers."""
    rest = np.setdiff1d(np.arange(n_docs), sample)
    log(f"placing the other {len(rest):,} papers by their {PLACEMENT_NEIGHBOURS} nearest fitted papers")
    placed, placed_labels = place_rest(
        layout.neighbours, layout.fitted, layout.features, rest, layout.coords, labels, PLACEMENT_NEIGHBOURS, log
    )
    all_coords, all_labels = np.empty((n_docs, 2), dtype=np.float32), np.empty(n_docs, dtype=np.int32)
    all_coords[sample], all_coords[rest] = layout.coords, placed
    all_labels[sample], all_labels[rest] = labels, placed_labels
    return all_coords, by_size(all_labels)


def _topics(corpus: Corpus, coords: np.ndarray, labels: np.ndarray, papers, staging: Path) -> list[dict]:
    """Each topic's keywords (from the corpus) and summary, and the coarser levels of topics, written to staging."""
    # This imports scikit-learn: seconds that a build failing at its read should not wait for.
    from lib.topic_summaries import summarise_topics, topic_keywords

    keywords = topic_keywords(read_corpus(corpus.path), labels)
    topics = summarise_topics(labels, coords, papers["categories"].tolist(), keywords)
    modelset.write_levels(staging, labels, topics)
    return topics


def _write_papers_and_topics(corpus: Corpus, coords: np.ndarray, labels: np.ndarray, topics: list[dict], papers, staging: Path) -> None:
    """Drop the corpus; write the papers with their positions and topics, the map, the labels and the topics."""
    corpus.path.unlink()
    papers["x"], papers["y"], papers["cluster"] = coords[:, 0], coords[:, 1], labels
    modelset.write_papers(papers, staging / modelset.PAPERS)
    modelset.write_array(staging, modelset.MAP, coords)
    modelset.write_topics(staging, labels, topics)


def _build_record(
    options: BuildOptions,
    papers,
    report: ReadReport,
    input_sha: str,
    keep: list[bool] | None,
    corpus: Corpus,
    vocabulary: int,
    rows: MapRows,
    clusters: Clusters,
    labels: np.ndarray,
    topics: list[dict],
    ann: dict | None,
    stages: StageRecorder,
) -> modelset.BuildRecord:
    """What the build knows about the set it wrote, as plain values (modelset.build_manifest decides the manifest)."""
    source = corpus.source
    corpus_file = None
    if source is not None:
        corpus_file = modelset.CorpusFileRecord(options.corpus_file.resolve(), source.bytes, source.sha256, source.lines, len(keep))
    filters = options.filters
    return modelset.BuildRecord(
        name=options.out.name,
        synthetic=bool(papers["synthetic"].all()),
        params=options.params.as_dict(),
        workers=options.workers,
        input_path=options.input.resolve(),
        input_bytes=options.input.stat().st_size,
        input_sha256=input_sha,
        filters={"categories": list(filters.categories), "since": filters.since, "until": filters.until, "limit": filters.limit},
        corpus_file=corpus_file,
        papers=corpus.documents,
        vocabulary=vocabulary,
        clusters=len(topics),
        largest_cluster=max((t["size"] for t in topics), default=0),
        noise=int((labels == NOISE).sum()),
        hdbscan_clusters=clusters.hdbscan_clusters,
        hdbscan_noise=clusters.hdbscan_noise,
        read=report.as_dict(),
        placement_neighbours=PLACEMENT_NEIGHBOURS,
        map_papers=None if rows.sample is None else len(rows.sample),
        repeated_texts=rows.copies,
        ann=ann,
        stages=stages.as_dict(),
    )


def describe_read(report: ReadReport) -> list[str]:
    """Human lines about what the read kept, skipped (with example line numbers) and filtered out."""
    lines = [f"read {report.records:,} records: kept {report.kept:,}, {report.duplicates:,} duplicate ids replaced by their later record"]
    for reason, count in report.skipped.most_common():
        where = ", ".join(str(n) for n in report.examples.get(reason, []))
        lines.append(f"  skipped {count:,} ({reason}), first at line(s) {where}")
    for reason, count in report.filtered.most_common():
        lines.append(f"  filtered out {count:,} ({reason})")
    for name, count in report.truncated.most_common():
        lines.append(f"  kept {count:,} with the {name} cut to {MAX_CHARS[name]:,} characters")
    if report.stopped_early:
        lines.append(f"  warning: {report.stopped_early}")
    return lines


def summary_table(manifest: dict) -> str:
    """The end-of-build summary: counts, clusters, noise, and time and peak memory per stage."""
    counts = manifest["counts"]
    read = counts["read"]
    rows = [
        ("records read", f"{read['records']:,}"),
        ("papers kept", f"{counts['papers']:,}"),
        ("skipped (bad)", f"{read['skipped_total']:,}"),
        ("filtered out", f"{sum(read['filtered'].values()):,}"),
        ("duplicates replaced", f"{read['duplicates']:,}"),
        ("vocabulary", f"{counts['vocabulary']:,}"),
        ("clusters", f"{counts['clusters']:,}"),
        ("noise share", f"{counts['noise_share']:.1%}"),
        ("largest cluster", f"{counts['largest_cluster']:,}"),
    ]
    corpus_file = manifest["input"].get("corpus_file")
    if corpus_file:
        rows.insert(1, ("corpus lines", f"{corpus_file['lines']:,}"))
    width = max(len(name) for name, _ in rows)
    out = [f"model set {manifest['name']}"] + [f"  {name:<{width}}  {value}" for name, value in rows]
    out.append(f"  {'stage':<10} {'seconds':>9} {'peak MB':>9}")
    for name, figures in manifest["stages"].items():
        out.append(f"  {name:<10} {figures['seconds']:>9.1f} {figures['peak_rss_mb']:>9.0f}")
    return "\n".join(out)
