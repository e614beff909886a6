"""Topic summaries, written at build time: keywords (words and two-word phrases), and each topic's size, label,
main categories and centre.

Contract. `topic_keywords` reads the cleaned texts once, in order (text i of paper i; a stream such as the corpus
file's lines), and gives each topic the words and phrases that best set it apart, each word in one form
(lib/topic_labels.py chooses among them and makes the label); `summarise_topics` turns labels, map
coordinates, categories and keywords into the JSON-ready records of a model set's topics.json, one per topic in
order of id (NOISE, the unclustered papers, has none). The pages read these records; lib/topic_views.py computes
the tables and series they show from them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from lib.clustering import NOISE
from lib.levels import KEYWORDS_PER_TOPIC, category_shares, rounded_centre
from lib.topic_labels import PHRASE_SHARE, choose_keywords, phrase_words, singular_forms, term_key, topic_label

# Words every kind of abstract uses; they say nothing about a field. Weighing words by how many topics use them
# (`_topic_rarity`) does not replace this list: without it, "models", "problem", "methods" or "large" were among
# the 10 keywords of 8 of the 40 largest categories of 20,000 abstracts. The last line ("prove", "let", "tasks",
# "dataset") is what was left among those keywords with the list: words of a whole field's writing.
ACADEMIC_STOP_WORDS = frozenset(
    """
    paper papers propose proposed proposes present presents presented study studies studied show shows
    shown result results method methods approach approaches new novel using use used uses based work
    works demonstrate demonstrates demonstrated provide provides provided investigate investigated
    introduce introduces introduced obtain obtained find finds found consider considered different
    various significant significantly performance problem problems model models analysis data framework
    existing recent recently however furthermore moreover also well two one three first second high low
    large small important key main general specific approach via thus therefore within et al eg ie
    allows allow able achieve achieves achieved compared including make makes made non
    prove proves proved let task tasks dataset datasets
    """.split()
)
# LaTeX macro names survive cleaning as words ("$\mathbb{R}$" -> "mathbb r") but name no field.
LATEX_WORDS = frozenset(
    """
    mathbb mathcal mathrm mathbf mathfrak mathsf mathit mathscr boldsymbol operatorname frac dfrac tfrac sqrt
    left right cdot cdots ldots dots langle rangle textit textbf texttt emph mathsf varepsilon epsilon leq geq
    le ge ne neq approx sim simeq infty sum prod int partial nabla times otimes oplus hat tilde bar vec widetilde
    """.split()
)
# Words never taken as a topic's keyword, alone or in a phrase.
KEYWORD_STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | ACADEMIC_STOP_WORDS | LATEX_WORDS
# Keywords are words of two or more characters that start with a letter, and phrases of two such words side by side.
KEYWORD_TOKEN = re.compile(r"[^\W\d_][^\W_]+")
# A phrase may also open with one letter or a number with letters, never a keyword alone ("x ray", "2d materials"),
# and with "de" ("de sitter space"; "sitter space" alone read as a phrase of its own).
PHRASE_OPENER = re.compile(r"[^\W\d_]|\d+[^\W\d_]+")
PHRASE_OPENER_WORDS = frozenset({"de"})
# Papers whose words are counted at a time, and tokens at most (full texts run to thousands of tokens each): on
# 50,000 abstracts, 5 million tokens a block peaked at 890 MB, 2 million at 700 MB, in the same time.
KEYWORD_BLOCK = 50_000
TOKEN_BLOCK = 2_000_000
# Distinct words and phrases kept while counting: past this many, those in the fewest papers so far are dropped
# until half remain. 50,000 abstracts have 1.45 million distinct ones, most in one paper, and a topic's keywords
# are among the most frequent: forced to prune from 400,000 terms, 5,000 papers a block, on those abstracts, the
# first 3 keywords of all 38 primary categories of 100 papers or more stayed (56 of 58 with 50 or more; two
# swapped places or lost a word of a few papers).
TERM_LIMIT = 2_000_000
# Terms of each topic, best first, that keywords are chosen from (a phrase may stand for a word, a word may be
# dropped for a phrase): enough that 10 keywords are found.
CANDIDATES_PER_KEYWORD = 5
# A term's code: a word is (w + 1) << 32, a phrase (w1 + 1) << 32 | (w2 + 1), with w the word's number.
_WORD_BITS = 32


def primary_category(categories: str) -> str:
    """The first listed category (arXiv lists the primary one first)."""
    parts = categories.split()
    return parts[0] if parts else ""


def _text_blocks(texts: Iterable[str], size: int, tokens: int = 2**62) -> Iterator[list[str]]:
    """Lists of at most `size` texts and (but for a single longer text) about `tokens` whitespace-separated tokens."""
    block: list[str] = []
    length = 0
    for text in texts:
        block.append(text)
        length += text.count(" ") + 1
        if len(block) == size or length >= tokens:
            yield block
            block, length = [], 0
    if block:
        yield block


class _Words(dict):
    """Token -> word number (-1: a token in no keyword), numbers given on first sight; some words only open a phrase."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.opener: list[bool] = []  # may only be the first word of a phrase ("x" of "x ray")

    def __missing__(self, token: str) -> int:
        number = -1
        keyword = token not in KEYWORD_STOP_WORDS and KEYWORD_TOKEN.fullmatch(token) is not None
        if keyword or token in PHRASE_OPENER_WORDS or PHRASE_OPENER.fullmatch(token) is not None and token not in KEYWORD_STOP_WORDS:
            number = len(self.names)
            self.names.append(token)
            self.opener.append(not keyword)
        self[token] = number
        return number

    def name(self, code: int) -> str:
        """The word or phrase a term code stands for."""
        first, second = (code >> _WORD_BITS) - 1, (code & ((1 << _WORD_BITS) - 1)) - 1
        return self.names[first] if second < 0 else f"{self.names[first]} {self.names[second]}"


