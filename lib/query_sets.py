"""Query sets for `python -m lib evaluate`: queries a person would type, each with the papers that answer it.

Two sets. Typed queries come from a labels file (JSON lines `{"id", "tags"}`) and a tag-queries file (tag -> what a
researcher would type for it): every phrasing is one query, ranked among the labelled papers of the model set, and
the papers carrying the tag are relevant. Category names need nothing but the set: each arXiv category that is the
primary category of enough papers is queried by its name ("Superconductivity"), over every paper, and the papers
listing that category anywhere are relevant. The systems (the engine's three modes, an outside BM25 and TF-IDF) score
every paper once per query; each ranking is then cut to the pool and scored with P@10, MAP@100 and nDCG@10.
"""

from __future__ import annotations

import gzip
import io
import json
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lib.arxiv_categories import category_name
from lib.evaluation import (
    ROOT,
    Bm25Baseline,
    K,
    TfidfBaseline,
    average_precision,
    bare_archive,
    ndcg_at_k,
    paper_texts,
    precision_at_k,
    primary,
)
from lib.stages import Log, log_stderr

DEFAULT_TAG_QUERIES = ROOT / "data" / "tag_queries.json"
MAP_DEPTH = 100
MIN_PRIMARY_PAPERS = 10
# A labels line is an id and a few tags (under 300 bytes in the shared file); a line past this is damage, not data,
# and is skipped without being held whole.
MAX_LABEL_LINE_BYTES = 64 << 10
DISCARD_CHUNK = 1 << 16
# The tag-queries file is written by hand: a few kilobytes. One far larger is the wrong file.
MAX_TAG_QUERIES_BYTES = 4 << 20
METRICS = ("p@10", "map@100", "ndcg@10")
METRIC_LABELS = {"p@10": "P@10", "map@100": "MAP@100", "ndcg@10": "nDCG@10"}
MISSING = "–"


class QuerySetError(ValueError):
    """A labels or tag-queries file that cannot be used; the message names the file and what to do."""


@dataclass(frozen=True)
class Labels:
    """The tags of each paper of a labels file, and how many of its lines were skipped and why."""

    path: Path
    tags: dict[str, tuple[str, ...]]
    lines: int
    skipped: dict[str, int] = field(default_factory=dict)
    repeated_ids: int = 0


@dataclass(frozen=True)
class QueryGroup:
    """Queries that share their relevant papers: the phrasings of one tag, or the name of one category."""

    key: str
    queries: tuple[str, ...]
    relevant: frozenset[int]


@dataclass(frozen=True, eq=False)
class QuerySet:
    """Groups of queries ranked among the same pool of rows (sorted), with notes on what was left out and why."""

    name: str
    description: str
    pool: np.ndarray
    groups: tuple[QueryGroup, ...]
    notes: dict = field(default_factory=dict)

    @property
    def query_count(self) -> int:
        """How many queries the set ranks (every phrasing of every group)."""
        return sum(len(group.queries) for group in self.groups)


@dataclass(frozen=True)
class Scorer:
    """One column of the query-set tables: a score for every paper of the set per query (None: nothing known).

    `matches_only` marks word-matching systems, whose zero score means "shares no word with the query": such papers
    are not retrieved at all, instead of trailing in row order, which would hand out hits by the order of the file.
    """

    key: str
    label: str
    scores: Callable[[str], np.ndarray | None]
    matches_only: bool


# Reading.


def _gunzipped(raw: io.BufferedReader) -> io.BufferedIOBase:
    """The stream itself, or its gunzipped bytes when it starts with gzip's magic number (whatever the file's name)."""
    return gzip.GzipFile(fileobj=raw, mode="rb") if raw.peek(2)[:2] == b"\x1f\x8b" else raw


def _lines(handle: io.BufferedIOBase, limit: int) -> Iterator[bytes | None]:
    """Each line of a binary stream, or None for a line over `limit` bytes, whose rest is read and dropped in chunks."""
    while line := handle.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while not line.endswith(b"\n") and (line := handle.readline(DISCARD_CHUNK)):
            pass
        yield None


