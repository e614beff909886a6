"""The real app driven by Streamlit's AppTest against a real model set built once per session."""

import json
import shutil
from urllib.parse import parse_qs

import numpy as np
import orjson
import pytest
from streamlit.testing.v1 import AppTest

from lib.engine import load_engine
from lib.figures import MapTopics, map_topic_places, view_overlay
from lib.mapview import View
from lib.snippets import query_terms, snippet
from lib.text import markdown_marked, markdown_with_math
from lib.topic_views import topic_members
from tests.conftest import ROOT, open_abstracts

APP = str(ROOT / "app.py")
PAGES = ("pages/search.py", "pages/map.py", "pages/topics.py", "pages/paper.py")


@pytest.fixture(scope="module")
def engine(demo_model_set):
    return load_engine(demo_model_set)


@pytest.fixture
def models(tmp_path, demo_model_set, monkeypatch):
    shutil.copytree(demo_model_set, tmp_path / "demo")
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    return tmp_path


def open_app(page: str | None = None, **params: str | list[str]) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, app.exception
    return app


def card_titles(app: AppTest) -> list[str]:
    """The titles of the result rows, in order: each row's title is a link to its paper's page, in bold."""
    return [link.proto.label for link in app.get("page_link") if link.proto.label.startswith("**") and link.proto.label.endswith("**")]


def card(title: str) -> str:
    """How a result row shows a title."""
    return f"**{markdown_with_math(title, inline=True)}**"


def card_links(app: AppTest) -> list[dict[str, list[str]]]:
    """The query of each result row's title link."""
    return [parse_qs(link.proto.query_string) for link in app.get("page_link") if link.proto.label.startswith("**")]


def test_without_a_model_set_every_page_shows_the_build_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    for page in PAGES:
        app = open_app(page)
        assert any("python -m lib build" in code.value for code in app.code), page


def test_search_from_the_url_lists_hits_with_topic_and_synthetic_badge(models) -> None:
    app = open_app(q="qubits stabilizer codes")
    assert app.text_input[0].value == "qubits stabilizer codes"
    assert len(card_titles(app)) == 10
    captions = [c.value for c in app.caption]
    assert sum("topic:" in c and "score" in c for c in captions) == 10
    # Each title opens its paper's page; each row's abstract snippet opens in place on the whole abstract.
    assert all(link["model"] == ["demo"] and link["id"] for link in card_links(app))
    # Closed, a row holds only its snippet: the whole abstract is drawn once it is opened.
    assert len(app.expander) == 10 and not any(e.markdown for e in app.expander)
    assert all(any(m.value for m in e.markdown) for e in open_abstracts(app).expander)
    assert any("synthetic" in w.value.lower() for w in app.sidebar.warning)
    assert "synthetic demo data" in app.sidebar.selectbox[0].format_func(app.sidebar.selectbox[0].value)


def test_typed_query_goes_to_the_url_and_lists_the_engines_ranking(models, engine) -> None:
    query = "turbulent boundary layers and vortex shedding"
    app = open_app()
    app.text_input[0].input(query).run()
    assert app.query_params["q"] == query
    assert card_titles(app) == [card(engine.catalogue.papers.iloc[h.row]["title"]) for h in engine.ranker.search(query, k=10)]


def test_empty_query_prompts_and_unknown_words_are_listed(models) -> None:
    app = open_app()
    assert any("Type a question" in i.value for i in app.info) and not card_titles(app)
    app.text_input[0].input("zzyzxq blorptastic").run()
    assert any("zzyzxq" in c.value and "ignored" in c.value for c in app.caption)
    assert any("None of these words" in w.value for w in app.warning) and not card_titles(app)


def test_category_and_year_filters_come_from_the_url(models, engine) -> None:
    app = open_app(q="qubits stabilizer codes", cat=["math.PR"], **{"from": "2021", "to": "2022"})
    assert app.sidebar.multiselect[0].value == ["math.PR"]
    assert app.sidebar.slider[1].value == (2021, 2022)
    expected = engine.ranker.search("qubits stabilizer codes", k=10, categories=("math.PR",), years=(2021, 2022))
    assert expected and card_titles(app) == [card(engine.catalogue.papers.iloc[h.row]["title"]) for h in expected]
    for hit in expected:
        paper = engine.catalogue.papers.iloc[hit.row]
        assert "math.PR" in paper["categories"].split() and paper["update_date"][:4] in {"2021", "2022"}


def test_more_like_this_ranks_by_the_papers_own_vector(models, engine) -> None:
    source = engine.catalogue.papers.iloc[7]["id"]
    app = open_app(like=source)
    expected = [card(engine.catalogue.papers.iloc[h.row]["title"]) for h in engine.ranker.similar(source, k=20)]
    assert card_titles(app) == [card(engine.catalogue.papers.iloc[7]["title"]), *expected]


