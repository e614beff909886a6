"""BM25 over titles and abstracts as a sparse matrix: exact terms, acronyms and titles.

The index is a document-by-term matrix of BM25 weights stored by column (plain .npy arrays, so a
model set memory-maps it). A query's score for a paper is the sum of its terms' columns; a paper's
lexical neighbours are found by the cosine between its own weight vector and every other row.

With a phrase table (lib/phrases.py) a document's terms are its words and its phrases ("molecular dynamics"),
and every method that takes a text's tokens adds the phrases found in them itself, so callers pass plain tokens.
A document's length for BM25 is its number of words, phrases not counted: each word's column is then exactly
what it is without phrases, and a one-word query scores every paper as before.

`write_updated_index` writes an index with some documents replaced and others appended (lib/update.py): idf is
recomputed for the new document counts of every term, the average length stays the build's (see its docstring).
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from lib.phrases import PhraseTable
from lib.setfiles import BM25_COLUMNS, BM25_IDF, BM25_META, BM25_ROW_NORMS, PHRASES

K1 = 1.2
B = 0.75
# Words BM25 neither indexes nor scores: scikit-learn's English stop words.
BM25_STOP_WORDS = frozenset(ENGLISH_STOP_WORDS)
# Rows projected at a time by latent_vectors when the SVD is fitted on a sample.
LATENT_BLOCK = 1 << 16
# Stored weights read at a time while write_updated_index copies the columns: bounds its memory at any index size.
UPDATE_BLOCK = 1 << 22


def index_terms(tokens: Iterable[str]) -> list[str]:
    """The tokens BM25 indexes: cleaned tokens minus English stop words."""
    return [token for token in tokens if token not in BM25_STOP_WORDS]


def bm25_idf(n_docs: int, df: np.ndarray) -> np.ndarray:
    """Each term's idf from the number of documents holding it: log(1 + (N - df + 0.5) / (df + 0.5)), never negative."""
    return np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)


def document_terms(tokens: Sequence[str], phrases: PhraseTable | None) -> tuple[list[str], int]:
    """A text's indexed terms (its words minus stop words, then its phrases) and its BM25 length (the words alone)."""
    words = index_terms(tokens)
    return (words + phrases.terms(tokens) if phrases else words), len(words)


