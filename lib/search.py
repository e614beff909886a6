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
from functools import cached_property

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
# Share of the normalised BM25 score in hybrid ranking of a text query and of "more like this", chosen on one half of
# the typed-query tags, category names and neighbour queries with bench/meaning_variants.py (docs/QUALITY.md, "Meaning
# that adds"). On 20,000 papers, 0.5 against 0.7: MAP@100 +0.006 on typed queries and +0.007 on category names (the
# tuning halves; +0.003 on the others), known-item R@1 0.996 against 0.997 (one title of 1,000).
LEXICAL_WEIGHT = 0.5
SIMILAR_LEXICAL_WEIGHT = 0.6
# The meaning half of a text query (docs/QUALITY.md, "Meaning that adds"; bench/meaning_variants.py measured every
# variant). PV-DBOW trains a paper's vector to predict the paper's words through Doc2Vec's output weights, so the papers
# whose vectors best predict a query's words lie closest to the sum of those words' output vectors, each less the mean
# output vector of the words training drew as negatives (without it a direction shared by all words ranks papers that
# predict every word: typed-query P@10 0.41 instead of 0.56). Then the mean vector of the FEEDBACK_PAPERS best papers by
# BM25, unit length and weighted FEEDBACK_WEIGHT, joins it (pseudo-relevance feedback: the topic of the keyword leaders
# in Doc2Vec's space). Meaning only, on 20,000 papers, half A of the tags: P@10 / MAP@100 0.595 / 0.311 against 0.506 /
# 0.257 for gensim's inferred vector, with titles finding their paper as often (R@1 0.82 against 0.80); weight 1 gained
# nothing more and lost titles (0.74). No inference: the vector is a sum, the same in every process.
FEEDBACK_PAPERS = 10
FEEDBACK_WEIGHT = 0.5
# Words of the output weights read at a time when their noise mean is computed (once per loaded set).
NOISE_BLOCK = 1 << 16
# "More like this" of one paper (hybrid) in two rounds: the paper's words through the output weights, unit length and
# weighted SIMILAR_WORDS_WEIGHT, join its vector; the SIMILAR_FEEDBACK_PAPERS best papers of that first ranking then
# add their unit mean vector, weighted SIMILAR_FEEDBACK_WEIGHT, and the papers are ranked again (primary category among
# the 10 neighbours 0.531 against 0.508 on 20,000 papers). Several papers, or any marked "less like this", keep
# Rocchio's mean alone: a first round over papers of two topics is led by one of them, and its feedback then crowded
# out the other (on the demo set, a pair from two topics returned 30 papers of the first and none of the second).
SIMILAR_WORDS_WEIGHT = 0.5
SIMILAR_FEEDBACK_PAPERS = 20
SIMILAR_FEEDBACK_WEIGHT = 1.0
# A text query whose cleaned words are exactly one paper's title (case, accents, LaTeX and punctuation aside) returns
# that paper first when it is among the TITLE_CHECK best: someone who pastes a title wants that paper. Ranking alone
# put a near-twin first for 4 of 1,000 sampled titles on 20,000 papers ("... Josephson diode effect in altermagnets").
# Queries of fewer than TITLE_MIN_WORDS words are topics more than titles ("Superconductivity") and are left as ranked.
TITLE_CHECK = 20
TITLE_MIN_WORDS = 3
# Longest query the engine reads, in characters: a pasted title and abstract fit (arXiv abstracts stay under 2,000);
# anything longer is cut at a word boundary before this length. It also bounds query time and the length of the
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


def _unit(vector: np.ndarray) -> np.ndarray | None:
    """The vector scaled to length 1 (float32), or None when it is zero."""
    norm = float(np.linalg.norm(vector))
    return (np.asarray(vector, dtype=np.float32) / np.float32(norm)).astype(np.float32) if norm else None


def _joined(vector: np.ndarray, other: np.ndarray, weight: float) -> np.ndarray:
    """unit(vector + weight * other), or `vector` itself should they cancel out."""
    joined = _unit(vector + np.float32(weight) * other)
    return vector if joined is None else joined


