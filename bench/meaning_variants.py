"""Measure ways of scoring the meaning half of search (Doc2Vec) alone and blended with BM25, on five protocols.

    python -m bench.meaning_variants --model PATH [--labels tags.jsonl.gz] [--tag-queries data/tag_queries.json]
        [--variants PATTERN ...] [--queries 1000] [--abstracts 300] [--seed 0] [--json out.json]

A variant is a function from a query to every paper's score (what `Ranker.scores_for_query` returns), and may
have a second function from a paper's row to every paper's score ("more like this"). Protocols:

- typed: each phrasing of each tag (lib/query_sets.py's typed set) ranked among the labelled papers of the set;
  relevant = papers with the tag. Reported on two halves of the tags (sorted by name: even positions "A", odd
  "B"), so that a setting tuned on A can be checked on B.
- categories: the readable name of each full arXiv category that is primary for 10 papers or more, ranked over
  every paper; relevant = papers listing the category. Halves as above, by category code.
- abstracts: a sampled paper's title and abstract pasted as the query (the paper itself left out); P@10 = share
  of the 10 hits with the paper's primary category. The long-query end of a query-dependent blend.
- neighbours: "more like this" of a sampled paper (itself left out): the same share, for variants with one;
  halves A and B are the sampled papers at even and odd positions.
- known items: a sampled paper's title must find that paper (R@1, R@10, MRR@10), with each query's time.

Every figure is a mean over queries. Names say what a variant is: `sem:` meaning alone, `hyb:` meaning blended with
the set's BM25 (`raw w=X`: X * BM25 / best + (1 - X) * cosine), `sim:`/`simh:`/`simf:` more like this (meaning
alone, blended, two rounds), `base:` the outside TF-IDF and BM25 of lib/evaluation.py. `inferred` is gensim's
inferred query vector (the meaning half before), `centered` the sum of the query words' Doc2Vec output vectors less
the negative-sampling mean (the Doc2Vec objective made linear; what lib/search.py now uses), `+bm25 fb d=D w=W` adds
W times the unit mean vector of BM25's D best papers. `engine:MODE` measures the ranker as it stands (its
`scores_for_query` and `similar`), whatever lib/search.py now does. `--variants` takes names or shell-style patterns
(default: every variant, which takes hours on 20,000 papers).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from lib.cleaning import tokenize
from lib.doc2vec import infer_vector
from lib.engine import load_engine
from lib.evaluation import Bm25Baseline, K, TfidfBaseline, bare_archive, mrr_at_k, paper_texts, primary, rank_of, recall_at_k
from lib.lexical import BM25_STOP_WORDS
from lib.query_sets import (
    DEFAULT_TAG_QUERIES,
    MAP_DEPTH,
    QuerySet,
    category_query_set,
    load_labels,
    load_tag_queries,
    query_figures,
    rank_pool,
    typed_query_set,
)
from lib.search import blend

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LABELS = ROOT.parent / "shared" / "arxiv" / "tags.jsonl.gz"
ABSTRACT_QUERIES = 300

Scores = Callable[[str], "np.ndarray | None"]
RowScores = Callable[[int], np.ndarray]


@dataclass(frozen=True)
class Variant:
    """A named way of scoring every paper for a query, and optionally for a paper (more like this)."""

    name: str
    scores: Scores | None
    similar: RowScores | None = None
    matches_only: bool = False


def top_rows(scores: np.ndarray, k: int, exclude: int | None = None) -> list[int]:
    """The k best rows by score, ties broken by row, `exclude` left out."""
    scores = np.asarray(scores, dtype=np.float64)
    if exclude is not None:
        scores = scores.copy()
        scores[exclude] = -np.inf
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.lexsort((top, -scores[top]))].tolist()


class Parts:
    """What variants are made of, for one engine: the query's inferred vector, BM25, the Doc2Vec output layer."""

    def __init__(self, engine) -> None:
        ranker = engine.ranker
        self.engine = engine
        self.ranker = ranker
        self.model = ranker.doc2vec
        self.vocabulary = self.model.wv.key_to_index
        self.vectors = np.ascontiguousarray(ranker.vectors, dtype=np.float32)
        self.output = np.ascontiguousarray(self.model.syn1neg, dtype=np.float32)
        self.word_vectors = np.ascontiguousarray(self.model.wv.vectors, dtype=np.float32)
        counts = np.asarray(self.model.wv.expandos["count"], dtype=np.float64)
        # A Doc2Vec word's inverse document frequency is not stored; log(total / count) of its corpus count stands in.
        self.word_idf = np.log(counts.sum() / np.maximum(counts, 1)).astype(np.float32)
        self.n = len(self.vectors)
        # How a paper's words are weighted in its direction: "log-idf" (log(1 + count) * idf) or "counts" (as queries).
        self.paper_weighting = "log-idf"
        # The negative-sampling distribution (unigram ** 0.75) as training drew from it: differences of gensim's cum_table.
        cum = np.asarray(self.model.cum_table, dtype=np.float64)
        self.noise = np.diff(np.concatenate([[0.0], cum])) / cum[-1]
        self.noise_mean = (self.noise @ self.output).astype(np.float32)
        self._noise_terms: dict[float, np.ndarray] = {}

    @lru_cache(maxsize=8192)  # noqa: B019 - one Parts per run; the cache is the point
    def known(self, query: str) -> tuple[str, ...]:
        """The query's tokens in Doc2Vec's vocabulary, in order."""
        return tuple(token for token in tokenize(query) if token in self.vocabulary)

    @lru_cache(maxsize=8192)  # noqa: B019
    def inferred(self, query: str) -> np.ndarray | None:
        """The unit inferred query vector (as Ranker.query_vector makes it), cached: inference is the slow part."""
        words = list(self.known(query))
        if not words:
            return None
        vector = infer_vector(self.model, words)
        norm = float(np.linalg.norm(vector))
        return (vector / norm).astype(np.float32) if norm else None

    def cosine(self, query: str) -> np.ndarray | None:
        """Cosine of every paper's vector to the inferred query vector: the current meaning half."""
        vector = self.inferred(query)
        return None if vector is None else self.vectors @ vector

    def bm25(self, query: str) -> np.ndarray | None:
        """The set's BM25, divided by the best score (the current keyword half)."""
        return self.ranker._normalised_bm25(query)

    def objective_words(self, query: str, stop: bool) -> list[int]:
        """Vocabulary ids of the query's known words, BM25's stop words left out when `stop` (unless nothing else is left)."""
        words = self.known(query)
        kept = [word for word in words if word not in BM25_STOP_WORDS] if stop else list(words)
        return [self.vocabulary[word] for word in (kept or words)]

    def objective(self, query: str, scale: float, stop: bool = True, idf: bool = False) -> np.ndarray | None:
        """Mean log sigmoid(scale * paper vector . output vector of each query word): how well each paper predicts the query.

        PV-DBOW trains a paper's vector to predict its words through these output weights, so this is the
        training objective read the other way round (the negative samples' terms left out). Stored vectors are
        unit length; `scale` stands in for the raw length (about 5 for abstracts' inferred vectors).
        """
        ids = self.objective_words(query, stop)
        if not ids:
            return None
        logits = scale * (self.vectors @ self.output[ids].T)
        terms = -np.logaddexp(0.0, -logits)
        weights = self.word_idf[ids] if idf else np.ones(len(ids), dtype=np.float32)
        return (terms @ weights / weights.sum()).astype(np.float32)

    def noise_term(self, scale: float) -> np.ndarray:
        """Each paper's mean log sigmoid(scale * vector . output vector) over 1,024 words drawn from the noise distribution."""
        if scale not in self._noise_terms:
            drawn = np.random.default_rng(0).choice(len(self.noise), size=1024, p=self.noise)
            logits = scale * (self.vectors @ self.output[drawn].T)
            self._noise_terms[scale] = (-np.logaddexp(0.0, -logits)).mean(axis=1).astype(np.float32)
        return self._noise_terms[scale]

    def objective_ratio(self, query: str, scale: float, stop: bool = True) -> np.ndarray | None:
        """The objective minus the same for typical (noise) words: a paper that predicts every word well gains nothing."""
        scores = self.objective(query, scale, stop)
        return None if scores is None else scores - self.noise_term(scale)

    def output_centered(self, query: str, stop: bool = True, idf: bool = False) -> np.ndarray | None:
        """Cosine to the sum of the query words' output vectors minus the noise distribution's mean output vector each."""
        ids = self.objective_words(query, stop)
        if not ids:
            return None
        weights = self.word_idf[ids] if idf else np.ones(len(ids), dtype=np.float32)
        vector = weights @ (self.output[ids] - self.noise_mean)
        return self.vectors @ (vector / np.linalg.norm(vector))

    def output_sum(self, query: str, stop: bool = True, idf: bool = False) -> np.ndarray | None:
        """Cosine of every paper's vector to the sum of the query words' output vectors (the objective made linear)."""
        ids = self.objective_words(query, stop)
        if not ids:
            return None
        weights = self.word_idf[ids] if idf else np.ones(len(ids), dtype=np.float32)
        vector = weights @ self.output[ids]
        return self.vectors @ (vector / np.linalg.norm(vector))

    def word_mean(self, query: str, stop: bool = True) -> np.ndarray | None:
        """Cosine of every paper's vector to the mean of the query words' unit input vectors (same space in PV-DBOW with word training)."""
        ids = self.objective_words(query, stop)
        if not ids:
            return None
        rows = self.word_vectors[ids]
        vector = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).sum(axis=0)
        return self.vectors @ (vector / np.linalg.norm(vector))

    def direction(self, query: str, kind: str) -> np.ndarray | None:
        """A unit query vector in document space: `inferred`, `centered` (output vectors less the noise mean) or `both` summed."""
        if kind == "inferred":
            return self.inferred(query)
        ids = self.objective_words(query, True)
        if not ids:
            return None
        vector = (self.output[ids] - self.noise_mean).sum(axis=0)
        vector = vector / np.linalg.norm(vector)
        if kind == "both":
            inferred = self.inferred(query)
            vector = vector + inferred if inferred is not None else vector
            vector = vector / np.linalg.norm(vector)
        return vector.astype(np.float32)

    def meaning(self, query: str, kind: str, depth: int = 0, weight: float = 0.0, source: str = "bm25") -> np.ndarray | None:
        """Cosine to the query direction plus `weight` times the unit mean vector of the `depth` best papers by `source`."""
        vector = self.direction(query, kind)
        if vector is None:
            return None
        if depth and weight:
            base = self.bm25(query) if source == "bm25" else self.vectors @ vector
            if source.startswith("hybrid"):
                base = blend(self.vectors @ vector, self.bm25(query), float(source.split()[1]))
            if base is not None:
                mean = self.vectors[top_rows(base, depth)].mean(axis=0)
                vector = vector + weight * mean / np.linalg.norm(mean)
                vector = vector / np.linalg.norm(vector)
        return self.vectors @ vector

    def paper_direction(self, row: int) -> np.ndarray:
        """A paper's words (BM25 weights) as a unit vector in document space through the centered output vectors."""
        tokens = self.engine.catalogue.tokens([row])
        counts: dict[int, float] = {}
        for token in tokens:
            if token in self.vocabulary and token not in BM25_STOP_WORDS:
                counts[self.vocabulary[token]] = counts.get(self.vocabulary[token], 0.0) + 1.0
        ids = list(counts)
        if not ids:
            return self.vectors[row]
        weights = np.array([counts[i] for i in ids], dtype=np.float32)
        if self.paper_weighting == "log-idf":
            weights = np.log1p(weights) * self.word_idf[ids]
        vector = weights @ (self.output[ids] - self.noise_mean)
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def neighbours(self, row: int, own: float = 1.0, words: float = 0.0, depth: int = 0, hops: float = 0.0) -> np.ndarray:
        """Cosine to the paper's vector (weight `own`) plus its words' direction (`words`) plus the mean of its `depth`
        nearest papers (`hops`)."""
        vector = own * self.vectors[row]
        if words:
            vector = vector + words * self.paper_direction(row)
        if depth and hops:
            first = self.vectors @ self.vectors[row]
            mean = self.vectors[top_rows(first, depth, exclude=row)].mean(axis=0)
            vector = vector + hops * mean / np.linalg.norm(mean)
        return self.vectors @ (vector / np.linalg.norm(vector))

    def lexical_neighbours(self, row: int) -> np.ndarray:
        """The BM25 cosine of every paper to this one (the current keyword half of more like this)."""
        return self.engine.ranker.lexical.similar_scores(self.engine.catalogue.tokens([row]))

    def similar_feedback(
        self, row: int, words: float, depth: int, hops: float, lexical_hops: float, weight: float, how: str = "raw"
    ) -> np.ndarray:
        """More like this in two rounds: the blend of meaning (vector + `words`) and BM25 cosine picks `depth` papers,
        whose mean vector (weight `hops`) and pooled words' BM25 cosine (weight `lexical_hops`) join the paper's own."""
        lexical = self.lexical_neighbours(row)
        first = blend(normalised(self.neighbours(row, words=words), how), normalised(lexical, how), weight)
        top = top_rows(first, depth, exclude=row)
        vector = self.vectors[row] + (words * self.paper_direction(row) if words else 0.0)
        mean = self.vectors[top].mean(axis=0)
        vector = vector + hops * mean / np.linalg.norm(mean)
        semantic = self.vectors @ (vector / np.linalg.norm(vector))
        if lexical_hops:
            lexical = lexical + lexical_hops * self.engine.ranker.lexical.similar_scores(self.engine.catalogue.tokens(top))
        return blend(normalised(semantic, how), normalised(lexical, how), weight)

    def word_z(self, query: str) -> tuple[np.ndarray, list[int]] | tuple[None, None]:
        """Per query word, every paper's (vector . output vector) standardised over papers (papers x words)."""
        ids = self.objective_words(query, True)
        if not ids:
            return None, None
        if not hasattr(self, "_vector_mean"):
            self._vector_mean = self.vectors.mean(axis=0)
            self._vector_cov = np.cov(self.vectors.T).astype(np.float32)
        rows = self.output[ids]
        spread = np.sqrt(np.einsum("wi,ij,wj->w", rows, self._vector_cov, rows))
        return (self.vectors @ rows.T - rows @ self._vector_mean) / spread, ids

    def word_z_mean(self, query: str) -> np.ndarray | None:
        """Mean over the query's words of the standardised objective term (each word counts the same)."""
        scores, _ = self.word_z(query)
        return None if scores is None else scores.mean(axis=1)

    def soft_and(self, query: str, slope: float = 1.0, shift: float = 1.0) -> np.ndarray | None:
        """Mean log sigmoid(slope * (z - shift)) over the words: a paper must predict every word unusually well."""
        scores, _ = self.word_z(query)
        return None if scores is None else (-np.logaddexp(0.0, -slope * (scores - shift))).mean(axis=1)

    def expanded_bm25(self, query: str, neighbours: int = 5, floor: float = 0.5, weight: float = 0.25) -> np.ndarray | None:
        """BM25 plus `weight` times the BM25 of each query word's `neighbours` nearest words (Doc2Vec word vectors, cosine
        at least `floor`), each scaled by its cosine; divided by the best score."""
        lexical = self.ranker.lexical
        if not hasattr(self, "_unit_words"):
            self._unit_words = self.word_vectors / np.linalg.norm(self.word_vectors, axis=1, keepdims=True)
        terms = [t for t in dict.fromkeys(tokenize(query)) if t not in BM25_STOP_WORDS]
        scores = lexical.bm25_scores(tokenize(query)).astype(np.float64)
        words = self.model.wv.index_to_key
        for term in terms:
            if term not in self.vocabulary:
                continue
            cosines = self._unit_words @ self._unit_words[self.vocabulary[term]]
            for other in np.argsort(-cosines)[1 : neighbours + 1]:
                if cosines[other] >= floor and words[other] not in terms and words[other] in lexical.vocabulary:
                    scores += weight * float(cosines[other]) * lexical.bm25_scores([words[other]])
        best = scores.max()
        return (scores / best).astype(np.float32) if best > 0 else None

    def coverage(self, query: str, depth: int = 10) -> float:
        """Mean share of the query's BM25 idf that each of BM25's `depth` best papers contains (1: every word found)."""
        lexical = self.ranker.lexical
        terms = [t for t in dict.fromkeys(tokenize(query)) if t not in BM25_STOP_WORDS and t in lexical.vocabulary]
        scores = self.bm25(query)
        if not terms or scores is None:
            return 1.0
        top = top_rows(scores, depth)
        idf = np.array([lexical.idf[lexical.vocabulary[t]] for t in terms])
        present = np.array([lexical.bm25_scores([t])[top] > 0 for t in terms])
        return float((idf[:, None] * present).sum(axis=0).mean() / idf.sum())

    def feedback(self, base: np.ndarray | None, seed: np.ndarray | None, depth: int, own: float) -> np.ndarray | None:
        """Pseudo-relevance feedback: cosine to (own * seed vector + mean vector of the `depth` best papers by `base`), normalised."""
        if base is None:
            return None
        top = top_rows(base, depth)
        vector = self.vectors[top].mean(axis=0)
        if seed is not None and own:
            vector = vector / np.linalg.norm(vector) + own * seed
        return self.vectors @ (vector / np.linalg.norm(vector))