def _label_record(line: bytes | None) -> tuple[str, tuple[str, ...]] | str:
    """The id and tags of one labels line, or the reason it is skipped."""
    if line is None:
        return f"line over {MAX_LABEL_LINE_BYTES:,} bytes"
    try:
        record = json.loads(line)
    except UnicodeDecodeError:
        return "not UTF-8"
    except json.JSONDecodeError:
        return "not JSON"
    if not isinstance(record, dict):
        return "not a JSON object"
    paper_id, tags = record.get("id"), record.get("tags")
    if not isinstance(paper_id, str) or not paper_id.strip():
        return "no id string"
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
        return "tags not a list of strings"
    return paper_id.strip(), tuple(dict.fromkeys(tag.strip() for tag in tags))


def load_labels(path: str | Path) -> Labels:
    """Read a labels file (JSON lines of {"id": str, "tags": [str, ...]}, gzip or plain), skipping and counting bad lines.

    A paper listed twice gets the tags of both lines. Raises QuerySetError naming the file when it is missing,
    unreadable or has no usable line.
    """
    path = Path(path)
    hint = 'give --labels a JSON-lines file (optionally gzip) with one {"id": ..., "tags": [...]} object per line'
    if not path.is_file():
        raise QuerySetError(f"labels file {path} not found (or not a file): {hint}")
    tags: dict[str, tuple[str, ...]] = {}
    skipped: Counter[str] = Counter()
    lines = repeated = 0
    try:
        with open(path, "rb") as raw:
            for line in _lines(_gunzipped(raw), MAX_LABEL_LINE_BYTES):
                if line is not None and not line.strip():
                    continue
                lines += 1
                record = _label_record(line)
                if isinstance(record, str):
                    skipped[record] += 1
                    continue
                paper_id, paper_tags = record
                if paper_id in tags:
                    repeated += 1
                    paper_tags = tuple(dict.fromkeys(tags[paper_id] + paper_tags))
                tags[paper_id] = paper_tags
    except (OSError, EOFError, zlib.error) as exc:
        raise QuerySetError(f"cannot read labels file {path} ({type(exc).__name__}: {exc}): {hint}") from None
    if not tags:
        raise QuerySetError(f"labels file {path} has no usable line ({lines:,} read, {sum(skipped.values()):,} skipped): {hint}")
    return Labels(path, tags, lines, dict(skipped), repeated)


