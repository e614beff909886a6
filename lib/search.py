"""The search engine over one model set: query vectors, ranking, similar papers, map placement.

`load_engine(path)` is the one entry point the app and outside evaluators use.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from lib.arxiv_ids import arxiv_id, normalize_id
from lib.cleaning import tokenize
from lib.clustering import NOISE
from lib.doc2vec import infer_vector
from lib.levels import Level, topic_levels
from lib.lexical import BM25_STOP_WORDS
from lib.modelset import ModelSet, load_model_set
from lib.params import PLACEMENT_NEIGHBOURS
from lib.reading import Filters
from lib.topic_views import paper_months

# Rocchio's weight of the papers marked "less like this" against those marked "more like this".
NEGATIVE_WEIGHT = 0.5
# With an ANN index (large sets), hybrid ranking re-scores exactly the union of this many semantic and lexical leaders.
CANDIDATES = 200
MODES = ("hybrid", "semantic", "lexical")
# Share of the normalised BM25 score in hybrid ranking, chosen with `python -m lib evaluate` (docs/QUALITY.md).
LEXICAL_WEIGHT = 0.7
SIMILAR_LEXICAL_WEIGHT = 0.7
# Longest query the engine reads, in characters: a pasted title and abstract fit (arXiv abstracts stay under 2,000);
# anything longer is cut at a word boundary before this length. It also bounds inference time and the length of the
# page's URL, and keeps a query far below the 10,000 words gensim's inference reads at most.
MAX_QUERY_CHARS = 4000
# Control characters (C0, DEL, C1) and lone surrogates (not encodable as UTF-8): a query has them as spaces.
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TRAILING_WORD = re.compile(r"[^\W_]+$")


@dataclass(frozen=True)
class Hit:
    """One ranked paper: its arXiv id, similarity score, and row in `engine.papers`."""

    paper_id: str
    score: float
    row: int

    def __getitem__(self, key: str) -> object:
        return getattr(self, key)


@dataclass(frozen=True)
class PreparedQuery:
    """A query as the engine reads it, and whether it was cut at MAX_QUERY_CHARS."""

    text: str
    truncated: bool


@dataclass(frozen=True)
class QueryWords:
    """The query's tokens: known to the ranking, unknown to the model, or too common for keyword search."""

    known: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    common: list[str] = field(default_factory=list)


def prepare_query(query: str) -> PreparedQuery:
    """Control characters become spaces, ends are stripped, and text past MAX_QUERY_CHARS is cut without splitting a word."""
    text = _UNSAFE_CHARS.sub(" ", query).strip()
    if len(text) <= MAX_QUERY_CHARS:
        return PreparedQuery(text, truncated=False)
    cut = text[:MAX_QUERY_CHARS]
    if cut[-1].isalnum() and text[MAX_QUERY_CHARS].isalnum():
        whole_words = _TRAILING_WORD.sub("", cut)
        if whole_words.strip():
            cut = whole_words
    return PreparedQuery(cut.rstrip(), truncated=True)


@dataclass(frozen=True)
class Location:
    """Where a query falls: 2-D map position, cluster (-1 none) and the neighbours that placed it."""

    x: float
    y: float
    cluster: int
    neighbours: list[Hit]


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")


def _blend(semantic: np.ndarray | None, lexical: np.ndarray | None, weight: float) -> np.ndarray | None:
    """weight * lexical + (1 - weight) * semantic, or whichever one exists."""
    if semantic is None:
        return lexical
    if lexical is None:
        return semantic
    return (1 - weight) * semantic + weight * lexical