@dataclass
class LexicalIndex:
    """BM25 weights by column (documents x terms), term ids, idf, lengths and row norms."""

    columns: sparse.csc_matrix
    vocabulary: dict[str, int]
    idf: np.ndarray
    average_length: float
    row_norms: np.ndarray
    # The phrases indexed as terms of their own; None for an index of single words (sets built before phrases).
    phrases: PhraseTable | None = None

    @cached_property
    def terms(self) -> list[str]:
        """The indexed terms by id."""
        return sorted(self.vocabulary, key=self.vocabulary.__getitem__)

    @property
    def n_docs(self) -> int:
        """Number of indexed documents."""
        return self.columns.shape[0]

    def _column_sum(self, term_ids: Sequence[int], weights: Sequence[float]) -> np.ndarray:
        scores = np.zeros(self.n_docs, dtype=np.float32)
        indptr, indices, data = self.columns.indptr, self.columns.indices, self.columns.data
        for term, weight in zip(term_ids, weights, strict=True):
            start, end = indptr[term], indptr[term + 1]
            scores[indices[start:end]] += np.float32(weight) * data[start:end]
        return scores

    def bm25_scores(self, tokens: Iterable[str]) -> np.ndarray:
        """BM25 score of every document for a query's tokens (each distinct known term, word or phrase, counted once)."""
        query, _ = document_terms(list(tokens), self.phrases)
        terms = sorted({self.vocabulary[t] for t in query if t in self.vocabulary})
        return self._column_sum(terms, [1.0] * len(terms))

    def known_terms(self, tokens: Iterable[str]) -> list[str]:
        """The query's indexed terms (words, then phrases) that occur in the corpus."""
        query, _ = document_terms(list(tokens), self.phrases)
        return [t for t in query if t in self.vocabulary]

    def document_vector(self, tokens: Sequence[str]) -> tuple[list[int], np.ndarray]:
        """A text's BM25 weight vector over the index's terms, words and phrases (term ids, weights)."""
        words = [self.vocabulary[t] for t in index_terms(tokens) if t in self.vocabulary]
        found = [self.vocabulary[t] for t in self.phrases.terms(tokens) if t in self.vocabulary] if self.phrases else []
        counts = Counter(words + found)
        if not counts:
            return [], np.zeros(0, dtype=np.float32)
        # Its known words alone, as an indexed document's length is its words (phrases not counted).
        length = max(1, len(words))
        terms = sorted(counts)
        tf = np.array([counts[t] for t in terms], dtype=np.float32)
        weights = self.idf[terms] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self.average_length))
        return terms, weights.astype(np.float32)

    def similar_scores(self, tokens: Sequence[str]) -> np.ndarray:
        """Cosine between a text's BM25 vector and every document's."""
        terms, weights = self.document_vector(tokens)
        norm = float(np.linalg.norm(weights))
        if not terms or norm == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        dots = self._column_sum(terms, (weights / norm).tolist())
        return dots / np.where(self.row_norms == 0, 1, self.row_norms)

    def latent_vectors(self, dims: int, seed: int, fit_rows: np.ndarray | None = None) -> np.ndarray:
        """Each document's BM25 row (unit length) reduced to `dims` dimensions by truncated SVD, rows unit length.

        A dense, low-rank view of the words a paper uses (latent semantic analysis), so papers sharing
        related vocabulary lie close together for the map and the topics. With `fit_rows` the SVD is
        fitted on those rows only (the map's sample) and every row is projected a block at a time, so
        memory stays near the index's own size at millions of papers.

        Words only: phrase columns are left out (and the rows' norms taken over the words), so the map and the
        topics see what they saw before phrases. With them, a pair of words counted again as a phrase weighed twice:
        the map and topics refitted on one 20,000-paper build's vectors gave 41 topics, 18.3% unclustered, NMI
        against primary category 0.489 with phrase columns, and 32 topics, 15.0%, NMI 0.507 with words only
        (docs/QUALITY.md).
        """
        from sklearn.decomposition import TruncatedSVD

        words = np.flatnonzero([" " not in term for term in self.terms])
        if len(words) == len(self.terms):
            rows, row_norms = self.columns.tocsr().astype(np.float32, copy=False), self.row_norms
        else:
            rows = self.columns[:, words].tocsr().astype(np.float32, copy=False)
            row_norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel()).astype(np.float32)
        inverse_norms = (1.0 / np.where(row_norms == 0, 1, row_norms)).astype(np.float32)
        dims = max(1, min(dims, min(rows.shape) - 1))
        svd = TruncatedSVD(dims, random_state=seed)
        if fit_rows is None:
            reduced = svd.fit_transform(sparse.diags(inverse_norms) @ rows).astype(np.float32)
        else:
            svd.fit(sparse.diags(inverse_norms[fit_rows]) @ rows[fit_rows])
            basis = svd.components_.T.astype(np.float32)
            reduced = np.empty((rows.shape[0], basis.shape[1]), dtype=np.float32)
            for start in range(0, rows.shape[0], LATENT_BLOCK):
                end = min(start + LATENT_BLOCK, rows.shape[0])
                reduced[start:end] = (sparse.diags(inverse_norms[start:end]) @ rows[start:end]) @ basis
        del rows
        norms = np.linalg.norm(reduced, axis=1, keepdims=True)
        reduced /= np.where(norms == 0, 1, norms)
        return reduced

    def save(self, folder: Path) -> None:
        """Write the index as plain .npy arrays, a JSON vocabulary and its phrase table, under the set's file names (lib/setfiles.py)."""
        np.save(folder / BM25_COLUMNS["data"], self.columns.data.astype(np.float32))
        np.save(folder / BM25_COLUMNS["indices"], self.columns.indices.astype(np.int32))
        np.save(folder / BM25_COLUMNS["indptr"], self.columns.indptr.astype(np.int64))
        _save_meta(folder, self.n_docs, self.average_length, self.terms, self.phrases)
        np.save(folder / BM25_IDF, self.idf.astype(np.float32))
        np.save(folder / BM25_ROW_NORMS, self.row_norms.astype(np.float32))