def normalised(scores: np.ndarray | None, how: str) -> np.ndarray | None:
    """Scores mapped so the best paper gets 1 and typical ones about 0.

    `raw` leaves them, `max` divides by the best, `median` maps to (s - median) / (best - median).
    """
    if scores is None or how == "raw":
        return scores
    best = float(scores.max())
    if how == "max":
        return scores / best if best > 0 else scores
    middle = float(np.median(scores))
    return (scores - middle) / (best - middle) if best > middle else scores - middle


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every paper by score (ties by row)."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    result = np.empty(len(scores), dtype=np.float64)
    result[order] = np.arange(1, len(scores) + 1)
    return result


def rrf(semantic: np.ndarray | None, lexical: np.ndarray | None, k: float = 60.0) -> np.ndarray | None:
    """Reciprocal rank fusion: 1 / (k + rank) summed over both halves (papers without a query word get no BM25 term)."""
    if semantic is None or lexical is None:
        return lexical if semantic is None else semantic
    return 1.0 / (k + ranks(semantic)) + np.where(lexical > 0, 1.0 / (k + ranks(lexical)), 0.0)


def zscore(scores: np.ndarray | None) -> np.ndarray | None:
    """(s - mean) / standard deviation over every paper."""
    return None if scores is None else (scores - scores.mean()) / (scores.std() + 1e-9)