def load_tag_queries(path: str | Path = DEFAULT_TAG_QUERIES) -> dict[str, tuple[str, ...]]:
    """Read a tag-queries file: one JSON object mapping each tag to a non-empty list of non-empty query strings.

    Raises QuerySetError naming the file (and the tag at fault) for anything else.
    """
    path = Path(path)
    hint = 'give --tag-queries a JSON object such as {"mlip": ["machine learning interatomic potentials", ...]}'
    try:
        if path.stat().st_size > MAX_TAG_QUERIES_BYTES:
            too_large = f"is over {MAX_TAG_QUERIES_BYTES:,} bytes, too large for hand-written queries"
            raise QuerySetError(f"tag-queries file {path} {too_large}: {hint}")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QuerySetError(f"tag-queries file {path} not found: {hint}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QuerySetError(f"cannot read tag-queries file {path} ({type(exc).__name__}: {exc}): {hint}") from None
    if not isinstance(data, dict) or not data:
        raise QuerySetError(f"tag-queries file {path} is not a non-empty JSON object: {hint}")
    queries = {}
    for tag, phrasings in data.items():
        if not isinstance(phrasings, list) or not phrasings or not all(isinstance(text, str) and text.strip() for text in phrasings):
            raise QuerySetError(f"tag-queries file {path}: tag {tag!r} needs a non-empty list of non-empty strings: {hint}")
        queries[tag] = tuple(dict.fromkeys(text.strip() for text in phrasings))
    return queries


# Building the sets.


def typed_query_set(catalogue, labels: Labels, tag_queries: dict[str, Sequence[str]]) -> QuerySet:
    """Every phrasing of every tag that some labelled paper of the set carries; pool = the labelled papers in the set.

    Raises QuerySetError when no labelled paper is in the set or no tag of those papers has phrasings.
    """
    rows = {paper_id: catalogue.row_of(paper_id) for paper_id in labels.tags}
    in_set = {paper_id: row for paper_id, row in rows.items() if row is not None}
    if not in_set:
        raise QuerySetError(
            f"none of the {len(labels.tags):,} papers of labels file {labels.path} is in model set '{catalogue.name}': "
            "give labels of papers this set holds, or evaluate a set built from the labelled papers"
        )
    tagged: dict[str, set[int]] = {}
    for paper_id, row in in_set.items():
        for tag in labels.tags[paper_id]:
            tagged.setdefault(tag, set()).add(row)
    groups = tuple(QueryGroup(tag, tuple(tag_queries[tag]), frozenset(tagged[tag])) for tag in sorted(tagged) if tag in tag_queries)
    if not groups:
        raise QuerySetError(
            f"no tag of the labelled papers in model set '{catalogue.name}' has phrasings in the tag-queries file: "
            "add the tags of the labels file to it"
        )
    notes = {
        "labelled_papers": len(labels.tags),
        "labels_lines": labels.lines,
        "labels_skipped": labels.skipped,
        "labels_repeated_ids": labels.repeated_ids,
        "labelled_papers_in_set": len(in_set),
        "tags_without_queries": sorted(set(tagged) - set(tag_queries)),
        "tags_without_papers_in_set": sorted(set(tag_queries) - set(tagged)),
    }
    pool = np.array(sorted(in_set.values()), dtype=np.int64)
    description = f"{sum(len(g.queries) for g in groups):,} phrasings of {len(groups)} tags, ranked among {len(pool):,} labelled papers"
    return QuerySet("typed", description, pool, groups, notes)


def category_query_set(catalogue, min_primary: int = MIN_PRIMARY_PAPERS) -> QuerySet:
    """Each full arXiv category that is the primary of at least `min_primary` papers, queried by its name over all papers.

    Relevant are the papers listing the category anywhere. Bare archives (`cond-mat`) and codes without a known name
    are left out, and listed in the notes.
    """
    listed = [str(value).split() if isinstance(value, str) else [] for value in catalogue.papers["categories"]]
    primaries = Counter(primary(" ".join(codes)) for codes in listed)
    chosen = sorted(code for code, count in primaries.items() if code and count >= min_primary and not bare_archive(code))
    named = {code: category_name(code) for code in chosen}
    wanted = {code for code, name in named.items() if name}
    relevant: dict[str, set[int]] = {code: set() for code in wanted}
    for row, codes in enumerate(listed):
        for code in set(codes) & wanted:
            relevant[code].add(row)
    groups = tuple(QueryGroup(code, (named[code],), frozenset(relevant[code])) for code in sorted(wanted))
    notes = {
        "min_primary_papers": min_primary,
        "bare_archives_left_out": sorted(code for code, count in primaries.items() if count >= min_primary and bare_archive(code)),
        "unnamed_categories_left_out": sorted(code for code, name in named.items() if not name),
    }
    pool = np.arange(len(listed), dtype=np.int64)
    description = f"{len(groups)} category names (primary of at least {min_primary} papers), ranked among all {len(pool):,} papers"
    return QuerySet("category_names", description, pool, groups, notes)


# Ranking and scoring.


def scorers(engine, bm25: Bm25Baseline, tfidf: TfidfBaseline) -> list[Scorer]:
    """The columns: the engine's hybrid, semantic and BM25 modes, then the outside BM25 and TF-IDF baselines."""

    def mode(name: str) -> Callable[[str], np.ndarray | None]:
        return lambda query: engine.ranker.scores_for_query(query, name)

    return [
        Scorer("model_set", "model set (hybrid)", mode("hybrid"), matches_only=False),
        Scorer("semantic", "semantic only", mode("semantic"), matches_only=False),
        Scorer("bm25", "BM25", mode("lexical"), matches_only=True),
        Scorer("bm25_baseline", "BM25 baseline", bm25.scores, matches_only=True),
        Scorer("tfidf", "TF-IDF", tfidf.scores, matches_only=True),
    ]


def rank_pool(scores: np.ndarray | None, pool: np.ndarray, depth: int, matches_only: bool = False) -> list[int]:
    """The `depth` best rows of the pool by score, best first, ties by row; [] when scores is None.

    With `matches_only`, rows scoring 0 or less are not retrieved.
    """
    if scores is None:
        return []
    values = np.asarray(scores)[pool]
    rows = pool
    if matches_only:
        keep = values > 0
        rows, values = rows[keep], values[keep]
    if len(rows) > depth:
        cut = np.partition(-values, depth - 1)[depth - 1]
        keep = -values <= cut
        rows, values = rows[keep], values[keep]
    return rows[np.lexsort((rows, -values))][:depth].tolist()


def query_figures(ranked: Sequence[int], relevant: frozenset[int]) -> dict[str, float]:
    """P@10, MAP@100's term (average precision over the first 100) and nDCG@10 of one ranking."""
    return {
        "p@10": precision_at_k(ranked, relevant, K),
        "map@100": average_precision(ranked, relevant, MAP_DEPTH),
        "ndcg@10": ndcg_at_k(ranked, relevant, K),
    }


def _mean(figures: list[dict[str, float]]) -> dict[str, float | None]:
    return {metric: (float(np.mean([f[metric] for f in figures])) if figures else None) for metric in METRICS}


def run_query_set(query_set: QuerySet, columns: Sequence[Scorer], log: Log = log_stderr) -> dict:
    """Rank every query of the set with every scorer: mean figures per scorer, and per group (with each query's own), JSON-ready.

    Means are over queries (a tag with four phrasings weighs four times a category with one name). A query a scorer
    knows no word of ranks nothing and scores 0; how many did so is counted per scorer.
    """
    started = time.perf_counter()
    per_query: dict[str, list[dict[str, float]]] = {column.key: [] for column in columns}
    per_group: dict[str, dict] = {}
    unknown = dict.fromkeys(per_query, 0)
    for group in query_set.groups:
        group_figures: dict[str, list[dict[str, float]]] = {column.key: [] for column in columns}
        by_query: dict[str, dict[str, dict[str, float]]] = {}
        for query in group.queries:
            by_query[query] = {}
            for column in columns:
                scores = column.scores(query)
                unknown[column.key] += scores is None
                figures = query_figures(rank_pool(scores, query_set.pool, MAP_DEPTH, column.matches_only), group.relevant)
                group_figures[column.key].append(figures)
                per_query[column.key].append(figures)
                by_query[query][column.key] = figures
        per_group[group.key] = {
            "relevant": len(group.relevant),
            "systems": {key: _mean(figures) for key, figures in group_figures.items()},
            "queries": by_query,
        }
    log(f"{query_set.name}: {query_set.query_count:,} queries ranked by {len(columns)} systems in {time.perf_counter() - started:.1f}s")
    return {
        "description": query_set.description,
        "queries": query_set.query_count,
        "groups": len(query_set.groups),
        "pool": len(query_set.pool),
        "notes": query_set.notes,
        "systems": {column.key: {"label": column.label, **_mean(per_query[column.key])} for column in columns},
        "queries_without_known_words": unknown,
        "per_group": per_group,
    }


def format_query_sets(figures: dict) -> str:
    """The query-set figures as one markdown table: a row per metric of each set, a column per system."""
    sets = [(name, result) for name, result in figures.items() if result]
    if not sets:
        return ""
    keys = list(sets[0][1]["systems"])
    labels = [sets[0][1]["systems"][key]["label"] for key in keys]
    titles = {"typed": "typed", "category_names": "category names"}
    lines = [f"{titles.get(name, name)}: {result['description']}" for name, result in sets]
    lines += ["", "| | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(keys)]
    for name, result in sets:
        for metric in METRICS:
            cells = [MISSING if value is None else f"{value:.3f}" for value in (result["systems"][key][metric] for key in keys)]
            lines.append(f"| {titles.get(name, name)} {METRIC_LABELS[metric]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build_query_sets(catalogue, labels: str | Path | None, tag_queries: str | Path = DEFAULT_TAG_QUERIES) -> list[QuerySet]:
    """The category-name set, and before it the typed set when a labels file is given; file errors raise here, before any ranking."""
    sets = []
    if labels is not None:
        sets.append(typed_query_set(catalogue, load_labels(labels), load_tag_queries(tag_queries)))
    sets.append(category_query_set(catalogue))
    return sets


def evaluate_query_sets(engine, query_sets: Sequence[QuerySet], tfidf: TfidfBaseline | None = None, log: Log = log_stderr) -> dict:
    """Each set's figures by name, every system scored on the same queries; BM25 (and TF-IDF unless given) fitted on the engine's papers."""
    texts = paper_texts(engine)
    tfidf = tfidf if tfidf is not None else TfidfBaseline(*texts)
    columns = scorers(engine, Bm25Baseline(*texts), tfidf)
    return {query_set.name: run_query_set(query_set, columns, log) for query_set in query_sets}