def _save_meta(folder: Path, n_docs: int, average_length: float, terms: list[str], phrases: PhraseTable | None) -> None:
    """bm25.json (document count, settings, average length, terms by id) and the phrase table the index holds."""
    meta = {"n_docs": n_docs, "k1": K1, "b": B, "average_length": average_length, "terms": terms}
    if phrases is not None:
        # Recorded so that a load can tell an index of phrases whose table is missing from an index of words.
        meta["phrases"] = len(phrases)
        phrases.save(folder)
    (folder / BM25_META).write_text(json.dumps(meta), encoding="utf-8")


def load_index(folder: Path, phrases: PhraseTable | None = None) -> LexicalIndex:
    """Open a saved index with its arrays memory-mapped; `phrases` is the set's phrase table (None: the set has none).

    An index built with phrases needs its table (its phrase columns would never be scored without it), and a table
    needs an index built with it: either mismatch raises ValueError.
    """
    meta = json.loads((folder / BM25_META).read_text(encoding="utf-8"))
    indexed = meta.get("phrases", 0)
    if phrases is None and indexed:
        raise ValueError(f"{BM25_META} says the index holds {indexed} phrases but the set has no {PHRASES}")
    if phrases is not None and indexed != len(phrases):
        raise ValueError(f"{BM25_META} says the index holds {indexed} phrases but {PHRASES} has {len(phrases)}")
    arrays = {name: np.load(folder / file, mmap_mode="r") for name, file in BM25_COLUMNS.items()}
    shape = (meta["n_docs"], len(meta["terms"]))
    columns = sparse.csc_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape, copy=False)
    return LexicalIndex(
        columns=columns,
        vocabulary={term: i for i, term in enumerate(meta["terms"])},
        idf=np.load(folder / BM25_IDF, mmap_mode="r"),
        average_length=float(meta["average_length"]),
        row_norms=np.load(folder / BM25_ROW_NORMS, mmap_mode="r"),
        phrases=phrases,
    )


def build_index(documents: Iterable[Sequence[str]], phrases: PhraseTable | None = None) -> LexicalIndex:
    """Index tokenised documents (already cleaned) with BM25 weights: their words, and their phrases when given a table."""
    vocabulary: dict[str, int] = {}
    cols, counts, indptr, lengths = array("i"), array("i"), array("q", [0]), array("i")
    for tokens in documents:
        found, length = document_terms(tokens, phrases)
        terms = Counter(found)
        lengths.append(length)
        for term, count in terms.items():
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
            counts.append(count)
        indptr.append(len(cols))
    n_docs = len(lengths)
    data = np.frombuffer(counts, dtype=np.int32).astype(np.float32)
    tf = sparse.csr_matrix(
        (data, np.frombuffer(cols, dtype=np.int32), np.frombuffer(indptr, dtype=np.int64)), shape=(n_docs, len(vocabulary))
    )
    del cols, counts
    length = np.array(lengths, dtype=np.float32)
    average = float(length.mean()) if n_docs and length.mean() > 0 else 1.0
    df = np.bincount(tf.indices, minlength=len(vocabulary)).astype(np.float32)
    idf = bm25_idf(n_docs, df)
    # BM25 weights computed in place: at millions of papers each temporary copy of the data costs gigabytes.
    denominator = np.repeat(K1 * (1 - B + B * length / average), np.diff(tf.indptr))
    denominator += tf.data
    tf.data *= K1 + 1
    tf.data /= denominator
    del denominator
    tf.data *= idf[tf.indices]
    return LexicalIndex(tf.tocsc(), vocabulary, idf, average, _row_norms(tf), phrases)