def anchored(scores: np.ndarray | None, depth: int = 1000) -> np.ndarray | None:
    """Scores mapped so the best paper gets 1 and the paper at rank `depth` gets 0."""
    if scores is None:
        return None
    top = -np.partition(-scores, depth)[: depth + 1]
    return (scores - top.min()) / (top.max() - top.min())


def variants(parts: Parts) -> dict[str, Variant]:
    """Every variant tried, by name (see the notes for what each is and what it gave)."""
    ranker, catalogue = parts.ranker, parts.engine.catalogue
    ids = catalogue.papers["id"].astype(str).tolist()
    found: dict[str, Variant] = {}

    def add(name: str, scores: Scores, similar: RowScores | None = None, matches_only: bool = False) -> None:
        found[name] = Variant(name, scores, similar, matches_only)

    baselines: dict[str, object] = {}

    def baseline(kind: str) -> object:
        if kind not in baselines:
            texts = paper_texts(parts.engine)
            baselines[kind] = TfidfBaseline(*texts) if kind == "tfidf" else Bm25Baseline(*texts)
        return baselines[kind]

    add("base:tfidf", lambda q: baseline("tfidf").scores(q), matches_only=True)
    add("base:bm25", lambda q: baseline("bm25").scores(q), matches_only=True)

    def engine_similar(mode: str) -> RowScores:
        def similar(row: int) -> np.ndarray:
            hits = ranker.similar(ids[row], k=K, mode=mode, approximate=False)
            scores = np.full(parts.n, -np.inf, dtype=np.float32)
            scores[[hit.row for hit in hits]] = np.arange(len(hits), 0, -1, dtype=np.float32)
            return scores

        return similar

    for mode in ("hybrid", "semantic", "lexical"):
        add(f"engine:{mode}", lambda q, mode=mode: ranker.scores_for_query(q, mode), engine_similar(mode))

    # Meaning alone.
    add("sem:cosine", parts.cosine, lambda row: parts.vectors @ parts.vectors[row])
    for scale in (1.0, 2.5, 5.0, 10.0):
        add(f"sem:objective s={scale:g}", lambda q, s=scale: parts.objective(q, s))
    add("sem:objective s=5 all words", lambda q: parts.objective(q, 5.0, stop=False))
    add("sem:objective s=5 idf", lambda q: parts.objective(q, 5.0, idf=True))
    add("sem:output sum", parts.output_sum)
    add("sem:output sum idf", lambda q: parts.output_sum(q, idf=True))
    add("sem:word mean", parts.word_mean)
    for scale in (1.0, 2.5, 5.0):
        add(f"sem:objective ratio s={scale:g}", lambda q, s=scale: parts.objective_ratio(q, s))
    add("sem:output centered", parts.output_centered)
    add("sem:output centered idf", lambda q: parts.output_centered(q, idf=True))
    for depth in (5, 10, 20):
        add(f"sem:prf cosine d={depth}", lambda q, d=depth: parts.feedback(parts.cosine(q), parts.inferred(q), d, 1.0))
        add(f"sem:prf objective d={depth}", lambda q, d=depth: parts.feedback(parts.objective(q, 5.0), None, d, 0.0))
        add(f"sem:prf bm25 d={depth}", lambda q, d=depth: parts.feedback(parts.bm25(q), None, d, 0.0))
    for kind in ("inferred", "centered", "both"):
        add(f"sem:{kind}", lambda q, k=kind: parts.meaning(q, k))
        for depth, weight in ((10, 0.5), (10, 1.0), (10, 2.0), (20, 1.0), (20, 0.5)):
            add(f"sem:{kind} +bm25 fb d={depth} w={weight:g}", lambda q, k=kind, d=depth, w=weight: parts.meaning(q, k, d, w))
            add(f"sem:{kind} +self fb d={depth} w={weight:g}", lambda q, k=kind, d=depth, w=weight: parts.meaning(q, k, d, w, "self"))

    # More like this: the meaning half alone, then blended with the BM25 cosine.
    none = None  # neighbour-only variants answer no text query
    add("sim:vector", none, parts.neighbours)
    for words in (0.5, 1.0):
        add(f"sim:vector +words {words:g}", none, lambda row, w=words: parts.neighbours(row, words=w))
    for depth, hops in ((10, 0.5), (10, 1.0), (20, 1.0)):
        add(f"sim:vector +hops d={depth} w={hops:g}", none, lambda row, d=depth, h=hops: parts.neighbours(row, depth=d, hops=h))
    for weight in (0.5, 0.6, 0.7, 0.8):
        for how in ("raw", "median"):
            add(
                f"simh:vector {how} w={weight:g}",
                none,
                lambda r, h=how, w=weight: blend(normalised(parts.neighbours(r), h), normalised(parts.lexical_neighbours(r), h), w),
            )
            add(
                f"simh:vector +words 0.5 {how} w={weight:g}",
                none,
                lambda r, h=how, w=weight: blend(
                    normalised(parts.neighbours(r, words=0.5), h), normalised(parts.lexical_neighbours(r), h), w
                ),
            )
            add(
                f"simh:vector +hops d=10 w=0.5 {how} w={weight:g}",
                none,
                lambda r, h=how, w=weight: blend(
                    normalised(parts.neighbours(r, depth=10, hops=0.5), h), normalised(parts.lexical_neighbours(r), h), w
                ),
            )

    for words, depth, hops, lexical_hops, weight in (
        (0.5, 10, 0.5, 0.0, 0.6),
        (0.5, 10, 0.5, 0.5, 0.6),
        (0.5, 10, 1.0, 0.5, 0.6),
        (0.5, 10, 1.0, 1.0, 0.6),
        (1.0, 10, 1.0, 0.5, 0.6),
        (0.5, 20, 1.0, 0.5, 0.6),
        (0.5, 10, 1.0, 0.5, 0.7),
        (0.5, 10, 1.0, 0.5, 0.5),
    ):
        add(
            f"simf:words {words:g} d={depth} hops {hops:g} lexical hops {lexical_hops:g} w={weight:g}",
            none,
            lambda r, a=words, d=depth, h=hops, x=lexical_hops, w=weight: parts.similar_feedback(r, a, d, h, x, w),
        )

    def with_weighting(weighting: str, function: RowScores) -> RowScores:
        def similar(row: int) -> np.ndarray:
            before, parts.paper_weighting = parts.paper_weighting, weighting
            try:
                return function(row)
            finally:
                parts.paper_weighting = before

        return similar

    for depth, weight in ((20, 0.7), (20, 0.6), (30, 0.7)):
        add(
            f"simf:counts words 0.5 d={depth} hops 1 w={weight:g}",
            none,
            with_weighting("counts", lambda r, d=depth, w=weight: parts.similar_feedback(r, 0.5, d, 1.0, 0.0, w)),
        )
        add(
            f"simf:words 0.5 d={depth} hops 1 w={weight:g}",
            none,
            lambda r, d=depth, w=weight: parts.similar_feedback(r, 0.5, d, 1.0, 0.0, w),
        )
    for words in (1.0, 2.0):
        add(f"sim:vector +words {words:g} +hops d=10 w=0.5", none, lambda row, w=words: parts.neighbours(row, words=w, depth=10, hops=0.5))

    for weight in (0.5, 1.0):
        for source in ("hybrid 0.5", "hybrid 0.7"):
            add(f"sem:centered +{source} fb d=10 w={weight:g}", lambda q, w=weight, s=source: parts.meaning(q, "centered", 10, w, s))
            for lexical in (0.6, 0.7):
                add(
                    f"hyb:centered +{source} fb d=10 w={weight:g} raw w={lexical:g}",
                    lambda q, w=weight, s=source, x=lexical: blend(parts.meaning(q, "centered", 10, w, s), parts.bm25(q), x),
                )

    # A blend whose weight depends on the query's length: `short` up to 12 known words, `long` from 60, linear between.
    def by_length(query: str, short: float, long: float) -> float:
        words = len(parts.known(query))
        return short + (long - short) * min(1.0, max(0.0, (words - 12) / 48))

    for depth, fb in ((10, 1.0), (10, 0.5), (20, 0.5)):
        for short, long in ((0.7, 0.5), (0.7, 0.3), (0.6, 0.4), (0.6, 0.3), (0.7, 0.9), (0.6, 0.6)):
            add(
                f"hyb:centered +bm25 fb d={depth} w={fb:g} length short={short:g} long={long:g}",
                lambda q, a=short, b=long, d=depth, f=fb: blend(parts.meaning(q, "centered", d, f), parts.bm25(q), by_length(q, a, b)),
            )

    # Hybrid: the meaning half normalised, blended with normalised BM25.
    for kind in ("inferred", "centered", "both"):
        for how in ("raw", "median"):
            for weight in (0.5, 0.6, 0.7, 0.8):
                add(
                    f"hyb:{kind} {how} w={weight:g}",
                    lambda q, k=kind, h=how, w=weight: blend(normalised(parts.meaning(q, k), h), parts.bm25(q), w),
                )
                for depth, fb in ((10, 1.0), (20, 1.0), (10, 0.5), (20, 0.5)):
                    add(
                        f"hyb:{kind} +bm25 fb d={depth} w={fb:g} {how} w={weight:g}",
                        lambda q, k=kind, h=how, w=weight, d=depth, f=fb: blend(normalised(parts.meaning(q, k, d, f), h), parts.bm25(q), w),
                    )
    # Tried on the first development set (8,000 papers) and kept here so they can be measured again.
    feedback = lambda q: parts.meaning(q, "centered", 10, 1.0)  # noqa: E731
    add("sem:per-word z mean", parts.word_z_mean)
    add("sem:soft and", parts.soft_and)
    add("hyb:rrf k=60 (centered +bm25 fb)", lambda q: rrf(feedback(q), parts.bm25(q)))
    add("hyb:rrf k=60 (inferred)", lambda q: rrf(parts.cosine(q), parts.bm25(q)))
    add("hyb:z-scores w=0.5 (centered +bm25 fb)", lambda q: blend(zscore(feedback(q)), zscore(parts.bm25(q)), 0.5))
    add("hyb:anchored at rank 1000 w=0.5 (centered +bm25 fb)", lambda q: blend(anchored(feedback(q)), parts.bm25(q), 0.5))
    add("lex:bm25 + word-vector expansion", parts.expanded_bm25)
    add(
        "hyb:coverage weight (centered +bm25 fb, w=coverage^2)",
        lambda q: blend(feedback(q), parts.bm25(q), parts.coverage(q) ** 2),
    )
    return found