def test_map_pins_the_query_as_its_own_trace_and_names_its_topic(models, engine) -> None:
    app = open_app("pages/map.py", q="galaxies stellar mass dark matter halos")
    assert any("falls in topic" in m.value for m in app.markdown)
    spec = app.get("plotly_chart")[0].proto.spec
    figure = json.loads(spec)
    names = [trace.get("name", "") for trace in figure["data"]]
    assert {f"{t['id']}: {t['label']}" for t in engine.catalogue.topics} <= set(names)
    # The pin travels beside the map, for the browser to draw over it (pages/map_view.js): the map is the same for
    # every query, so it is not sent again.
    pins = json.loads(json.loads(app.get("bidi_component")[0].proto.json)["pins"])
    pinned = [trace["name"] for trace in pins]
    assert len(pins) == 2 and pinned[0] == "Top hits" and pinned[1].startswith("Query: galaxies stellar mass")
    assert len(pins[0]["x"]) == 10 and all(trace["uid"].startswith("pin-") for trace in pins)
    assert not any(name.startswith("Query") or name == "Top hits" for name in names)
    app.text_input[0].set_value("turbulent boundary layers").run()
    assert app.get("plotly_chart")[0].proto.spec == spec
    assert json.loads(json.loads(app.get("bidi_component")[0].proto.json)["pins"])[1]["name"] == "Query: turbulent boundary layers"


def test_map_selection_injected_through_session_state_lists_the_papers(models, engine) -> None:
    ids = list(engine.catalogue.papers["id"].iloc[[2, 4, 6]])
    app = AppTest.from_file(APP, default_timeout=120).run()
    app.switch_page("pages/map.py")
    points = [{"customdata": [i], "curve_number": 1, "point_index": n} for n, i in enumerate(ids)]
    app.session_state["map"] = {"selection": {"points": points, "point_indices": [0, 1, 2], "box": [{}], "lasso": []}}
    app.run()
    assert not app.exception
    assert any("3 selected papers" in h.value for h in app.subheader)
    table = app.dataframe[0].value
    assert list(table["title"]) == list(engine.catalogue.papers["title"].iloc[[2, 4, 6]])


def test_topics_table_and_a_chosen_topic_from_the_url(models, engine) -> None:
    app = open_app("pages/topics.py")
    table = app.dataframe[0].value
    assert len(table) == len(engine.catalogue.topics) and {"id", "label", "size", "categories", "years"} <= set(table.columns)
    topic = max(engine.catalogue.topics, key=lambda t: t["size"])
    app = open_app("pages/topics.py", topic=str(topic["id"]))
    assert any(f"Topic {topic['id']}" in h.value for h in app.subheader)
    assert len(card_titles(app)) == min(20, topic["size"])
    assert card_titles(app)[0] == card(engine.catalogue.papers.loc[topic_members(engine.catalogue.papers, topic).index[0], "title"])
    assert any("Keywords" in m.value for m in app.markdown)


def test_topic_paging_is_in_the_url(models, engine) -> None:
    topic = max(engine.catalogue.topics, key=lambda t: t["size"])
    first = card_titles(open_app("pages/topics.py", topic=str(topic["id"])))
    second = card_titles(open_app("pages/topics.py", topic=str(topic["id"]), p="2"))
    assert second and not set(first) & set(second)


def test_paper_page_and_an_unknown_id(models, engine) -> None:
    paper = engine.catalogue.papers.iloc[11]
    app = open_app("pages/paper.py", id=paper["id"])
    assert app.title[0].value == markdown_with_math(paper["title"], inline=True)
    assert any("Nearest papers" in h.value for h in app.subheader)
    assert card_titles(app) == [card(engine.catalogue.papers.iloc[h.row]["title"]) for h in engine.ranker.similar(paper["id"], k=10)]
    app = open_app("pages/paper.py", id="9999.99999")
    assert any("No paper with id" in w.value for w in app.warning)


def test_topics_over_time_compares_topics_and_lists_the_fastest_growing(models, engine) -> None:
    app = open_app("pages/topics.py", compare=["0", "1"])
    assert not app.exception
    assert app.multiselect[0].value == [0, 1]
    assert any(m.value.startswith("**Fastest-growing topics**") for m in app.markdown)
    assert len(app.get("vega_lite_chart")) == 1  # the comparison (the per-year bars show only for a chosen topic)
    app.radio[-1].set_value("month").run()
    assert not app.exception and app.query_params["by"] == "month"
    growth = app.dataframe[-1].value
    assert list(growth.columns) == ["id", "label", "earlier half", "later half", "growth"]
    assert growth["growth"].is_monotonic_decreasing and set(growth["id"]) <= {t["id"] for t in engine.catalogue.topics}


