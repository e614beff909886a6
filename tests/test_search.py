import subprocess

import numpy as np
import pytest

from lib.cleaning import tokenize
from lib.engine import load_engine
from lib.search import LEXICAL_WEIGHT, TITLE_MIN_WORDS
from tests.conftest import PYTHON, ROOT


@pytest.fixture(scope="module")
def engine(demo_model_set):
    return load_engine(demo_model_set)


def test_papers_frame_has_the_documented_columns(engine) -> None:
    assert {"id", "title", "abstract", "authors", "categories", "update_date", "x", "y", "cluster"} <= set(engine.catalogue.papers.columns)


def test_search_finds_papers_of_the_query_topic(engine) -> None:
    hits = engine.ranker.search("qubits stabilizer codes quantum error correction", k=10)
    assert len(hits) == 10 and [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    primaries = [engine.catalogue.papers.iloc[h.row]["categories"].split()[0] for h in hits]
    assert primaries.count("quant-ph") >= 8
    assert hits[0]["paper_id"] == hits[0].paper_id and hits[0].paper_id.startswith("demo-")


def test_same_query_same_ranking_in_this_and_another_process(engine, demo_model_set) -> None:
    query = "turbulent boundary layers and vortex shedding"
    first = [(h.paper_id, round(h.score, 6)) for h in engine.ranker.search(query, k=10)]
    assert first == [(h.paper_id, round(h.score, 6)) for h in engine.ranker.search(query, k=10)]
    code = (
        "from lib.engine import load_engine\n"
        f"e = load_engine({str(demo_model_set)!r})\n"
        f"print([(h.paper_id, round(h.score, 6)) for h in e.ranker.search({query!r}, k=10)])"
    )
    other = subprocess.run([PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert other == str(first)


def test_unknown_words_are_reported_and_no_known_word_gives_no_results(engine) -> None:
    words = engine.ranker.words("qubits zzyzxq blorptastic")
    assert words.known == ["qubits"] and words.unknown == ["zzyzxq", "blorptastic"]
    assert engine.ranker.search("zzyzxq blorptastic") == []
    assert engine.ranker.search("") == [] and engine.ranker.locate("!!!") is None


def test_similar_ranks_by_the_papers_own_vector_and_excludes_it(engine) -> None:
    paper = engine.catalogue.papers.iloc[0]
    hits = engine.ranker.similar(paper["id"], k=5, mode="semantic")
    assert len(hits) == 5 and paper["id"] not in [h.paper_id for h in hits]
    vectors = np.load(engine.catalogue.path / "vectors.npy")
    expected = np.argsort(-(vectors @ vectors[0]))[1:6]
    assert [h.row for h in hits] == expected.tolist()
    with pytest.raises(KeyError):
        engine.ranker.similar("9999.99999")


def test_locate_places_a_query_in_its_topic_near_its_neighbours(engine) -> None:
    location = engine.ranker.locate("galaxies stellar mass dark matter halos")
    assert location is not None and location.cluster >= 0
    # The topic where most galaxy papers are (on the demo map it may be shared with string theory, a related topic).
    papers = engine.catalogue.papers
    galaxies = papers[(papers["categories"].str.split().str[0] == "astro-ph.GA") & (papers["cluster"] >= 0)]
    assert location.cluster == galaxies["cluster"].value_counts().index[0]
    xs = [engine.catalogue.papers.iloc[h.row]["x"] for h in location.neighbours]
    assert min(xs) - 1e-6 <= location.x <= max(xs) + 1e-6


def test_filters_by_category_prefix_and_year(engine) -> None:
    hits = engine.ranker.search("qubits stabilizer codes", k=20, categories=("math.",))
    assert hits and all(any(c.startswith("math.") for c in engine.catalogue.papers.iloc[h.row]["categories"].split()) for h in hits)
    bounds = engine.catalogue.year_bounds()
    assert bounds and bounds[0] < bounds[1]
    year = bounds[0] + 1
    hits = engine.ranker.search("qubits stabilizer codes", k=50, years=(year, year))
    assert hits and {engine.catalogue.papers.iloc[h.row]["update_date"][:4] for h in hits} == {str(year)}
    assert engine.ranker.search("qubits", k=10, categories=("nonexistent.XX",)) == []
    options = dict(engine.catalogue.category_options())
    assert options["quant-ph"] == int(engine.catalogue.papers["categories"].str.split().str[0].eq("quant-ph").sum())


def test_similar_with_filters_still_excludes_the_paper(engine) -> None:
    paper = engine.catalogue.papers.iloc[3]
    primary = paper["categories"].split()[0]
    hits = engine.ranker.similar(paper["id"], k=10, categories=(primary,))
    assert hits and paper["id"] not in [h.paper_id for h in hits]
    assert engine.catalogue.row_of(paper["id"] + "v3") == 3


def test_listing_keeps_order_and_skips_unknown_ids(engine) -> None:
    # The paper-page links of a listing are built by the map page with nav.href (test_links_app checks they keep the set).
    ids = [engine.catalogue.papers.iloc[5]["id"], "nope", engine.catalogue.papers.iloc[2]["id"]]
    table = engine.catalogue.listing(ids)
    assert list(table["id"]) == [ids[0], ids[2]]
    assert list(table.columns) == ["id", "title", "updated", "topic"]
    assert table.loc[1, "topic"] == engine.catalogue.topic_label(int(engine.catalogue.papers.iloc[2]["cluster"]))


def test_lexical_mode_finds_papers_by_their_titles_and_hybrid_blends(engine) -> None:
    rows = range(0, 1200, 60)
    found = [row in [h.row for h in engine.ranker.search(engine.catalogue.papers.iloc[row]["title"], k=10, mode="lexical")] for row in rows]
    assert sum(found) >= 18
    hybrid = [row in [h.row for h in engine.ranker.search(engine.catalogue.papers.iloc[row]["title"], k=10)] for row in rows]
    assert sum(hybrid) >= sum(found) - 1
    query = "qubits stabilizer codes"
    semantic = engine.ranker.scores_for_query(query, "semantic")
    lexical = engine.ranker.scores_for_query(query, "lexical")
    hybrid = engine.ranker.scores_for_query(query, "hybrid")
    assert lexical.max() == 1.0 and np.allclose(hybrid, (1 - LEXICAL_WEIGHT) * semantic + LEXICAL_WEIGHT * lexical)
    with pytest.raises(ValueError, match="unknown search mode"):
        engine.ranker.search(query, mode="magic")


def test_similar_modes_exclude_the_paper_and_lexical_uses_its_words(engine) -> None:
    paper = engine.catalogue.papers.iloc[4]
    for mode in ("hybrid", "semantic", "lexical"):
        hits = engine.ranker.similar(paper["id"], k=10, mode=mode)
        assert len(hits) == 10 and paper["id"] not in [h.paper_id for h in hits]
    lexical = engine.ranker.similar(paper["id"], k=3, mode="lexical")
    assert all(0 < h.score <= 1.0001 for h in lexical)


def test_a_pasted_title_finds_its_paper_first_whatever_its_case_and_punctuation(engine) -> None:
    titles = engine.catalogue.papers["title"]
    unique = titles[~titles.str.lower().duplicated(keep=False)]
    checked = [(row, title) for row, title in unique.iloc[::40].items() if len(tokenize(title)) >= TITLE_MIN_WORDS]
    assert len(checked) >= 20
    for mode in ("hybrid", "lexical"):
        for row, title in checked:
            hits = engine.ranker.search(f"{title.upper()}.", k=5, mode=mode)
            assert hits[0].row == engine.catalogue.papers.index.get_loc(row), (mode, title)
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_query_that_is_not_a_title_is_ranked_by_its_scores_alone(engine) -> None:
    title = engine.catalogue.papers["title"].iloc[6]
    query = " ".join(title.split()[:-1])
    hits = engine.ranker.search(query, k=10)
    scores = engine.ranker.scores_for_query(query)
    assert np.allclose([h.score for h in hits], np.sort(scores)[::-1][:10])
