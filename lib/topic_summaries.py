"""Topic summaries, written at build time: c-TF-IDF keywords, and each topic's size, label, main categories and centre.

Contract. `topic_keywords` reads the cleaned texts once, in order (text i of paper i; a stream such as the corpus
file's lines), and gives each topic its words that best set it apart; `summarise_topics` turns labels, map
coordinates, categories and keywords into the JSON-ready records of a model set's topics.json, one per topic in
order of id (NOISE, the unclustered papers, has none). The pages read these records; lib/topic_views.py computes
the tables and series they show from them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from lib.clustering import NOISE
from lib.levels import KEYWORDS_PER_TOPIC, category_shares, keyword_label, rounded_centre

# Words every kind of abstract uses; they say nothing about a field.
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
# Words never taken as a topic's keyword.
KEYWORD_STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | ACADEMIC_STOP_WORDS | LATEX_WORDS
# Keywords are words of two or more characters that start with a letter.
KEYWORD_TOKENS = r"(?u)\b[^\W\d_][^\W_]+\b"
# Papers whose words are counted at a time, and a column bound for the per-topic totals (never allocated).
KEYWORD_BLOCK = 50_000
MAX_TERMS = 2**31 - 1


def primary_category(categories: str) -> str:
    """The first listed category (arXiv lists the primary one first)."""
    parts = categories.split()
    return parts[0] if parts else ""


def _text_blocks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    block: list[str] = []
    for text in texts:
        block.append(text)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


def topic_keywords(clean_texts: Iterable[str], labels: np.ndarray, n_words: int = KEYWORDS_PER_TOPIC) -> dict[int, list[str]]:
    """The words that best set each cluster apart (class-based TF-IDF over already-cleaned texts, text i of paper i).

    The texts are read once, in order, a block at a time, so they may be a stream (a corpus file's lines):
    each block's word counts are added to per-topic totals and document frequencies, and words in fewer
    than 2 or more than half of the papers are left out, as a vectoriser over all texts would; memory
    grows with the vocabulary, not with the papers (a word-count matrix of millions of papers is gigabytes).
    """
    from scipy import sparse

    clusters = sorted(int(c) for c in set(labels.tolist()) if c != NOISE)
    if not clusters:
        return {}
    index = {c: i for i, c in enumerate(clusters)}
    rows = np.array([index.get(int(label), -1) for label in labels])
    terms: dict[str, int] = {}
    frequencies = np.zeros(0, dtype=np.int64)
    totals = sparse.csr_matrix((len(clusters), MAX_TERMS), dtype=np.float64)
    seen = 0
    for block in _text_blocks(clean_texts, KEYWORD_BLOCK):
        vectorizer = CountVectorizer(token_pattern=KEYWORD_TOKENS, stop_words=list(KEYWORD_STOP_WORDS), lowercase=False)
        try:
            counts = vectorizer.fit_transform(block)
        except ValueError:  # nothing but stop words in this block
            seen += len(block)
            continue
        ids = np.fromiter((terms.setdefault(word, len(terms)) for word in vectorizer.get_feature_names_out()), dtype=np.int64)
        if len(terms) > len(frequencies):
            frequencies = np.concatenate([frequencies, np.zeros(max(len(terms), 2 * len(frequencies)) - len(frequencies), np.int64)])
        np.add.at(frequencies, ids, np.bincount(counts.indices, minlength=counts.shape[1]))
        block_rows = rows[seen : seen + len(block)]
        member = np.flatnonzero(block_rows >= 0)
        membership = sparse.csr_matrix((np.ones(len(member)), (block_rows[member], member)), shape=(len(clusters), len(block)))
        summed = sparse.coo_matrix(membership @ counts)
        totals = totals + sparse.csr_matrix((summed.data, (summed.row, ids[summed.col])), shape=totals.shape)
        seen += len(block)
    frequencies = frequencies[: len(terms)]
    highest, lowest = (0.5 * seen, 2) if len(labels) >= 50 else (seen, 1)
    kept = np.flatnonzero((frequencies >= lowest) & (frequencies <= highest))
    if not len(kept):
        return {c: [] for c in clusters}
    words = np.array(list(terms), dtype=object)[kept]
    order = np.argsort(words.astype(str), kind="stable")
    vocabulary, columns = words[order], kept[order]
    totals = sparse.csr_matrix((totals.data, totals.indices, totals.indptr), shape=(len(clusters), len(terms)))
    per_cluster = totals[:, columns].toarray()
    words_per_cluster = per_cluster.sum(axis=1, keepdims=True)
    tf = per_cluster / np.where(words_per_cluster == 0, 1, words_per_cluster)
    term_total = per_cluster.sum(axis=0)
    idf = np.log1p(words_per_cluster.mean() / np.where(term_total == 0, 1, term_total))
    scores = tf * idf
    result: dict[int, list[str]] = {}
    for cluster, row in zip(clusters, scores, strict=True):
        top = np.argsort(-row, kind="stable")[:n_words]
        result[cluster] = [str(vocabulary[i]) for i in top if row[i] > 0]
    return result


def summarise_topics(labels: np.ndarray, coords: np.ndarray, categories: Sequence[str], keywords: dict[int, list[str]]) -> list[dict]:
    """One JSON-ready record per cluster: id, size, keywords, label, main categories, centre on the map."""
    primaries = np.array([primary_category(c) for c in categories], dtype=object)
    topics = []
    for cluster in sorted(int(c) for c in set(labels.tolist()) if c != NOISE):
        members = labels == cluster
        size = int(members.sum())
        words = keywords.get(cluster, [])
        categories = Counter(primary for primary in primaries[members].tolist() if primary)
        centre = np.median(coords[members], axis=0)
        topics.append(
            {
                "id": cluster,
                "size": size,
                "keywords": words,
                "label": keyword_label(words, cluster),
                "top_categories": category_shares(categories, size),
                "centre": rounded_centre(centre),
            }
        )
    return topics
