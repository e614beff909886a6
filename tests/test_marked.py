"""More like these, less like those: the engine's combined ranking, shared words, and the marked-papers page."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lib.cleaning import tokenize
from lib.engine import load_engine
from lib.search import NEGATIVE_WEIGHT
from tests.conftest import ROOT, open_abstracts


@pytest.fixture(scope="module")
def engine(demo_model_set):
    return load_engine(demo_model_set)


def two_topics(engine) -> tuple[list[str], list[str]]:
    """Three papers of the largest topic and three of the second largest."""
    clusters = np.asarray(engine.catalogue.clusters)
    first = engine.catalogue.ids(np.flatnonzero(clusters == 0)[:3])
    second = engine.catalogue.ids(np.flatnonzero(clusters == 1)[:3])
    return first, second


def test_one_paper_as_a_list_ranks_as_the_paper_alone(engine) -> None:
    paper = engine.catalogue.papers["id"].iloc[10]
    for mode in ("hybrid", "semantic", "lexical"):
        assert engine.ranker.similar([paper], 10, mode=mode) == engine.ranker.similar(paper, 10, mode=mode)


def test_the_semantic_ranking_is_by_the_combined_vector_and_never_returns_a_marked_paper(engine) -> None:
    more, less = two_topics(engine)
    hits = engine.ranker.similar(more, 20, negative=less[:1], mode="semantic")
    rows = [engine.catalogue.row_of(p) for p in more]
    vector = (
        np.asarray(engine.ranker.vectors)[rows].mean(axis=0)
        - NEGATIVE_WEIGHT * np.asarray(engine.ranker.vectors)[engine.catalogue.row_of(less[0])]
    )
    vector /= np.linalg.norm(vector)
    scores = np.asarray(engine.ranker.vectors) @ vector
    scores[rows + [engine.catalogue.row_of(less[0])]] = -np.inf
    expected = np.lexsort((np.arange(len(scores)), -scores))[:20]
    assert [hit.row for hit in hits] == expected.tolist()
    for mode in ("hybrid", "lexical"):
        returned = {hit.paper_id for hit in engine.ranker.similar(more, 50, negative=less, mode=mode)}
        assert not returned & set(more + less)


def test_less_like_pushes_the_other_topic_down(engine) -> None:
    more, less = two_topics(engine)
    clusters = np.asarray(engine.catalogue.clusters)
    mixed = more[:1] + less[:1]
    alone = engine.ranker.similar(mixed, 30)
    pushed = engine.ranker.similar(mixed[:1], 30, negative=mixed[1:])
    in_second = [int((clusters[[hit.row for hit in hits]] == 1).sum()) for hits in (alone, pushed)]
    assert in_second[1] < in_second[0]


def test_shared_words_are_used_by_the_marked_papers(engine) -> None:
    more, _ = two_topics(engine)
    words = engine.ranker.shared_words(more)
    assert words
    # A shared term is a word or a phrase (words side by side, lib/phrases.py): each must be in two marked papers' text.
    papers = engine.catalogue.papers
    texts = [
        " " + " ".join(tokenize(f"{papers['title'].iloc[r]} {papers['abstract'].iloc[r]}")) + " "
        for r in map(engine.catalogue.row_of, more)
    ]
    assert all(sum(f" {term} " in text for text in texts) >= 2 for term in words)
    assert engine.ranker.shared_words(more[:1])  # one paper: its own main words


def test_an_unknown_paper_is_named(engine) -> None:
    with pytest.raises(KeyError, match="nope"):
        engine.ranker.similar(["nope"], 5)
    with pytest.raises(KeyError, match="nada"):
        engine.ranker.similar(engine.catalogue.papers["id"].iloc[0], 5, negative=["nada"])


def open_app(models, **params) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception
    return app


def test_mark_on_the_search_page_then_rank_on_the_marked_page(demo_model_set, monkeypatch, engine) -> None:
    monkeypatch.setenv("MODELS_DIR", str(demo_model_set.parent))
    app = open_abstracts(open_app(demo_model_set, q="qubits stabilizer codes"))  # the marks sit under each abstract
    assert len(app.get("segmented_control")) == 10
    first = engine.ranker.search("qubits stabilizer codes", 10)
    app.segmented_control[0].set_value("more like").run()
    app.segmented_control[1].set_value("less like").run()
    app.switch_page("pages/marked.py").run()
    assert not app.exception
    assert app.query_params["more"] == first[0].paper_id
    assert app.query_params["less"] == first[1].paper_id
    expected = engine.ranker.similar([first[0].paper_id], 20, negative=[first[1].paper_id])
    cards = [link.proto.label for link in app.get("page_link") if link.proto.label.startswith("**")]  # each row's title
    assert len(cards) == 20
    assert [b.proto.label for b in app.get("download_button")] == ["Save as interest", "CSV", "BibTeX"]
    assert any("main words" in m.value for m in app.markdown)
    assert expected[0].paper_id != first[0].paper_id


def test_marked_page_from_a_link_and_with_nothing_marked(demo_model_set, monkeypatch, engine) -> None:
    monkeypatch.setenv("MODELS_DIR", str(demo_model_set.parent))
    more, less = two_topics(engine)
    app = open_app(demo_model_set)
    app.switch_page("pages/marked.py").run()
    assert not app.exception and "Mark papers as" in app.info[0].value
    app.query_params["more"] = more[:2]
    app.query_params["less"] = [less[0], "not-a-paper"]
    app.run()
    assert not app.exception
    assert "1 paper(s) in the link are not in this model set" in app.warning[0].value
    assert any(m.value.startswith("**Words the papers marked 'more like' share:**") for m in app.markdown)
    app.button(key="remove-" + more[0]).click().run()
    assert app.query_params["more"] == more[1]