@dataclass
class _Counts:
    """Words and phrases counted so far: their codes by column, document frequencies and per-topic totals."""

    clusters: int
    columns: dict[int, int] = field(default_factory=dict)  # term code -> column
    frequencies: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    totals: object = None  # topics x columns so far, sparse

    def add(self, papers: np.ndarray, codes: np.ndarray, topics: np.ndarray) -> None:
        """Add one block's term occurrences: the paper (number in the block) and code of each, and each paper's topic."""
        from scipy import sparse

        unique, inverse = _unique(codes)
        block_columns = np.fromiter((self.columns.setdefault(code, len(self.columns)) for code in unique.tolist()), np.int64, len(unique))
        columns = block_columns[inverse]
        if len(self.columns) > len(self.frequencies):
            grown = max(len(self.columns), 2 * len(self.frequencies)) - len(self.frequencies)
            self.frequencies = np.concatenate([self.frequencies, np.zeros(grown, np.int64)])
        width = len(self.columns)
        once = _unique(papers * width + columns)[0]  # each term once per paper: document frequency
        self.frequencies[:width] += np.bincount(once % width, minlength=width)
        member = topics[papers] >= 0
        block = sparse.csr_matrix((np.ones(int(member.sum())), (topics[papers][member], columns[member])), shape=(self.clusters, width))
        if self.totals is None:
            self.totals = block
        else:
            self.totals.resize((self.clusters, width))
            self.totals = self.totals + block
        if len(self.columns) > TERM_LIMIT:
            self.prune(TERM_LIMIT // 2)

    def prune(self, keep: int) -> None:
        """Keep about `keep` terms, those in the most papers so far (ties at the cut are dropped), renumbered."""
        from scipy import sparse

        frequencies = self.frequencies[: len(self.columns)]
        floor = 2
        while np.count_nonzero(frequencies >= floor) > keep:
            floor += 1
        kept = frequencies >= floor
        renumber = np.full(len(frequencies), -1, dtype=np.int64)
        renumber[kept] = np.arange(int(kept.sum()))
        self.columns = {code: int(renumber[column]) for code, column in self.columns.items() if kept[column]}
        self.frequencies = frequencies[kept].copy()
        totals = self.totals.tocoo()
        columns = renumber[totals.col]
        alive = columns >= 0
        shape = (self.clusters, len(self.columns))
        self.totals = sparse.csr_matrix((totals.data[alive], (totals.row[alive], columns[alive])), shape=shape)


def _unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and where each value sits among them: np.unique by a sort (numpy's hash-based
    np.unique took 7 of the 9 s of counting 20,000 abstracts' terms)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.empty(len(ordered), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def _block_terms(block: list[str], words: _Words) -> tuple[np.ndarray, np.ndarray]:
    """Each keyword term of a block of cleaned texts: the text's number in the block, and the term's code.

    Terms are the words that may be keywords and the phrases of two such words side by side: a stop word, a
    number or a one-letter token between two words breaks the phrase ("theory of groups" has none), so every
    phrase was written as it reads. A phrase may also open with a letter or a number with letters ("x ray",
    "d wave", "3d reconstruction"): without them, the rest of such a phrase read as a phrase of its own. Only
    the token lookup runs in Python; the rest is array work (counting with scikit-learn's CountVectorizer and a
    Python analyser took 3 times as long on 20,000 abstracts).
    """
    lengths = np.zeros(len(block), dtype=np.int64)
    numbers: list[int] = []
    for i, text in enumerate(block):
        tokens = text.split()
        lengths[i] = len(tokens)
        numbers.extend(map(words.__getitem__, tokens))
    number = np.array(numbers, dtype=np.int64)
    paper = np.repeat(np.arange(len(block), dtype=np.int64), lengths)
    opener = np.array(words.opener, dtype=bool)
    single = number >= 0
    single[single] = ~opener[number[single]]
    first, second = number[:-1], number[1:]
    pair = (first >= 0) & single[1:] & (first != second) & (paper[:-1] == paper[1:])
    codes = np.concatenate([(number[single] + 1) << _WORD_BITS, ((first[pair] + 1) << _WORD_BITS) | (second[pair] + 1)])
    return np.concatenate([paper[single], paper[:-1][pair]]), codes


def _count_terms(clean_texts: Iterable[str], rows: np.ndarray, clusters: int) -> tuple[_Counts, _Words, int]:
    """Every word's and phrase's document frequency and per-topic count, reading the texts once, a block at a time."""
    counted, words = _Counts(clusters), _Words()
    seen = 0
    for block in _text_blocks(clean_texts, KEYWORD_BLOCK, TOKEN_BLOCK):
        papers, codes = _block_terms(block, words)
        if len(codes):
            counted.add(papers, codes, rows[seen : seen + len(block)])
        seen += len(block)
    return counted, words, seen


@dataclass(frozen=True)
class TermCounts:
    """Each topic's counts of keys (a word or phrase with its forms merged), their scores and surface forms."""

    keys: list[str]  # sorted
    index: dict[str, int]  # key -> column
    surfaces: list[str]  # the most common form of each key over all topics
    counts: object  # topics x keys, sparse
    scores: object  # topics x keys, sparse: class-based TF-IDF of words times their rarity over topics, 0 for phrases


def term_counts(clean_texts: Iterable[str], labels: np.ndarray, clusters: list[int]) -> TermCounts | None:
    """Count the texts' words and phrases per topic, merge each word's forms, and score the keys (None: no term).

    Terms in fewer than 2 or more than half of the papers are left out (all terms with fewer than 50 papers),
    as before forms are merged. A word's score is class-based TF-IDF, its share of the topic's words times
    log(1 + average words per topic / its count over all topics), times its rarity over topics (`_topic_rarity`).
    """
    from scipy import sparse

    index = {c: i for i, c in enumerate(clusters)}
    rows = np.array([index.get(int(label), -1) for label in labels], dtype=np.int64)
    counted, words, seen = _count_terms(clean_texts, rows, len(clusters))
    if counted.totals is None:
        return None
    frequencies = counted.frequencies[: len(counted.columns)]
    highest, lowest = (0.5 * seen, 2) if len(labels) >= 50 else (seen, 1)
    kept = np.flatnonzero((frequencies >= lowest) & (frequencies <= highest))
    if not len(kept):
        return None
    codes = np.zeros(len(counted.columns), dtype=np.int64)
    codes[list(counted.columns.values())] = list(counted.columns)
    names = np.array([words.name(code) for code in codes[kept].tolist()], dtype=object)
    totals = sparse.csr_matrix(counted.totals)[:, kept]
    forms = singular_forms(name for name in names.tolist() if " " not in name)
    term_keys = [term_key(name, forms) for name in names.tolist()]
    keys = sorted(set(term_keys))
    key_index = {key: i for i, key in enumerate(keys)}
    key_of = np.array([key_index[key] for key in term_keys], dtype=np.int64)
    merge = sparse.csr_matrix((np.ones(len(key_of)), (np.arange(len(key_of)), key_of)), shape=(len(key_of), len(keys)))
    counts = sparse.csr_matrix(totals @ merge)
    counts.sort_indices()
    # The surface of a key: its form counted most often over all topics (ties: the first in sorted order).
    term_total = np.asarray(totals.sum(axis=0)).ravel()
    order = np.lexsort((names.astype(str), -term_total))
    surfaces = [""] * len(keys)
    for i in order.tolist():
        if not surfaces[key_of[i]]:
            surfaces[key_of[i]] = str(names[i])
    is_word = np.array([" " not in key for key in keys])
    words_per_topic = np.asarray(counts[:, is_word].sum(axis=1)).ravel()
    key_total = np.asarray(counts.sum(axis=0)).ravel()
    # Only words are ranked: a phrase comes in where it holds most of a ranked word's uses (`choose_keywords`).
    # Ranked on their own, phrases of two common words that merely meet often ("lattice magnon" in a topic that
    # says both a lot) outscored the words, their rarity over all topics outweighing their lower counts.
    idf = np.log1p(words_per_topic.mean() / np.where(key_total == 0, 1, key_total)) * is_word
    scores = sparse.csr_matrix(sparse.diags(1 / np.where(words_per_topic == 0, 1, words_per_topic)) @ counts @ sparse.diags(idf))
    scores = scores.multiply(_topic_rarity(counts, words_per_topic, key_total)[None, :]).tocsr()
    scores.sort_indices()
    return TermCounts(keys, key_index, surfaces, counts, scores)


def _topic_rarity(counts, words_per_topic: np.ndarray, key_total: np.ndarray) -> np.ndarray:
    """log(1 + topics / topics where the key is more common than over all topics), per key.

    c-TF-IDF alone rewards a word that a whole field uses: "prove", "set" and "let" led mathematics topics,
    being rare elsewhere. Weighing a word down by how many topics use it more than the corpus does leaves it
    to set apart the field at a coarser level and lets each topic's own words lead (on 20,000 abstracts grouped
    by primary category, "prove" left the 8 best words of math.PR and math.DG for "brownian", "ricci").
    """
    coo = counts.tocoo()
    total = float(words_per_topic.sum()) or 1.0
    above = coo.data / np.where(words_per_topic == 0, 1, words_per_topic)[coo.row] > key_total[coo.col] / total
    topics_above = np.bincount(coo.col[above], minlength=counts.shape[1])
    return np.log1p(counts.shape[0] / np.maximum(topics_above, 1))


def topic_keywords(clean_texts: Iterable[str], labels: np.ndarray, n_words: int = KEYWORDS_PER_TOPIC) -> dict[int, list[str]]:
    """The words and two-word phrases that best set each cluster apart (over already-cleaned texts, text i of paper i).

    The texts are read once, in order, a block at a time, so they may be a stream (a corpus file's lines):
    each block's counts are added to per-topic totals and document frequencies; memory grows with the
    vocabulary, not with the papers (a word-count matrix of millions of papers is gigabytes). A word's forms
    count as one keyword shown in its most common form ("graphs" and "graph"), a phrase stands for its word
    where it holds most of the word's uses in the topic, and no keyword repeats a word of a phrase before it
    (lib/topic_labels.py).
    """
    clusters = sorted(int(c) for c in set(labels.tolist()) if c != NOISE)
    if not clusters:
        return {}
    scored = term_counts(clean_texts, labels, clusters)
    if scored is None:
        return {c: [] for c in clusters}
    phrase_columns: dict[int, list[int]] = {}
    for column, key in enumerate(scored.keys):
        if " " in key:
            for word in dict.fromkeys(phrase_words(key)):
                if word in scored.index:
                    phrase_columns.setdefault(scored.index[word], []).append(column)
    phrases_of = {word: np.array(columns, dtype=np.int64) for word, columns in phrase_columns.items()}
    result: dict[int, list[str]] = {}
    for row, cluster in enumerate(clusters):
        ranked = _ranked_keys(scored, row, n_words * CANDIDATES_PER_KEYWORD)
        counts, phrases = _phrase_counts(scored, row, [scored.index[key] for key in ranked], phrases_of)
        chosen = choose_keywords(ranked, counts, phrases, n_words)
        result[cluster] = [_surface(key, scored) for key in chosen]
    return result


def _ranked_keys(scored: TermCounts, row: int, n: int) -> list[str]:
    """A topic's n best-scored keys, best first (ties in sorted order), those scoring above zero."""
    start, stop = scored.scores.indptr[row], scored.scores.indptr[row + 1]
    columns, values = scored.scores.indices[start:stop], scored.scores.data[start:stop]
    order = np.lexsort((columns, -values))[:n]
    return [scored.keys[columns[i]] for i in order.tolist() if values[i] > 0]


def _phrase_counts(
    scored: TermCounts, row: int, columns: list[int], phrases_of: dict[int, np.ndarray]
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """A topic's counts of its ranked words, of the phrases holding PHRASE_SHARE of a ranked word's uses there,
    and of those phrases' words; and those phrases by word (the only ones `choose_keywords` may take). A common
    word is in tens of thousands of phrases, so they are looked up as arrays, not one by one."""
    start, stop = scored.counts.indptr[row], scored.counts.indptr[row + 1]
    present, values = scored.counts.indices[start:stop], scored.counts.data[start:stop]

    def count(wanted: np.ndarray) -> np.ndarray:
        if not len(present):
            return np.zeros(len(wanted))
        at = np.minimum(np.searchsorted(present, wanted), len(present) - 1)
        return np.where(present[at] == wanted, values[at], 0.0)

    counts: dict[str, float] = {}
    phrases: dict[str, list[str]] = {}
    for column, total in zip(columns, count(np.array(columns, dtype=np.int64)).tolist(), strict=True):
        word = scored.keys[column]
        counts[word] = total
        candidates = phrases_of.get(column)
        if candidates is None or total <= 0:
            continue
        held = count(candidates)
        strong = np.flatnonzero(held >= PHRASE_SHARE * total).tolist()
        phrases[word] = [scored.keys[candidates[i]] for i in strong]
        counts.update({scored.keys[candidates[i]]: float(held[i]) for i in strong})
    for phrase in [phrase for found in phrases.values() for phrase in found]:
        for word in phrase_words(phrase):
            if word not in counts and word in scored.index:
                counts[word] = float(count(np.array([scored.index[word]]))[0])
    return counts, phrases


def _surface(key: str, scored: TermCounts) -> str:
    """How a chosen key reads: its most common form; three run-on words, their two phrases' forms joined."""
    if key in scored.index:
        return scored.surfaces[scored.index[key]]
    words = phrase_words(key)
    first = scored.surfaces[scored.index[" ".join(words[:2])]]
    return first + " " + phrase_words(scored.surfaces[scored.index[" ".join(words[1:])]])[-1]


def summarise_topics(labels: np.ndarray, coords: np.ndarray, categories: Sequence[str], keywords: dict[int, list[str]]) -> list[dict]:
    """One JSON-ready record per cluster: id, size, keywords, label, main categories, centre on the map."""
    primaries = np.array([primary_category(c) for c in categories], dtype=object)
    topics = []
    for cluster in sorted(int(c) for c in set(labels.tolist()) if c != NOISE):
        members = labels == cluster
        size = int(members.sum())
        words = keywords.get(cluster, [])
        categories = Counter(primary for primary in primaries[members].tolist() if primary)
        shares = category_shares(categories, size)
        centre = np.median(coords[members], axis=0)
        topics.append(
            {
                "id": cluster,
                "size": size,
                "keywords": words,
                "label": topic_label(words, shares, cluster),
                "top_categories": shares,
                "centre": rounded_centre(centre),
            }
        )
    return topics