class Engine:
    """Ranks a model set's papers for free-text queries and for papers; thread-safe."""

    def __init__(self, model_set: ModelSet) -> None:
        self.model_set = model_set
        self.manifest = model_set.manifest
        self.papers: pd.DataFrame = model_set.papers
        self.topics: list[dict] = model_set.topics
        self._model = model_set.doc2vec
        self._vectors = model_set.vectors
        self._coords = model_set.coords
        self._clusters = model_set.clusters
        self._ann = model_set.ann
        # Rank with the ANN index when the set has one; False forces exact scans (benchmarks compare the two).
        self.approximate = True
        self._labels = {topic["id"]: topic["label"] for topic in self.topics}
        self._lock = threading.Lock()  # infer_vector sets the shared model's random state: one query at a time
        self._lexical = model_set.lexical
        self.lexical_weight = LEXICAL_WEIGHT
        self.similar_lexical_weight = SIMILAR_LEXICAL_WEIGHT

    @cached_property
    def _id_index(self) -> pd.Index:
        """Row lookup by id, built on first use (a hash table over a million ids takes about half a second)."""
        return pd.Index(self.papers["id"])

    @cached_property
    def years(self) -> np.ndarray:
        """Each paper's update year (0 when unknown), computed once."""
        head = self.papers["update_date"].fillna("").str.slice(0, 4)
        valid = (head.str.len() == 4) & head.str.isdigit()
        return head.where(valid, "0").astype("int64").to_numpy()

    @cached_property
    def levels(self) -> list[Level]:
        """Level 0 (the set's topics) and coarser levels of about half as many topics each: from levels.json, else computed once."""
        if self.model_set.levels is not None:
            return self.model_set.levels
        return topic_levels(self._vectors, self._clusters, self.topics)

    def level(self, index: int) -> Level:
        """One level of topics, the nearest existing one for an index out of range."""
        return self.levels[max(0, min(index, len(self.levels) - 1))]

    @cached_property
    def months(self) -> np.ndarray:
        """Each paper's month (year * 12 + month - 1, 0 unknown) from its arXiv id, else its update date; computed once."""
        return paper_months(self.papers["id"], self.papers["update_date"])

    @cached_property
    def _category_codes(self) -> tuple[np.ndarray, list[str]]:
        """Each paper's categories string as a code into the list of distinct strings (far fewer than papers)."""
        codes, distinct = pd.factorize(self.papers["categories"].fillna(""))
        return codes, [str(value) for value in distinct]

    def ids(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        """The paper ids of these rows."""
        return [str(paper_id) for paper_id in self.papers["id"].iloc[np.asarray(rows, dtype=np.int64)]]

    @property
    def name(self) -> str:
        """The model set's folder name."""
        return self.model_set.path.name

    def words(self, query: str, mode: str = "hybrid") -> QueryWords:
        """Which of the query's tokens the mode's models know (Doc2Vec's vocabulary, the BM25 index, or either)."""
        _check_mode(mode)
        semantic = self._model.wv.key_to_index if mode != "lexical" else {}
        lexical = self._lexical.vocabulary if mode != "semantic" else {}
        known, unknown, common = [], [], []
        for token in tokenize(prepare_query(query).text):
            if token in semantic or token in lexical:
                known.append(token)
            elif mode == "lexical" and token in BM25_STOP_WORDS:
                common.append(token)
            else:
                unknown.append(token)
        return QueryWords(known, list(dict.fromkeys(unknown)), list(dict.fromkeys(common)))

    def query_vector(self, query: str) -> np.ndarray | None:
        """The unit-length inferred vector of a query, the same in every process; None without known words."""
        vocabulary = self._model.wv.key_to_index
        known = [token for token in tokenize(query) if token in vocabulary]
        if not known:
            return None
        with self._lock:
            vector = infer_vector(self._model, known)
        norm = float(np.linalg.norm(vector))
        return (vector / norm).astype(np.float32) if norm else None

    def filter_mask(self, categories: Sequence[str] = (), years: tuple[int, int] | None = None) -> np.ndarray | None:
        """Papers allowed by category prefixes (any listed category) and an inclusive year range; None = all."""
        mask = None
        if categories:
            matches = Filters(categories=tuple(categories)).category_matches
            codes, distinct = self._category_codes
            mask = np.array([matches(value) for value in distinct], dtype=bool)[codes]
        if years:
            in_range = (self.years >= years[0]) & (self.years <= years[1])
            mask = in_range if mask is None else mask & in_range
        return mask

    def category_options(self, limit: int = 200) -> list[tuple[str, int]]:
        """Primary categories with their paper counts, most common first, for a filter widget."""
        codes, distinct = self._category_codes
        per_string = np.bincount(codes, minlength=len(distinct))
        counts: Counter[str] = Counter()
        for value, n in zip(distinct, per_string.tolist(), strict=True):
            primary = value.split(maxsplit=1)[0] if value.split() else ""
            if primary:
                counts[primary] += n
        return [(cat, int(n)) for cat, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]]

    def year_bounds(self) -> tuple[int, int] | None:
        """The smallest and largest update year, or None when no paper has a date."""
        known = self.years[self.years > 0]
        return (int(known.min()), int(known.max())) if len(known) else None

    def _hits(self, rows: np.ndarray, scores: np.ndarray, k: int) -> list[Hit]:
        """The k best of these candidate rows by score, ties broken by row."""
        k = max(0, min(k, len(rows)))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((rows[top], -scores[top]))]
        chosen = rows[top]
        return [Hit(paper_id, float(score), int(row)) for paper_id, score, row in zip(self.ids(chosen), scores[top], chosen, strict=True)]

    def _top(self, scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[Hit]:
        scores = np.asarray(scores, dtype=np.float32)
        if allowed is None:
            return self._hits(np.arange(len(scores)), scores, k)
        rows = np.flatnonzero(allowed)
        return self._hits(rows, scores[rows], k)

    def _rank(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[Hit]:
        return self._ranked(vector, None, 0.0, k, allowed)

    def _ranked(
        self,
        vector: np.ndarray | None,
        lexical: np.ndarray | None,
        weight: float,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: Sequence[int] = (),
    ) -> list[Hit]:
        """The k best papers by the blend of cosine to `vector` and the normalised lexical scores.

        Exact over every paper, unless the set has an ANN index and nothing is filtered: then the
        union of the CANDIDATES best by the index and by the lexical scores is scored exactly.
        """
        if vector is None and lexical is None:
            return []
        if self._ann is None or not self.approximate or allowed is not None:
            semantic = None if vector is None else np.asarray(self._vectors @ vector, dtype=np.float32)
            scores = _blend(semantic, lexical, weight)
            if len(exclude):
                allowed = np.ones(len(scores), dtype=bool) if allowed is None else allowed.copy()
                allowed[list(exclude)] = False
            return self._top(scores, k, allowed)
        wanted = max(k + len(exclude), CANDIDATES)
        parts = []
        if vector is not None:
            parts.append(self._ann.search(vector, wanted)[0])
        if lexical is not None:
            leaders = np.argpartition(-lexical, min(wanted, len(lexical)) - 1)[:wanted]
            parts.append(leaders[lexical[leaders] > 0])
        rows = np.unique(np.concatenate(parts).astype(np.int64))
        if len(exclude):
            rows = rows[~np.isin(rows, list(exclude))]
        semantic = None if vector is None else np.asarray(np.asarray(self._vectors[rows]) @ vector, dtype=np.float32)
        return self._hits(rows, _blend(semantic, None if lexical is None else lexical[rows], weight), k)

    def _lexical_scores(self, query: str) -> np.ndarray | None:
        """BM25 scores of every paper divided by the best, or None when no query term is indexed."""
        bm25 = self._lexical.bm25_scores(tokenize(query))
        top = float(bm25.max()) if len(bm25) else 0.0
        return bm25 / top if top > 0 else None

    def query_scores(self, query: str, mode: str = "hybrid") -> np.ndarray | None:
        """Every paper's score for a query: cosine of vectors, normalised BM25, or their blend; None if nothing is known."""
        _check_mode(mode)
        query = prepare_query(query).text
        vector = self.query_vector(query) if mode != "lexical" else None
        semantic = None if vector is None else np.asarray(self._vectors @ vector, dtype=np.float32)
        lexical = self._lexical_scores(query) if mode != "semantic" else None
        return _blend(semantic, lexical, self.lexical_weight)

    def named_paper(self, query: str) -> tuple[str, int | None] | None:
        """When the query is an arXiv id or link: (the id, its row here or None); else None."""
        paper_id = arxiv_id(prepare_query(query).text)
        return None if paper_id is None else (paper_id, self.row_of(paper_id))

    def search(
        self,
        query: str,
        k: int = 10,
        categories: Sequence[str] = (),
        years: tuple[int, int] | None = None,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """The k best papers for a query (hybrid by default); [] when no word is known.

        A query that is an arXiv id or link of a paper in the set returns that paper first (whatever
        the filters), then the papers most like it.
        """
        _check_mode(mode)
        query = prepare_query(query).text
        named = arxiv_id(query)
        row = None if named is None else self.row_of(named)
        if row is not None and k > 0:
            paper_id = self.ids([row])[0]
            return [Hit(paper_id, 1.0, row), *self.similar(paper_id, k - 1, categories, years, mode)]
        vector = self.query_vector(query) if mode != "lexical" else None
        lexical = self._lexical_scores(query) if mode != "semantic" else None
        return self._ranked(vector, lexical, self.lexical_weight, k, self.filter_mask(categories, years))

    def row_of(self, paper_id: str) -> int | None:
        """The row of a paper id (a version suffix is ignored), or None."""
        try:
            row = self._id_index.get_loc(normalize_id(paper_id))
        except KeyError:
            return None
        return row if isinstance(row, int) else None

    def _rows_of(self, paper_ids: Sequence[str]) -> list[int]:
        rows = [self.row_of(paper_id) for paper_id in paper_ids]
        missing = [paper_id for paper_id, row in zip(paper_ids, rows, strict=True) if row is None]
        if missing:
            raise KeyError(f"paper {missing[0]!r} is not in model set '{self.name}'")
        return list(dict.fromkeys(rows))

    def _text_of(self, rows: Sequence[int]) -> list[str]:
        papers = self.papers[["title", "abstract"]].iloc[list(rows)]
        return tokenize(" ".join(f"{title} {abstract}" for title, abstract in zip(papers["title"], papers["abstract"], strict=True)))

    def similar(
        self,
        paper_id: str | Sequence[str],
        k: int = 10,
        categories: Sequence[str] = (),
        years: tuple[int, int] | None = None,
        mode: str = "hybrid",
        negative: Sequence[str] = (),
    ) -> list[Hit]:
        """The k papers most like one paper or several, and least like the `negative` ones; the given papers excluded.

        Several papers are combined as Rocchio's relevance feedback does: the mean of their vectors minus
        NEGATIVE_WEIGHT times the mean of the negatives' (and the same for their BM25 similarities).
        """
        _check_mode(mode)
        positive = self._rows_of([paper_id] if isinstance(paper_id, str) else list(paper_id))
        negatives = [row for row in self._rows_of(list(negative)) if row not in positive]
        if not positive:
            raise ValueError("more like these needs at least one paper")
        vector = None
        if mode != "lexical":
            vector = np.asarray(self._vectors[positive], dtype=np.float32).mean(axis=0)
            if negatives:
                vector = vector - NEGATIVE_WEIGHT * np.asarray(self._vectors[negatives], dtype=np.float32).mean(axis=0)
            norm = float(np.linalg.norm(vector))
            vector = (vector / norm).astype(np.float32) if norm and len(positive) + len(negatives) > 1 else vector
        lexical = None
        if mode != "semantic":
            lexical = self._lexical.similar_scores(self._text_of(positive))
            if negatives:
                lexical = lexical - NEGATIVE_WEIGHT * self._lexical.similar_scores(self._text_of(negatives))
        allowed = self.filter_mask(categories, years)
        return self._ranked(vector, lexical, self.similar_lexical_weight, k, allowed, exclude=positive + negatives)

    def shared_words(self, paper_ids: Sequence[str], n: int = 12) -> list[str]:
        """The indexed words most of these papers use, heaviest BM25 weight first (a single paper: its own top words)."""
        rows = self._rows_of(list(paper_ids))
        weights: Counter[str] = Counter()
        papers_with: Counter[str] = Counter()
        terms = self._lexical.terms
        for row in rows:
            ids, values = self._lexical.document_vector(self._text_of([row]))
            for term, value in zip(ids, values.tolist(), strict=True):
                weights[terms[term]] += value
                papers_with[terms[term]] += 1
        needed = 1 if len(rows) == 1 else max(2, -(-len(rows) // 2))
        shared = [term for term in weights if papers_with[term] >= needed]
        return sorted(shared, key=lambda term: (-weights[term], term))[:n]

    def locate(self, query: str) -> Location | None:
        """Place a query on the map and in a cluster by its nearest papers; None when no word is known."""
        vector = self.query_vector(prepare_query(query).text)
        if vector is None:
            return None
        neighbours = self._rank(vector, PLACEMENT_NEIGHBOURS)
        rows = [hit.row for hit in neighbours]
        weights = np.clip([hit.score for hit in neighbours], 1e-6, None)
        x, y = np.average(np.asarray(self._coords[rows], dtype=np.float64), axis=0, weights=weights)
        votes: Counter[int] = Counter()
        for row, weight in zip(rows, weights, strict=True):
            votes[int(self._clusters[row])] += float(weight)
        cluster = votes.most_common(1)[0][0] if votes else NOISE
        return Location(float(x), float(y), cluster, neighbours)

    def listing(self, paper_ids: Sequence[str]) -> pd.DataFrame:
        """A table of the given papers in order (unknown ids skipped): id, title, updated, topic, paper-page link."""
        rows = [row for row in (self.row_of(paper_id) for paper_id in paper_ids) if row is not None]
        table = self.records(rows)[["id", "title", "update_date", "topic"]].rename(columns={"update_date": "updated"})
        return table.assign(link=["/paper?" + urlencode({"id": i, "model": self.name}) for i in table["id"]])

    def records(self, rows: Sequence[int]) -> pd.DataFrame:
        """The papers of these rows, in order, with what exports need: id, title, authors, categories, date, topic."""
        table = self.papers[["id", "title", "authors", "categories", "update_date", "cluster"]].iloc[np.asarray(rows, dtype=np.int64)]
        table = table.assign(topic=[self.topic_label(int(c)) for c in table["cluster"]])
        return table.drop(columns="cluster").reset_index(drop=True)

    def topic_label(self, cluster: int) -> str:
        """A cluster's keyword label ('unclustered' for noise)."""
        return self._labels.get(cluster, "unclustered")


def load_engine(path: str | Path) -> Engine:
    """Load and verify a model set once (arrays memory-mapped) and return its engine."""
    return Engine(load_model_set(path))