def _row_norms(rows: sparse.csr_matrix) -> np.ndarray:
    """Euclidean length of each row, without a squared copy of the whole matrix."""
    norms = np.zeros(rows.shape[0], dtype=np.float64)
    starts, ends = rows.indptr[:-1], rows.indptr[1:]
    filled = starts < ends
    if filled.any():
        squares = np.square(rows.data, dtype=np.float64)
        norms[filled] = np.add.reduceat(squares, starts[filled])
    return np.sqrt(norms).astype(np.float32)


@dataclass(frozen=True)
class UpdatedIndex:
    """What write_updated_index wrote: documents and terms in all, and the terms that no document had before."""

    n_docs: int
    terms: int
    new_terms: int


def write_updated_index(index: LexicalIndex, documents: Sequence[Sequence[str]], rows: np.ndarray, folder: Path) -> UpdatedIndex:
    """Write to `folder` the index with document i of `documents` (cleaned tokens) at row rows[i]: a row below
    index.n_docs replaces that document, the others (n_docs, n_docs + 1, ... in order) are appended.

    Terms no document had get columns of their own after the others. idf is recomputed for every term from its new
    document count (`bm25_idf`): each stored column is scaled by new idf / old idf, which is exact, since a weight is
    idf times a factor of its document alone. The average document length stays the build's: the stored weights do
    not keep each document's length, so they cannot be recomputed for a new average, and a few new documents move it
    little (see lib/update.py). The result equals an index built from scratch over the same documents with that
    average. Columns are copied a block of UPDATE_BLOCK weights at a time and written in order (nothing is mapped for
    writing), so memory stays near the new documents' size, not the index's.
    """
    rows = np.asarray(rows, dtype=np.int64)
    old_docs, old_terms = index.columns.shape
    appended = rows[rows >= old_docs]
    if not np.array_equal(appended, np.arange(old_docs, old_docs + len(appended))):
        raise ValueError("appended documents must take the rows after the index's, in order")
    n_docs = old_docs + len(appended)
    vocabulary = dict(index.vocabulary)
    entry_rows, entry_cols, entry_tf, entry_length = array("q"), array("q"), array("f"), array("f")
    for row, tokens in zip(rows.tolist(), documents, strict=True):
        found, length = document_terms(tokens, index.phrases)
        for term, count in Counter(found).items():
            entry_rows.append(row)
            entry_cols.append(vocabulary.setdefault(term, len(vocabulary)))
            entry_tf.append(count)
            entry_length.append(length)
    n_terms = len(vocabulary)
    order = np.lexsort((np.frombuffer(entry_rows, dtype=np.int64), np.frombuffer(entry_cols, dtype=np.int64)))
    new_rows = np.frombuffer(entry_rows, dtype=np.int64)[order]
    new_cols = np.frombuffer(entry_cols, dtype=np.int64)[order]
    tf = np.frombuffer(entry_tf, dtype=np.float32)[order]
    length = np.frombuffer(entry_length, dtype=np.float32)[order]

    indptr = np.asarray(index.columns.indptr, dtype=np.int64)
    indices, data = index.columns.indices, index.columns.data
    replaced = np.zeros(old_docs, dtype=bool)
    replaced[rows[rows < old_docs]] = True
    drops = _replaced_positions(indices, replaced)
    counts = np.zeros(n_terms, dtype=np.int64)
    counts[:old_terms] = np.diff(indptr)
    counts -= np.bincount(np.searchsorted(indptr, drops, side="right") - 1, minlength=n_terms)
    counts += np.bincount(new_cols, minlength=n_terms)
    idf = bm25_idf(n_docs, counts.astype(np.float32))
    old_idf = np.asarray(index.idf, dtype=np.float32)
    ratio = idf[:old_terms] / np.where(old_idf > 0, old_idf, 1)
    weights = idf[new_cols] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / index.average_length))

    # Where each new weight goes among the stored ones: before the first stored row above its own in its column
    # (a replaced document's own stored weight is dropped), after every stored weight of a column no document had.
    inserts = np.full(len(new_rows), indptr[-1], dtype=np.int64)
    known = new_cols < old_terms
    inserts[known] = indptr[new_cols[known] + 1]
    for i in np.flatnonzero(known & (new_rows < old_docs)).tolist():
        start, end = indptr[new_cols[i]], indptr[new_cols[i] + 1]
        inserts[i] = start + int(np.searchsorted(indices[start:end], new_rows[i]))
    total = len(indices) - len(drops) + len(inserts)
    squares = np.zeros(n_docs, dtype=np.float64)
    header = {"fortran_order": False, "shape": (total,)}
    with open(folder / BM25_COLUMNS["data"], "wb") as out_data, open(folder / BM25_COLUMNS["indices"], "wb") as out_indices:
        np.lib.format.write_array_header_1_0(out_data, {**header, "descr": np.lib.format.dtype_to_descr(np.dtype(np.float32))})
        np.lib.format.write_array_header_1_0(out_indices, {**header, "descr": np.lib.format.dtype_to_descr(np.dtype(np.int32))})
        # Written in order, a block of stored weights at a time: the block's weights scaled by their column's idf ratio,
        # the new weights that go before its positions inserted, the replaced documents' weights dropped.
        for start in [*range(0, len(indices), UPDATE_BLOCK), len(indices)]:
            end = min(start + UPDATE_BLOCK, len(indices))
            first, last = np.searchsorted(inserts, [start, end if end < len(indices) else len(indices) + 1])
            block_rows = np.asarray(indices[start:end], dtype=np.int64)
            scaled = np.asarray(data[start:end], dtype=np.float32)
            if end > start:
                columns = np.searchsorted(indptr, [start, end - 1], side="right") - 1
                bounds = np.clip(indptr[columns[0] : columns[1] + 2], start, end)
                scaled = scaled * np.repeat(ratio[columns[0] : columns[1] + 1], np.diff(bounds))
            keep = ~replaced[block_rows] if len(drops) else None
            if last > first:
                at = inserts[first:last] - start
                block_rows = np.insert(block_rows, at, new_rows[first:last])
                scaled = np.insert(scaled, at, weights[first:last].astype(np.float32))
                keep = None if keep is None else np.insert(keep, at, True)
            if keep is not None:
                block_rows, scaled = block_rows[keep], scaled[keep]
            out_data.write(scaled.astype(np.float32, copy=False).tobytes())
            out_indices.write(block_rows.astype(np.int32).tobytes())
            squares += np.bincount(block_rows, weights=np.square(scaled, dtype=np.float64), minlength=n_docs)
            if end >= len(indices):
                break
    new_indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(counts, out=new_indptr[1:])
    np.save(folder / BM25_COLUMNS["indptr"], new_indptr)
    np.save(folder / BM25_IDF, idf)
    np.save(folder / BM25_ROW_NORMS, np.sqrt(squares).astype(np.float32))
    _save_meta(folder, n_docs, index.average_length, sorted(vocabulary, key=vocabulary.__getitem__), index.phrases)
    return UpdatedIndex(n_docs, n_terms, n_terms - old_terms)


def _replaced_positions(indices: np.ndarray, replaced: np.ndarray) -> np.ndarray:
    """Positions (sorted) of the stored weights of the replaced documents, found a block at a time."""
    if not replaced.any():
        return np.zeros(0, dtype=np.int64)
    found = [
        start + np.flatnonzero(replaced[np.asarray(indices[start : start + UPDATE_BLOCK], dtype=np.int64)])
        for start in range(0, len(indices), UPDATE_BLOCK)
    ]
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)
