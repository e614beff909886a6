"""Phrases: multi-word BM25 terms learned at build time, stored as JSON, matched in documents and queries.

Real parts throughout: gensim learns the tables, BM25 indexes are built from real token lists, and the set-level
tests load the session's demo model set (built with phrases by the normal build) or private copies of it.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lib import phrases as phrases_module
from lib.cleaning import tokenize
from lib.corpus import document_texts
from lib.engine import load_engine
from lib.lexical import build_index, load_index
from lib.modelset import ModelSetError, list_model_sets, load_model_set, sha256_file
from lib.phrases import MIN_COUNT, TOKEN_JOINER, PhraseTable, learn_phrases, learning_sample, load_phrases
from lib.setfiles import BM25_FILES, BM25_META, MANIFEST, PHRASES

# Filler vocabulary: a few very common words (so that some of them sit side by side often, by chance) and many rare ones.
COMMON = ["model", "data", "method", "analysis", "system", "results"]
RARE = [f"word{i}" for i in range(300)]


def filler(rng: random.Random, n: int) -> list[str]:
    """n random words, a third of them common ones."""
    return [rng.choice(COMMON) if rng.random() < 0.33 else rng.choice(RARE) for _ in range(n)]


def small_corpus(seed: int = 3) -> list[list[str]]:
    """300 short documents of filler; 40 hold "graph neural networks", 20 "degrees of freedom", 2 "purple walrus"."""
    rng = random.Random(seed)
    documents = []
    for i in range(300):
        words = filler(rng, 40)
        if i % 7 == 0:
            words[10:10] = ["graph", "neural", "networks"]
        if i % 15 == 1:
            words[25:25] = ["degrees", "of", "freedom"]
        if i in (5, 150):
            words[30:30] = ["purple", "walrus"]
        documents.append(words)
    return documents


def test_learning_finds_frequent_phrases_and_not_rare_or_chance_pairs() -> None:
    documents = small_corpus()
    table = learn_phrases(documents)
    assert {"graph neural", "neural networks", "degrees of freedom"} <= set(table.scores)
    # Two occurrences are below the minimum count, however strongly the two words go together.
    assert "purple walrus" not in table.scores
    # Common words stand side by side often by chance (every such pair at least MIN_COUNT times here), but no more often
    # than chance says, so none of them is a phrase.
    pairs = Counter(pair for words in documents for pair in zip(words, words[1:], strict=False))
    assert min(pairs[first, second] for first in COMMON for second in COMMON) >= MIN_COUNT
    assert not any(set(phrase.split()) <= set(COMMON) for phrase in table.scores)
    assert table.params["documents"] == 300 and table.params["tokens"] == sum(map(len, documents))


def test_phrases_are_found_overlapping_and_across_stop_words_only() -> None:
    table = PhraseTable({"density functional": 0.8, "functional theory": 0.7, "degrees of freedom": 0.6})
    tokens = tokenize("Density-functional theory counts the degrees of freedom; functional and theory apart: functional the theory.")
    assert table.terms(tokens) == ["density functional", "functional theory", "degrees of freedom"]
    # A content word between the two breaks the phrase; a stop word ("the") does not make one that was not learned.
    assert table.terms(tokenize("density of functional forms, functional new theory")) == []
    assert PhraseTable({}).terms(tokens) == []


def test_learning_reads_a_spread_sample_and_stops_at_its_token_budget() -> None:
    assert list(learning_sample(iter(range(10)), 10, max_docs=3)) == [0, 4, 8]
    assert list(learning_sample(iter(range(5)), 5, max_docs=10)) == [0, 1, 2, 3, 4]
    table = learn_phrases(small_corpus(), max_tokens=4000)
    assert table.params["tokens"] >= 4000 and table.params["documents"] < 300


def two_papers_index(with_phrases: bool) -> tuple[object, int, int]:
    """An index of the small corpus plus paper A (the phrase) and paper B (the same words apart); rows of A and B."""
    documents = small_corpus()
    table = learn_phrases(documents) if with_phrases else None
    paper_a = ["graph", "neural", "networks", "word1", "word2", "word3"]
    paper_b = ["neural", "word1", "graph", "word2", "networks", "word3"]
    index = build_index([*documents, paper_a, paper_b], table)
    return index, len(documents), len(documents) + 1


def test_a_phrase_query_ranks_the_phrase_above_its_words_apart_and_one_word_queries_are_unchanged() -> None:
    words_only, a, b = two_papers_index(with_phrases=False)
    with_phrases, _, _ = two_papers_index(with_phrases=True)
    query = tokenize("Graph neural networks")
    plain, phrased = words_only.bm25_scores(query), with_phrases.bm25_scores(query)
    assert plain[a] == pytest.approx(plain[b])
    assert phrased[a] > phrased[b] * 1.2
    assert phrased[a] == phrased.max()
    assert with_phrases.known_terms(query) == ["graph", "neural", "networks", "graph neural", "neural networks"]
    # A word's column is the same with or without phrases (a document's length is its words), so one-word queries score as before.
    for word in ("graph", "networks", "word7", "model"):
        assert np.array_equal(words_only.bm25_scores([word]), with_phrases.bm25_scores([word]))
    # A paper's own text finds the papers holding its phrases first.
    similar = with_phrases.similar_scores(["graph", "neural", "networks"])
    assert similar[a] > similar[b]


def test_the_map_and_topics_see_the_words_only_whatever_phrases_keyword_search_holds() -> None:
    words_only, _, _ = two_papers_index(with_phrases=False)
    with_phrases, _, _ = two_papers_index(with_phrases=True)
    assert len(with_phrases.terms) > len(words_only.terms)
    assert np.allclose(with_phrases.latent_vectors(4, seed=0), words_only.latent_vectors(4, seed=0), atol=1e-5)
    rows = np.arange(0, words_only.n_docs, 2)
    assert np.allclose(with_phrases.latent_vectors(4, 0, rows), words_only.latent_vectors(4, 0, rows), atol=1e-5)


def test_a_phrase_table_is_plain_json_and_loads_back_equal(tmp_path: Path) -> None:
    table = learn_phrases(small_corpus())
    table.save(tmp_path)
    stored = json.loads((tmp_path / PHRASES).read_text(encoding="utf-8"))
    assert stored["delimiter"] == " " and stored["params"]["scoring"] == "npmi"
    assert stored["phrases"]["graph neural"] == table.scores["graph neural"]
    assert load_phrases(tmp_path / PHRASES) == table


def test_a_build_stores_phrases_listed_and_checksummed_and_loads_the_scores_it_built(demo_model_set: Path) -> None:
    manifest = json.loads((demo_model_set / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["files"][PHRASES]["sha256"] == sha256_file(demo_model_set / PHRASES)
    model_set = load_model_set(demo_model_set)
    table = model_set.lexical.phrases
    assert table == load_phrases(demo_model_set / PHRASES)
    assert len(table) > 100 and table.params["documents"] == manifest["counts"]["papers"]
    assert json.loads((demo_model_set / BM25_META).read_text(encoding="utf-8"))["phrases"] == len(table)
    # The index built again from the papers with the stored table scores every paper as the loaded one does.
    rebuilt = build_index((tokenize(text) for text in document_texts(model_set.papers, "title+abstract", " ")), table)
    phrase = max(table.scores, key=lambda p: int(np.diff(model_set.lexical.columns.indptr)[model_set.lexical.vocabulary[p]]))
    for query in (phrase, phrase.split()[0], "fokker planck equation"):
        loaded = model_set.lexical.bm25_scores(tokenize(query))
        assert np.allclose(loaded, rebuilt.bm25_scores(tokenize(query)), rtol=1e-5)
    # The ranker adds phrase terms itself: the best keyword hits for the phrase hold it.
    engine = load_engine(demo_model_set)
    hits = engine.ranker.search(phrase, k=5, mode="lexical")
    rows = engine.catalogue.papers.iloc[[hit.row for hit in hits]]
    assert all(phrase in " ".join(tokenize(f"{t} {a}")) for t, a in zip(rows["title"], rows["abstract"], strict=True))


def test_doc2vec_learns_phrase_tokens_and_a_query_counts_its_phrases_through_them(demo_model_set: Path) -> None:
    manifest = json.loads((demo_model_set / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["params"]["doc2vec"]["phrase_tokens"] is True
    assert not [path.name for path in demo_model_set.iterdir() if path.name.startswith("corpus")]  # training files gone
    engine = load_engine(demo_model_set)
    ranker, table = engine.ranker, engine.ranker.lexical.phrases
    vocabulary = ranker.doc2vec.wv.key_to_index
    learned = [token for token in vocabulary if TOKEN_JOINER in token]
    assert learned and all(token.replace(TOKEN_JOINER, " ") in table.scores for token in learned)
    token = max(learned, key=lambda t: int(ranker.doc2vec.wv.get_vecattr(t, "count")))
    words = token.split(TOKEN_JOINER)
    assert table.tokens(words) == [token] and table.with_tokens(words) == [*words, token]
    # The query's direction is that of its words and its phrase token; without the table, of its words alone.
    plain = copy.copy(ranker)
    plain.lexical = dataclasses.replace(ranker.lexical, phrases=None)
    assert np.allclose(ranker._word_direction(words), plain._word_direction([*words, token]))
    assert not np.allclose(ranker._word_direction(words), plain._word_direction(words), atol=1e-3)


def test_the_notebook_preset_trains_doc2vec_on_words_only(demo_corpus: Path, tmp_path: Path) -> None:
    from lib.build import BuildOptions, build_model_set
    from lib.params import PRESETS, with_overrides
    from lib.reading import Filters

    params = with_overrides(PRESETS["seed"], **{"doc2vec.epochs": 2, "hdbscan.min_cluster_size": 40})
    build_model_set(BuildOptions(demo_corpus, tmp_path / "seed", params, Filters(), workers=1), log=lambda message: None)
    model_set = load_model_set(tmp_path / "seed")
    assert not [token for token in model_set.doc2vec.wv.key_to_index if TOKEN_JOINER in token]
    assert len(model_set.lexical.phrases) > 100  # keyword search has its phrases all the same


def copy_set(source: Path, folder: Path) -> Path:
    """A private copy of a model set."""
    shutil.copytree(source, folder)
    return folder


def record_files(folder: Path, names: list[str], removed: tuple[str, ...] = ()) -> None:
    """Record these files' sizes and sha256 in the manifest (and drop `removed`), as a build of that content would."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for name in names:
        manifest["files"][name] = {"bytes": (folder / name).stat().st_size, "sha256": sha256_file(folder / name)}
    for name in removed:
        manifest["files"].pop(name)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def test_a_set_built_before_phrases_loads_and_searches_with_words_only(demo_model_set: Path, tmp_path: Path) -> None:
    folder = copy_set(demo_model_set, tmp_path / "older")
    papers = load_model_set(folder).papers
    words_only = build_index(tokenize(text) for text in document_texts(papers, "title+abstract", " "))
    words_only.save(folder)  # an index as the build wrote it before phrases: no table, no "phrases" in bm25.json
    (folder / PHRASES).unlink()
    record_files(folder, list(BM25_FILES), removed=(PHRASES,))
    assert "phrases" not in json.loads((folder / BM25_META).read_text(encoding="utf-8"))
    engine = load_engine(folder)
    assert engine.ranker.lexical.phrases is None
    query = "fokker planck equation"
    assert np.array_equal(engine.ranker.lexical.bm25_scores(tokenize(query)), words_only.bm25_scores(tokenize(query)))
    for mode in ("lexical", "hybrid"):
        hits = engine.ranker.search(query, k=5, mode=mode)
        assert len(hits) == 5 and hits[0].score > 0
    assert engine.ranker.shared_words([engine.catalogue.ids([0])[0]])


