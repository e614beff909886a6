"""Ranking one model set's papers: query vectors, search, more like this, shared words, map placement.

The `Ranker` owns the models that score papers (Doc2Vec, the document vectors, BM25, the ANN index) and asks
the set's `Catalogue` (lib/catalogue.py) for ids, rows, texts and filters. Per-query choices (mode, filters,
keyword weight, exact or approximate) are arguments, so concurrent sessions never see each other's settings.
`lib.engine.load_engine(path)` gives a set's catalogue and ranker together.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lib.arxiv_ids import arxiv_id
from lib.catalogue import Catalogue
from lib.cleaning import tokenize
from lib.clustering import NOISE
from lib.doc2vec import infer_vector
from lib.lexical import BM25_STOP_WORDS
from lib.modelset import ModelSet
from lib.params import PLACEMENT_NEIGHBOURS

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
    """One ranked paper: its arXiv id, similarity score, and row in the catalogue."""

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


class Ranker:
    """Scores a model set's papers for free-text queries and for papers; thread-safe, holds no per-query state."""

    def __init__(self, model_set: ModelSet, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.doc2vec = model_set.doc2vec
        self.vectors = model_set.vectors
        self.lexical = model_set.lexical
        # The set's approximate-neighbour index (large sets), or None: every ranking is then an exact scan.
        self.ann = model_set.ann
        self._lock = threading.Lock()  # infer_vector sets the shared model's random state: one query at a time

    def words(self, query: str, mode: str = "hybrid") -> QueryWords:
        """Which of the query's tokens the mode's models know (Doc2Vec's vocabulary, the BM25 index, or either)."""
        _check_mode(mode)
        semantic = self.doc2vec.wv.key_to_index if mode != "lexical" else {}
        lexical = self.lexical.vocabulary if mode != "semantic" else {}
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
        vocabulary = self.doc2vec.wv.key_to_index
        known = [token for token in tokenize(query) if token in vocabulary]
        if not known:
            return None
        with self._lock:
            vector = infer_vector(self.doc2vec, known)
        norm = float(np.linalg.norm(vector))
        return (vector / norm).astype(np.float32) if norm else None

    def _best_of(self, rows: np.ndarray, scores: np.ndarray, k: int) -> list[Hit]:
        """The k best of these candidate rows by their scores, ties broken by row."""
        k = max(0, min(k, len(rows)))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((rows[top], -scores[top]))]
        chosen = rows[top]
        ids = self.catalogue.ids(chosen)
        return [Hit(paper_id, float(score), int(row)) for paper_id, score, row in zip(ids, scores[top], chosen, strict=True)]

    def _rank_blend(
        self,
        vector: np.ndarray | None,
        lexical: np.ndarray | None,
        weight: float,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: Sequence[int] = (),
        approximate: bool = True,
    ) -> list[Hit]:
        """The k best papers by the blend of cosine to `vector` and the normalised lexical scores.

        Exact over every allowed paper, unless the set has an ANN index, `approximate` is on and nothing is
        filtered: then the union of the CANDIDATES best by the index and by the lexical scores is scored exactly.
        """
        if vector is None and lexical is None:
            return []
        if self.ann is None or not approximate or allowed is not None:
            semantic = None if vector is None else np.asarray(self.vectors @ vector, dtype=np.float32)
            scores = np.asarray(_blend(semantic, lexical, weight), dtype=np.float32)
            if len(exclude):
                allowed = np.ones(len(scores), dtype=bool) if allowed is None else allowed.copy()
                allowed[list(exclude)] = False
            if allowed is None:
                return self._best_of(np.arange(len(scores)), scores, k)
            rows = np.flatnonzero(allowed)
            return self._best_of(rows, scores[rows], k)
        wanted = max(k + len(exclude), CANDIDATES)
        parts = []
        if vector is not None:
            parts.append(self.ann.search(vector, wanted)[0])
        if lexical is not None:
            leaders = np.argpartition(-lexical, min(wanted, len(lexical)) - 1)[:wanted]
            parts.append(leaders[lexical[leaders] > 0])
        rows = np.unique(np.concatenate(parts).astype(np.int64))
        if len(exclude):
            rows = rows[~np.isin(rows, list(exclude))]
        semantic = None if vector is None else np.asarray(np.asarray(self.vectors[rows]) @ vector, dtype=np.float32)
        return self._best_of(rows, _blend(semantic, None if lexical is None else lexical[rows], weight), k)

    def _normalised_bm25(self, query: str) -> np.ndarray | None:
        """BM25 scores of every paper divided by the best, or None when no query term is indexed."""
        bm25 = self.lexical.bm25_scores(tokenize(query))
        top = float(bm25.max()) if len(bm25) else 0.0
        return bm25 / top if top > 0 else None

    def scores_for_query(self, query: str, mode: str = "hybrid", lexical_weight: float = LEXICAL_WEIGHT) -> np.ndarray | None:
        """Every paper's score for a query: cosine of vectors, normalised BM25, or their blend; None if nothing is known."""
        _check_mode(mode)
        query = prepare_query(query).text
        vector = self.query_vector(query) if mode != "lexical" else None
        semantic = None if vector is None else np.asarray(self.vectors @ vector, dtype=np.float32)
        lexical = self._normalised_bm25(query) if mode != "semantic" else None
        return _blend(semantic, lexical, lexical_weight)

    def named_paper(self, query: str) -> tuple[str, int | None] | None:
        """When the query is an arXiv id or link: (the id, its row here or None); else None."""
        paper_id = arxiv_id(prepare_query(query).text)
        return None if paper_id is None else (paper_id, self.catalogue.row_of(paper_id))

    def search(
        self,
        query: str,
        k: int = 10,
        categories: Sequence[str] = (),
        years: tuple[int, int] | None = None,
        mode: str = "hybrid",
        lexical_weight: float = LEXICAL_WEIGHT,
        approximate: bool = True,
    ) -> list[Hit]:
        """The k best papers for a query (hybrid by default); [] when no word is known.

        A query that is an arXiv id or link of a paper in the set returns that paper first (whatever
        the filters), then the papers most like it. `approximate=False` forces exact scans on a set with
        an ANN index (benchmarks compare the two).
        """
        _check_mode(mode)
        query = prepare_query(query).text
        named = arxiv_id(query)
        row = None if named is None else self.catalogue.row_of(named)
        if row is not None and k > 0:
            paper_id = self.catalogue.ids([row])[0]
            return [Hit(paper_id, 1.0, row), *self.similar(paper_id, k - 1, categories, years, mode, approximate=approximate)]
        vector = self.query_vector(query) if mode != "lexical" else None
        lexical = self._normalised_bm25(query) if mode != "semantic" else None
        allowed = self.catalogue.filter_mask(categories, years)
        return self._rank_blend(vector, lexical, lexical_weight, k, allowed, approximate=approximate)

    def similar(
        self,
        paper_id: str | Sequence[str],
        k: int = 10,
        categories: Sequence[str] = (),
        years: tuple[int, int] | None = None,
        mode: str = "hybrid",
        negative: Sequence[str] = (),
        lexical_weight: float = SIMILAR_LEXICAL_WEIGHT,
        approximate: bool = True,
    ) -> list[Hit]:
        """The k papers most like one paper or several, and least like the `negative` ones; the given papers excluded.

        Several papers are combined as Rocchio's relevance feedback does: the mean of their vectors minus
        NEGATIVE_WEIGHT times the mean of the negatives' (and the same for their BM25 similarities).
        """
        _check_mode(mode)
        positive = self.catalogue.rows_of([paper_id] if isinstance(paper_id, str) else list(paper_id))
        negatives = [row for row in self.catalogue.rows_of(list(negative)) if row not in positive]
        if not positive:
            raise ValueError("more like these needs at least one paper")
        vector = None
        if mode != "lexical":
            vector = np.asarray(self.vectors[positive], dtype=np.float32).mean(axis=0)
            if negatives:
                vector = vector - NEGATIVE_WEIGHT * np.asarray(self.vectors[negatives], dtype=np.float32).mean(axis=0)
            norm = float(np.linalg.norm(vector))
            vector = (vector / norm).astype(np.float32) if norm and len(positive) + len(negatives) > 1 else vector
        lexical = None
        if mode != "semantic":
            lexical = self.lexical.similar_scores(self.catalogue.tokens(positive))
            if negatives:
                lexical = lexical - NEGATIVE_WEIGHT * self.lexical.similar_scores(self.catalogue.tokens(negatives))
        allowed = self.catalogue.filter_mask(categories, years)
        return self._rank_blend(vector, lexical, lexical_weight, k, allowed, positive + negatives, approximate)

    def shared_words(self, paper_ids: Sequence[str], n: int = 12) -> list[str]:
        """The indexed words most of these papers use, heaviest BM25 weight first (a single paper: its own top words)."""
        rows = self.catalogue.rows_of(list(paper_ids))
        weights: Counter[str] = Counter()
        papers_with: Counter[str] = Counter()
        terms = self.lexical.terms
        for row in rows:
            ids, values = self.lexical.document_vector(self.catalogue.tokens([row]))
            for term, value in zip(ids, values.tolist(), strict=True):
                weights[terms[term]] += value
                papers_with[terms[term]] += 1
        needed = 1 if len(rows) == 1 else max(2, -(-len(rows) // 2))
        shared = [term for term in weights if papers_with[term] >= needed]
        return sorted(shared, key=lambda term: (-weights[term], term))[:n]

    def locate(self, query: str, approximate: bool = True) -> Location | None:
        """Place a query on the map and in a topic by its nearest papers (by meaning); None when no word is known."""
        vector = self.query_vector(prepare_query(query).text)
        if vector is None:
            return None
        neighbours = self._rank_blend(vector, None, 0.0, PLACEMENT_NEIGHBOURS, approximate=approximate)
        rows = [hit.row for hit in neighbours]
        weights = np.clip([hit.score for hit in neighbours], 1e-6, None)
        x, y = np.average(np.asarray(self.catalogue.coords[rows], dtype=np.float64), axis=0, weights=weights)
        votes: Counter[int] = Counter()
        for row, weight in zip(rows, weights, strict=True):
            votes[int(self.catalogue.clusters[row])] += float(weight)
        cluster = votes.most_common(1)[0][0] if votes else NOISE
        return Location(float(x), float(y), cluster, neighbours)