def _leaders(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k highest positive scores, best first, ties broken by row (the same in every process)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
    return positive[np.lexsort((positive, -scores[positive]))]


def _best_rows(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best of these candidate rows and their scores, best first, ties broken by row."""
    k = max(0, min(k, len(rows)))
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((rows[top], -scores[top]))]
    return rows[top], scores[top]


def blend(semantic: np.ndarray | None, lexical: np.ndarray | None, weight: float) -> np.ndarray | None:
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
        # Doc2Vec's output weights of negative sampling (memory-mapped): the meaning half reads queries through them.
        # A model trained with hierarchical softmax alone has none, and its queries are inferred instead.
        self._output = self.doc2vec.syn1neg if self.doc2vec.negative else None

    @cached_property
    def _noise_output(self) -> np.ndarray:
        """The mean output vector of the words negative sampling drew in training (unigram counts ** 0.75, from cum_table)."""
        table = np.asarray(self.doc2vec.cum_table, dtype=np.float64)
        shares = np.diff(table, prepend=0.0) / table[-1]
        total = np.zeros(self._output.shape[1], dtype=np.float64)
        # A block of words at a time: the memory-mapped weights of 500,000 words would be 400 MB as one float64 copy.
        for start in range(0, len(shares), NOISE_BLOCK):
            total += shares[start : start + NOISE_BLOCK] @ np.asarray(self._output[start : start + NOISE_BLOCK], dtype=np.float64)
        return total.astype(np.float32)

    def _inferred(self, known: list[str]) -> np.ndarray | None:
        """The unit vector gensim's inference gives these words, seeded from them (lib/doc2vec.py)."""
        with self._lock:
            vector = infer_vector(self.doc2vec, known)
        return _unit(vector)

    def _word_direction(self, tokens: Sequence[str]) -> np.ndarray | None:
        """Unit vector of the sum of the output vectors of the known tokens (each less the noise mean), None without any.

        Stop words count only when nothing else is known; a word counts as often as it occurs; words are summed in
        vocabulary order, so the vector is the same whatever the order of the words and in every process. The
        tokens' phrase tokens ("molecular_dynamics") count too when Doc2Vec was trained on them (elsewhere they are
        not in its vocabulary and drop out, as before phrase tokens).
        """
        vocabulary = self.doc2vec.wv.key_to_index
        if self.lexical.phrases is not None:
            tokens = self.lexical.phrases.with_tokens(tokens)
        known = [token for token in tokens if token in vocabulary]
        if not known:
            return None
        if self._output is None:
            return self._inferred(known)
        content = [token for token in known if token not in BM25_STOP_WORDS] or known
        ids, counts = np.unique(np.fromiter((vocabulary[token] for token in content), dtype=np.int64), return_counts=True)
        rows = np.asarray(self._output[ids], dtype=np.float32) - self._noise_output
        return _unit(counts.astype(np.float32) @ rows)

    def _with_feedback(self, direction: np.ndarray | None, lexical: np.ndarray | None) -> np.ndarray | None:
        """The direction joined by the unit mean vector of the FEEDBACK_PAPERS best papers by `lexical`, unit length."""
        if direction is None or lexical is None or not FEEDBACK_PAPERS:
            return direction
        leaders = _leaders(lexical, FEEDBACK_PAPERS)
        mean = _unit(np.asarray(self.vectors[leaders], dtype=np.float32).mean(axis=0)) if len(leaders) else None
        return direction if mean is None else _joined(direction, mean, FEEDBACK_WEIGHT)

    def _text_halves(self, query: str, mode: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """A prepared query's meaning vector (None in lexical mode) and normalised BM25 scores (None in semantic mode)."""
        lexical = self._normalised_bm25(query)
        vector = None if mode == "lexical" else self._with_feedback(self._word_direction(tokenize(query)), lexical)
        return vector, None if mode == "semantic" else lexical

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
        """The unit vector the meaning half ranks papers by (cosine), the same in every process; None without known words.

        The query's words through Doc2Vec's output weights, joined by the mean vector of BM25's best papers for it
        (FEEDBACK_PAPERS; see the constants).
        """
        return self._text_halves(prepare_query(query).text, "semantic")[0]

    def _as_hits(self, rows: np.ndarray, scores: np.ndarray) -> list[Hit]:
        """Ranked rows and their scores (from `_ranked`) as hits with their paper ids."""
        ids = self.catalogue.ids(rows) if len(rows) else []
        return [Hit(paper_id, float(score), int(row)) for paper_id, score, row in zip(ids, scores, rows, strict=True)]

    def _ranked(
        self,
        vector: np.ndarray | None,
        lexical: np.ndarray | None,
        weight: float,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: Sequence[int] = (),
        approximate: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the k best papers by the blend of cosine to `vector` and the lexical scores, best first.

        Exact over every allowed paper, unless the set has an ANN index, `approximate` is on and nothing is
        filtered: then the union of the CANDIDATES best by the index and by the lexical scores is scored exactly.
        """
        if vector is None and lexical is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self.ann is None or not approximate or allowed is not None:
            semantic = None if vector is None else np.asarray(self.vectors @ vector, dtype=np.float32)
            scores = np.asarray(blend(semantic, lexical, weight), dtype=np.float32)
            if len(exclude):
                allowed = np.ones(len(scores), dtype=bool) if allowed is None else allowed.copy()
                allowed[list(exclude)] = False
            if allowed is None:
                return _best_rows(np.arange(len(scores)), scores, k)
            rows = np.flatnonzero(allowed)
            return _best_rows(rows, scores[rows], k)
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
        return _best_rows(rows, blend(semantic, None if lexical is None else lexical[rows], weight), k)

    def _normalised_bm25(self, query: str) -> np.ndarray | None:
        """BM25 scores of every paper divided by the best, or None when no query term is indexed."""
        bm25 = self.lexical.bm25_scores(tokenize(query))
        top = float(bm25.max()) if len(bm25) else 0.0
        return bm25 / top if top > 0 else None

    def scores_for_query(self, query: str, mode: str = "hybrid", lexical_weight: float = LEXICAL_WEIGHT) -> np.ndarray | None:
        """Every paper's score for a query: cosine to the meaning vector, normalised BM25, or their blend; None if nothing is known."""
        _check_mode(mode)
        vector, lexical = self._text_halves(prepare_query(query).text, mode)
        semantic = None if vector is None else np.asarray(self.vectors @ vector, dtype=np.float32)
        return blend(semantic, lexical, lexical_weight)

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
        if k <= 0:
            return []
        vector, lexical = self._text_halves(query, mode)
        allowed = self.catalogue.filter_mask(categories, years)
        rows, scores = self._ranked(vector, lexical, lexical_weight, max(k, TITLE_CHECK), allowed, approximate=approximate)
        return self._as_hits(*self._title_first(tokenize(query), rows, scores))[:k]

    def _title_first(self, tokens: list[str], rows: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ranking with the first paper whose title has exactly the query's words moved to the top (see TITLE_CHECK).

        It takes the first paper's score, so scores still fall down the list.
        """
        if len(tokens) < TITLE_MIN_WORDS or len(rows) < 2:
            return rows, scores
        titles = self.catalogue.title_tokens(rows[:TITLE_CHECK])
        match = next((i for i, title in enumerate(titles) if title == tokens), None)
        if not match:  # None (no title matches) or 0 (already first)
            return rows, scores
        order = np.r_[match, np.delete(np.arange(len(rows)), match)]
        return rows[order], np.r_[scores[0], np.delete(scores, match)].astype(scores.dtype)

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
        NEGATIVE_WEIGHT times the mean of the negatives' (and the same for their BM25 similarities). One paper alone
        in hybrid mode is ranked in two rounds (`_similar_meaning`; see SIMILAR_FEEDBACK_PAPERS).
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
        tokens = self.catalogue.tokens(positive) if mode != "semantic" else []
        if mode != "semantic":
            lexical = self.lexical.similar_scores(tokens)
            if negatives:
                lexical = lexical - NEGATIVE_WEIGHT * self.lexical.similar_scores(self.catalogue.tokens(negatives))
        if mode == "hybrid" and len(positive) == 1 and not negatives:
            vector = self._similar_meaning(positive[0], tokens, lexical, lexical_weight, approximate)
        allowed = self.catalogue.filter_mask(categories, years)
        return self._as_hits(*self._ranked(vector, lexical, lexical_weight, k, allowed, positive + negatives, approximate))

    def _similar_meaning(self, row: int, tokens: list[str], lexical: np.ndarray, weight: float, approximate: bool) -> np.ndarray:
        """The meaning half of hybrid "more like this" of one paper: its vector joined by its words' direction, then by
        the mean vector of the SIMILAR_FEEDBACK_PAPERS papers that this vector and BM25 rank first (see the constants)."""
        vector = np.asarray(self.vectors[row], dtype=np.float32)
        words = self._word_direction(tokens) if SIMILAR_WORDS_WEIGHT else None
        if words is not None:
            vector = _joined(vector, words, SIMILAR_WORDS_WEIGHT)
        if not SIMILAR_FEEDBACK_PAPERS:
            return vector
        first = self._ranked(vector, lexical, weight, SIMILAR_FEEDBACK_PAPERS, exclude=[row], approximate=approximate)[0]
        mean = _unit(np.asarray(self.vectors[first], dtype=np.float32).mean(axis=0)) if len(first) else None
        return vector if mean is None else _joined(vector, mean, SIMILAR_FEEDBACK_WEIGHT)

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
        neighbours = self._as_hits(*self._ranked(vector, None, 0.0, PLACEMENT_NEIGHBOURS, approximate=approximate))
        rows = [hit.row for hit in neighbours]
        weights = np.clip([hit.score for hit in neighbours], 1e-6, None)
        x, y = np.average(np.asarray(self.catalogue.coords[rows], dtype=np.float64), axis=0, weights=weights)
        votes: Counter[int] = Counter()
        for row, weight in zip(rows, weights, strict=True):
            votes[int(self.catalogue.clusters[row])] += float(weight)
        cluster = votes.most_common(1)[0][0] if votes else NOISE
        return Location(float(x), float(y), cluster, neighbours)