def test_result_snippets_mark_the_query_words_and_open_on_the_whole_abstract(models, engine) -> None:
    query = "turbulent boundary layers and vortex shedding"
    app = open_abstracts(open_app(q=query))
    hits = engine.ranker.search(query, k=10)
    terms = query_terms(query)
    for hit, expander in zip(hits, app.expander, strict=True):
        abstract = engine.catalogue.papers.iloc[hit.row]["abstract"]
        excerpt = snippet(abstract, terms)
        assert expander.label == markdown_marked(excerpt.text, excerpt.spans)
        assert expander.markdown[0].value == markdown_with_math(abstract)  # the whole abstract, in place
        # The row's actions sit under its abstract: more like this, and the mark toggle.
        assert [b.label for b in expander.button] == ["More like this"]
    assert sum("**" in e.label for e in app.expander) >= 5  # most snippets hold a query word, in bold


def test_the_map_keys_topics_by_their_labels_and_shows_a_legend_on_request(models, engine) -> None:
    app = open_app("pages/map.py", q="galaxies stellar mass dark matter halos")
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    topics = [
        t for t in figure["data"] if t.get("mode") == "markers" and t["name"] not in ("Top hits",) and not t["name"].startswith("Query")
    ]
    assert topics and all(t.get("showlegend") is False for t in topics)  # out of the legend, named on hover
    labels = figure["layout"]["annotations"]
    assert len({label["font"]["color"] for label in labels}) > 1  # each label in its topic's colour: the labels are the key
    assert figure["layout"]["legend"]["x"] < 0.5 and figure["layout"]["height"] >= 450  # the query's legend in a corner
    app = open_app("pages/map.py", q="galaxies stellar mass dark matter halos", legend="1")
    assert app.toggle[0].value is True
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert all(t.get("showlegend", True) for t in figure["data"] if t.get("mode") == "markers")


def test_map_labels_leave_the_query_legends_corner_free_unless_the_legend_is_beside_the_map(models, engine) -> None:
    """The page places the view's labels round the pinned query's legend in the plot's corner, and not when the Legend
    switch lists every topic beside the map (where the labels go is lib's: tests/test_mapview.py)."""
    query = "qubits stabilizer codes"

    def overlay(view: dict, **params: str) -> dict:
        app = AppTest.from_file(APP, default_timeout=120)
        for key, value in params.items():
            app.query_params[key] = value
        app.session_state["map-view"] = {"view": view}  # as the browser reports it
        app.run()
        app.switch_page("pages/map.py").run()
        assert not app.exception, app.exception
        data = json.loads(app.get("bidi_component")[0].proto.json)
        return {"labels": json.loads(data["overlay"])["labels"], "legend": [trace["name"] for trace in json.loads(data["pins"])]}

    catalogue = engine.catalogue
    topics = MapTopics(
        map_topic_places(catalogue),
        catalogue.clusters,
        catalogue.level_clusters(0),
        0,
        {topic["id"]: topic["label"] for topic in catalogue.level(0).topics},
    )

    def placed(view: dict, legend: list[str]) -> list[dict]:
        labels = view_overlay(catalogue.papers, topics, View.parse(view), 50_000, legend)["labels"]
        return json.loads(orjson.dumps(labels, option=orjson.OPT_SERIALIZE_NUMPY))

    # A view (60 pixels a unit) with a topic's centre 120 and 25 pixels into the plot, under the legend: the first,
    # largest topic first, where the legend changes where labels go.
    legend = overlay({"x": [0, 10], "y": [0, 8], "width": 700, "height": 540}, q=query)["legend"]
    assert len(legend) == 2
    views = []
    for topic in sorted(catalogue.level(0).topics, key=lambda topic: -topic["size"]):
        members = np.asarray(catalogue.clusters) == topic["id"]
        left = float(np.median(catalogue.papers["x"][members])) - 120 / 60
        top = float(np.median(catalogue.papers["y"][members])) + 25 / 60
        views.append({"x": [left, left + 700 / 60], "y": [top - 540 / 60, top], "width": 700, "height": 540})
    view = next((view for view in views if placed(view, legend) != placed(view, [])), None)
    assert view is not None, "no topic's label would lie under the legend: the demo map's layout leaves nothing to test"
    assert overlay(view, q=query)["labels"] == placed(view, legend)
    assert overlay(view, q=query, legend="1")["labels"] == placed(view, [])
    assert overlay(view)["labels"] == placed(view, [])
