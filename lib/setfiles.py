"""Every file a model set may hold, by name: the one list of the format's files.

This module only names files; `lib.modelset` writes, verifies, stages and loads a set, and the modules that store
one part of it (`lib.doc2vec_files`, `lib.lexical`, `lib.ann`) write and read that part under these names. It
imports nothing of the project, so each of them can import it and none has to import `lib.modelset` (which imports
them to load a set): the arrows point one way.

A set of format 4 holds:
    manifest.json        format version, versions, parameters, input, counts, timings, sha256 of every other file
    papers.arrow         the papers table with positions and topics (papers.parquet in format 2, no longer read)
    vectors.npy          unit-length document vectors
    map.npy              2-D map coordinates
    clusters.npy         topic per paper (-1 = unclustered)
    topics.json          per topic: size, keywords, label, main categories, centre
    levels.json          coarser levels of topics (optional: sets built before it compute them at load)
    doc2vec_*            what query inference needs of the Doc2Vec model (doc2vec_syn1neg.npy with negative sampling,
                         doc2vec_syn1.npy with hierarchical softmax)
    bm25_*, bm25.json    the BM25 index: sparse columns, idf, row norms, and its terms
    phrases.json         optional: the phrase table whose multi-word terms the BM25 index holds (lib/phrases.py);
                         sets built before it index single words only
    ann_*.npy            optional: the inverted-file index of sets of ANN_MIN_PAPERS papers or more (lib/ann.py)
"""

from __future__ import annotations

MANIFEST = "manifest.json"
PAPERS = "papers.arrow"
# The papers table of format 2, named so that such a set is recognised (and refused with the rebuild command).
PAPERS_V2 = "papers.parquet"
VECTORS = "vectors.npy"
MAP = "map.npy"
CLUSTERS = "clusters.npy"
TOPICS = "topics.json"
LEVELS = "levels.json"
# The Doc2Vec model of formats 2 and 3, a pickle; a file of this name in a set of format 4 is refused as unlisted.
DOC2VEC_PICKLE = "doc2vec.model"

DOC2VEC_PARAMS = "doc2vec.json"
DOC2VEC_WORDS = "doc2vec_words.json"
DOC2VEC_VOCAB = "doc2vec_vocab.npy"
DOC2VEC_WORD_VECTORS = "doc2vec_wv.npy"
DOC2VEC_SYN1NEG = "doc2vec_syn1neg.npy"
DOC2VEC_SYN1 = "doc2vec_syn1.npy"
# Written for every Doc2Vec model; DOC2VEC_SYN1NEG and DOC2VEC_SYN1 only with negative sampling and hierarchical softmax.
DOC2VEC_ALWAYS = (DOC2VEC_PARAMS, DOC2VEC_WORDS, DOC2VEC_VOCAB, DOC2VEC_WORD_VECTORS)

# The BM25 matrix by column (scipy's CSC arrays), then its idf and row norms, and its terms and settings.
BM25_COLUMNS = {"data": "bm25_data.npy", "indices": "bm25_indices.npy", "indptr": "bm25_indptr.npy"}
BM25_IDF = "bm25_idf.npy"
BM25_ROW_NORMS = "bm25_row_norms.npy"
BM25_META = "bm25.json"
BM25_FILES = (BM25_META, *BM25_COLUMNS.values(), BM25_IDF, BM25_ROW_NORMS)
# The phrases BM25 indexes as terms of their own; optional, so that sets built before it load (with single words only).
PHRASES = "phrases.json"

ANN = {"centroids": "ann_centroids.npy", "offsets": "ann_offsets.npy", "rows": "ann_rows.npy", "vectors": "ann_vectors.npy"}
ANN_FILES = tuple(ANN.values())

# Files every set of format 4 lists in its manifest (the papers table first; format 2 named it PAPERS_V2).
CORE_FILES = (PAPERS, VECTORS, MAP, CLUSTERS, TOPICS, *DOC2VEC_ALWAYS)
# Every file a set of format 4 may hold.
ALL_FILES = (MANIFEST, *CORE_FILES, LEVELS, DOC2VEC_SYN1NEG, DOC2VEC_SYN1, *BM25_FILES, PHRASES, *ANN_FILES)