# Protocols.


def split_halves(query_set: QuerySet) -> dict[str, QuerySet]:
    """The set's groups at even and odd positions (groups are sorted by key), as sets "A" and "B"."""
    return {
        half: QuerySet(f"{query_set.name}-{half}", query_set.description, query_set.pool, query_set.groups[start::2], query_set.notes)
        for half, start in (("A", 0), ("B", 1))
    }


def run_set(variant: Variant, query_set: QuerySet) -> dict[str, float]:
    """Mean P@10 and MAP@100 over the set's queries."""
    figures = []
    for group in query_set.groups:
        for query in group.queries:
            ranked = rank_pool(variant.scores(query), query_set.pool, MAP_DEPTH, variant.matches_only)
            figures.append(query_figures(ranked, group.relevant))
    return {"p@10": float(np.mean([f["p@10"] for f in figures])), "map@100": float(np.mean([f["map@100"] for f in figures]))}


def run_abstracts(variant: Variant, rows: Sequence[int], texts: Sequence[str], primaries: Sequence[str]) -> float:
    """Share of the 10 hits for a pasted title + abstract that have the paper's primary category (the paper left out)."""
    shares = []
    for row in rows:
        scores = variant.scores(texts[row])
        hits = [] if scores is None else top_rows(scores, K, exclude=row)
        shares.append(sum(primaries[hit] == primaries[row] for hit in hits) / K)
    return float(np.mean(shares))