HOSTILE = {
    "a list": b"[]",
    "not JSON": b"{delimiter",
    "not UTF-8": b'{"delimiter": " ", "phrases": {"\xff\xfe b": 1}}',
    "nested deeply": b"[" * 200_000 + b"]" * 200_000,
    "another delimiter": json.dumps({"delimiter": "_", "phrases": {}}).encode(),
    "phrases a list": json.dumps({"delimiter": " ", "phrases": ["graph neural"]}).encode(),
    "params a string": json.dumps({"delimiter": " ", "phrases": {}, "params": "x"}).encode(),
    "a score a string": json.dumps({"delimiter": " ", "phrases": {"graph neural": "high"}}).encode(),
    "a score not finite": b'{"delimiter": " ", "phrases": {"graph neural": Infinity}}',
    "a score true": json.dumps({"delimiter": " ", "phrases": {"graph neural": True}}).encode(),
    "one word": json.dumps({"delimiter": " ", "phrases": {"graph": 1.0}}).encode(),
    "two spaces": json.dumps({"delimiter": " ", "phrases": {"graph  neural": 1.0}}).encode(),
    "a line break": json.dumps({"delimiter": " ", "phrases": {"graph\nx neural": 1.0}}).encode(),
    "a long phrase": json.dumps({"delimiter": " ", "phrases": {" ".join(["w"] * 150): 1.0}}).encode(),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_phrase_table_is_refused_with_the_file_and_what_to_do(demo_model_set: Path, tmp_path: Path, case: str) -> None:
    folder = copy_set(demo_model_set, tmp_path / "hostile")
    (folder / PHRASES).write_bytes(HOSTILE[case])
    record_files(folder, [PHRASES])
    with pytest.raises(ModelSetError) as caught:
        load_engine(folder)
    message = str(caught.value)
    assert f"file {PHRASES} could not be opened" in message and "rebuild it with `python -m lib build" in message
    assert "\n" not in message and len(message) < 800
    # Listing checks the manifest and sizes only: the set is listed, and fails when opened.
    assert [info.error for info in list_model_sets(tmp_path)] == [None]


def test_a_phrase_table_over_its_bounds_is_refused_unparsed(demo_model_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_set(demo_model_set, tmp_path / "huge")
    size = (folder / PHRASES).stat().st_size
    # The bounds are lowered below this real table's size and count rather than a 256 MB file written.
    monkeypatch.setattr(phrases_module, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(ModelSetError, match=f"more than the {size - 1:,} bytes"):
        load_engine(folder)
    monkeypatch.setattr(phrases_module, "MAX_FILE_BYTES", size)
    monkeypatch.setattr(phrases_module, "MAX_PHRASES", 10)
    with pytest.raises(ModelSetError, match="more than the 10 a table may have"):
        load_engine(folder)


def test_a_phrase_table_that_does_not_match_its_index_is_refused(demo_model_set: Path, tmp_path: Path) -> None:
    folder = copy_set(demo_model_set, tmp_path / "mismatch")
    table = load_phrases(folder / PHRASES)
    PhraseTable(dict(list(table.scores.items())[:5]), table.params).save(folder)
    record_files(folder, [PHRASES])
    with pytest.raises(ModelSetError, match=f"holds {len(table)} phrases but {PHRASES} has 5"):
        load_engine(folder)
    # And an index of phrases whose table is gone (both the file and its manifest entry) is refused, not searched without it.
    (folder / PHRASES).unlink()
    record_files(folder, [], removed=(PHRASES,))
    with pytest.raises(ModelSetError, match=f"has no {PHRASES}"):
        load_engine(folder)
    with pytest.raises(ValueError, match=f"has no {PHRASES}"):
        load_index(folder)
