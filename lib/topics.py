"""Topic summaries: c-TF-IDF keyword labels, sizes, main categories and centres of each cluster."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

NOISE = -1
KEYWORDS_PER_TOPIC = 10
LABEL_WORDS = 3

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
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | ACADEMIC_STOP_WORDS | LATEX_WORDS
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
        vectorizer = CountVectorizer(token_pattern=KEYWORD_TOKENS, stop_words=list(STOP_WORDS), lowercase=False)
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
        top = Counter(primary for primary in primaries[members].tolist() if primary).most_common(3)
        centre = np.median(coords[members], axis=0)
        topics.append(
            {
                "id": cluster,
                "size": size,
                "keywords": words,
                "label": ", ".join(words[:LABEL_WORDS]) or f"topic {cluster}",
                "top_categories": [[cat, round(n / size, 3)] for cat, n in top],
                "centre": [round(float(centre[0]), 4), round(float(centre[1]), 4)],
            }
        )
    return topics


def topic_table(papers: pd.DataFrame, topics: list[dict]) -> pd.DataFrame:
    """One row per topic: id, label, size, main categories and the span of update years."""
    years = papers["update_date"].str.slice(0, 4)
    rows = []
    for topic in topics:
        member_years = years[papers["cluster"] == topic["id"]]
        member_years = member_years[member_years != ""]
        rows.append(
            {
                "id": topic["id"],
                "label": topic["label"],
                "size": topic["size"],
                "categories": ", ".join(f"{cat} {share:.0%}" for cat, share in topic["top_categories"]),
                "years": f"{member_years.min()}–{member_years.max()}" if len(member_years) else "",
                "keywords": ", ".join(topic["keywords"]),
            }
        )
    return pd.DataFrame(rows, columns=["id", "label", "size", "categories", "years", "keywords"])


def topic_members(papers: pd.DataFrame, topic: dict) -> pd.DataFrame:
    """A topic's papers (id and position), closest to its centre on the map first (ties by id, so the order is stable)."""
    members = papers.loc[papers["cluster"] == topic["id"], ["id", "x", "y"]]
    centre_x, centre_y = topic["centre"]
    distance = np.hypot(members["x"] - centre_x, members["y"] - centre_y)
    return members.assign(distance=distance).sort_values(["distance", "id"], kind="stable")


def papers_per_year(papers: pd.DataFrame, cluster: int) -> pd.Series:
    """How many of a topic's papers were updated in each year, every year in the span listed."""
    years = papers.loc[papers["cluster"] == cluster, "update_date"].str.slice(0, 4)
    counts = pd.to_numeric(years[years != ""], errors="coerce").dropna().astype(int).value_counts()
    if counts.empty:
        return pd.Series(dtype=int, name="papers")
    span = range(counts.index.min(), counts.index.max() + 1)
    return counts.reindex(span, fill_value=0).rename("papers").rename_axis("year")


_ID_MONTH_NAMED = r"^(?:(?P<yy>\d{2})(?P<mm>\d{2})\.\d{4,5}|[a-z\-]+(?:\.[A-Za-z\-]+)?/(?P<oy>\d{2})(?P<om>\d{2})\d{3})"


def paper_months(ids: pd.Series, update_dates: pd.Series) -> np.ndarray:
    """Each paper's month as YYYY*12 + month - 1 (0 when unknown): its id's year and month of first
    submission when the id is arXiv's, else its update date's. Vectorised in Arrow (a million ids in well
    under a second)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def number(values: pa.Array) -> np.ndarray:
        digits = pc.if_else(pc.match_substring_regex(values, r"^\d+$"), values, pa.scalar("0"))
        return pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)

    text = pa.array(ids.astype(str).to_numpy(), type=pa.string())
    found = pc.extract_regex(text, _ID_MONTH_NAMED)
    valid = pc.is_valid(found).to_numpy(zero_copy_only=False)
    filled = pc.fill_null(found, {"yy": "0", "mm": "0", "oy": "0", "om": "0"})
    new_style = pc.not_equal(pc.struct_field(filled, "yy"), "")
    year = number(pc.if_else(new_style, pc.struct_field(filled, "yy"), pc.struct_field(filled, "oy")))
    month = number(pc.if_else(new_style, pc.struct_field(filled, "mm"), pc.struct_field(filled, "om")))
    year = year + np.where(year >= 91, 1900, 2000)
    dates = pa.array(update_dates.fillna("").astype(str).to_numpy(), type=pa.string())
    date_year = number(pc.utf8_slice_codeunits(dates, 0, 4))
    date_month = number(pc.utf8_slice_codeunits(dates, 5, 7))
    from_id = valid & (month >= 1) & (month <= 12)
    year = np.where(from_id, year, date_year)
    month = np.where(from_id, month, date_month)
    ok = (month >= 1) & (month <= 12) & (year >= 1900) & (year <= 2999)
    return np.where(ok, year * 12 + month - 1, 0).astype(np.int64)


def series_name(topic_id: int, label: str) -> str:
    """A chart series name for a topic: Vega-Lite reads ':' as a type and '.', '[' and '\\' as paths, so only
    letters, digits, spaces, commas and hyphens are kept."""
    return re.sub(r"[^\w ,\-]+", " ", f"{topic_id} · {label}".replace("·", "-")).strip()


def period_label(code: int, by: str) -> str:
    """'2024' or '2024-03' for a month code."""
    year, month = divmod(int(code), 12)
    return str(year) if by == "year" else f"{year}-{month + 1:02d}"


def counts_over_time(months: np.ndarray, clusters: np.ndarray, topic_ids: list[int], by: str = "year") -> pd.DataFrame:
    """Papers per topic (columns) per year or month (rows, every period in the span, zeros included)."""
    known = months > 0
    periods = months // 12 if by == "year" else months
    if not known.any():
        return pd.DataFrame(columns=topic_ids)
    span = np.arange(periods[known].min(), periods[known].max() + 1)
    table = {}
    for topic in topic_ids:
        chosen = known & (clusters == topic)
        counts = np.bincount(periods[chosen] - span[0], minlength=len(span)) if chosen.any() else np.zeros(len(span), int)
        table[topic] = counts[: len(span)]
    index = [str(p) if by == "year" else period_label(p, "month") for p in span]
    return pd.DataFrame(table, index=pd.Index(index, name=by))


def fastest_growing(months: np.ndarray, clusters: np.ndarray, topics: list[dict], start: int, end: int, minimum: int = 10) -> pd.DataFrame:
    """Topics ranked by growth over the months [start, end]: papers in the window's later half against its
    earlier half (ratio of counts plus one), with both counts; topics with fewer than `minimum` papers in
    the window are left out."""
    middle = (start + end + 1) // 2
    clustered = clusters >= 0
    size = int(clusters.max()) + 1 if clustered.any() else 0
    early = np.bincount(clusters[clustered & (months >= start) & (months < middle)], minlength=size)
    late = np.bincount(clusters[clustered & (months >= middle) & (months <= end)], minlength=size)
    rows = [
        {
            "id": topic["id"],
            "label": topic["label"],
            "earlier half": int(early[topic["id"]]),
            "later half": int(late[topic["id"]]),
            "growth": (int(late[topic["id"]]) + 1) / (int(early[topic["id"]]) + 1),
        }
        for topic in topics
        if topic["id"] < size and early[topic["id"]] + late[topic["id"]] >= minimum
    ]
    table = pd.DataFrame(rows, columns=["id", "label", "earlier half", "later half", "growth"])
    return table.sort_values(["growth", "later half", "id"], ascending=[False, False, True], kind="stable").reset_index(drop=True)