def run_neighbours(variant: Variant, rows: Sequence[int], primaries: Sequence[str]) -> float | None:
    """Share of the 10 "more like this" papers with the paper's primary category."""
    if variant.similar is None:
        return None
    shares = [sum(primaries[hit] == primaries[row] for hit in top_rows(variant.similar(row), K, exclude=row)) / K for row in rows]
    return float(np.mean(shares))


def run_known_items(
    variant: Variant, rows: Sequence[int], titles: Sequence[str], ids: Sequence[str]
) -> tuple[dict[str, float], list[float]]:
    """R@1 and MRR@10 of titles finding their papers, and each query's wall time."""
    ranks, seconds = [], []
    for row in rows:
        tick = time.perf_counter()
        scores = variant.scores(titles[row])
        hits = [] if scores is None else top_rows(scores, K)
        seconds.append(time.perf_counter() - tick)
        ranks.append(rank_of(ids[row], [ids[hit] for hit in hits]))
    return {"r@1": recall_at_k(ranks, 1), "r@10": recall_at_k(ranks, K), "mrr@10": mrr_at_k(ranks, K)}, seconds


def measure(variant: Variant, sets: dict[str, QuerySet], samples: dict, texts: dict) -> dict:
    """Every protocol's figures for one variant."""
    result: dict = {"neighbours p@10": run_neighbours(variant, samples["neighbours"], texts["primaries"])}
    if variant.similar is not None:
        for half, start in (("A", 0), ("B", 1)):
            result[f"neighbours-{half} p@10"] = run_neighbours(variant, samples["neighbours"][start::2], texts["primaries"])
    if variant.scores is None:
        return result
    for name, query_set in sets.items():
        result[name] = run_set(variant, query_set)
    result["abstracts p@10"] = run_abstracts(variant, samples["abstracts"], texts["documents"], texts["primaries"])
    known, seconds = run_known_items(variant, samples["known"], texts["titles"], texts["ids"])
    result["known"] = known
    result["title ms p95"] = float(np.percentile(np.asarray(seconds) * 1000, 95))
    return result


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def row_of_figures(name: str, figures: dict) -> str:
    """One markdown table row: typed A/B P@10 and MAP@100, categories A/B, abstracts, neighbours, known items."""
    neighbours = fmt(figures["neighbours p@10"])
    if figures.get("neighbours-A p@10") is not None:
        neighbours += f" (A {figures['neighbours-A p@10']:.3f}, B {figures['neighbours-B p@10']:.3f})"
    if "known" not in figures:
        return f"| {name} | " + " | ".join(["–"] * 9 + [neighbours] + ["–"] * 4) + " |"
    cells = []
    for set_name in ("typed-A", "typed-B", "categories-A", "categories-B"):
        part = figures.get(set_name)
        cells += [fmt(part["p@10"]), fmt(part["map@100"])] if part else ["–", "–"]
    cells += [
        fmt(figures["abstracts p@10"]),
        neighbours,
        fmt(figures["known"]["r@1"]),
        fmt(figures["known"]["r@10"]),
        fmt(figures["known"]["mrr@10"]),
    ]
    cells.append(f"{figures['title ms p95']:.1f}")
    return f"| {name} | " + " | ".join(cells) + " |"


HEADER = (
    "| variant | typed A P@10 | typed A MAP | typed B P@10 | typed B MAP | cat A P@10 | cat A MAP | cat B P@10 | cat B MAP "
    "| abstracts P@10 | neighbours P@10 | known R@1 | known R@10 | known MRR@10 | title p95 ms |\n|---|" + "---:|" * 14
)


def main() -> None:
    """Measure the chosen variants and print a markdown table row per variant as each finishes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--tag-queries", type=Path, default=DEFAULT_TAG_QUERIES)
    parser.add_argument("--variants", nargs="*", default=None, help="names or shell-style patterns ('hyb:*') of variants")
    parser.add_argument("--queries", type=int, default=1000, help="papers sampled for known-item and neighbour queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--abstracts", type=int, default=ABSTRACT_QUERIES, help="pasted-abstract queries (the first neighbour papers)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    engine = load_engine(args.model)
    parts = Parts(engine)
    catalogue = engine.catalogue
    papers = catalogue.papers
    typed = typed_query_set(catalogue, load_labels(args.labels), load_tag_queries(args.tag_queries))
    categories = category_query_set(catalogue)
    sets = {**{f"typed-{h}": s for h, s in split_halves(typed).items()}}
    sets.update({f"categories-{h}": s for h, s in split_halves(categories).items()})
    primaries = [primary(c) for c in papers["categories"]]
    sample = np.random.default_rng(args.seed).choice(len(papers), size=min(args.queries, len(papers)), replace=False).tolist()
    eligible = [row for row in sample if primaries[row] and not bare_archive(primaries[row])]
    samples = {"known": sample, "neighbours": eligible, "abstracts": eligible[: args.abstracts]}
    titles = papers["title"].fillna("").astype(str).tolist()
    abstracts = papers["abstract"].fillna("").astype(str).tolist()
    texts = {
        "titles": titles,
        "documents": [f"{t} {a}" for t, a in zip(titles, abstracts, strict=True)],
        "primaries": primaries,
        "ids": papers["id"].astype(str).tolist(),
    }
    print(
        f"{engine.name}: {len(papers):,} papers; typed {typed.query_count} queries ({len(typed.groups)} tags, pool {len(typed.pool):,}); "
        f"categories {categories.query_count}; {len(eligible)} neighbour, {len(samples['abstracts'])} abstract, "
        f"{len(sample)} title queries",
        flush=True,
    )
    chosen = variants(parts)
    if args.variants:
        wanted = [name for pattern in args.variants for name in chosen if fnmatch.fnmatchcase(name, pattern)]
        chosen = {name: chosen[name] for name in dict.fromkeys(wanted)}
    print(HEADER, flush=True)
    results = {}
    for name, variant in chosen.items():
        results[name] = measure(variant, sets, samples, texts)
        print(row_of_figures(name, results[name]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"model": str(args.model), "papers": len(papers), "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
