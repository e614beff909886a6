"""No link parameter raises on any page, and a link the app writes either fits Streamlit and the server or says it does not."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from lib.engine import load_engine
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
REPRODUCIBLE = settings(derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
# Every key each page reads from its link.
PAGE_KEYS = {
    "pages/search.py": ["model", "q", "mode", "k", "cat", "from", "to", "like"],
    "pages/map.py": ["model", "q", "focus", "level", "legend"],
    "pages/topics.py": ["model", "level", "topic", "compare", "by", "grow_from", "grow_to", "p"],
    "pages/paper.py": ["model", "id"],
    "pages/marked.py": ["model", "more", "less", "k"],
}
# Values that have broken link parsing somewhere, and values pages really use.
TRICKY = ["--1", "²", "١٢", "9" * 5000, "-1", "0", "1", "3", "1,2", ",", "", " ", "month", "2021", "2024-02", "semantic", "math.PR", "demo"]
# Real URLs never carry lone surrogates (parse_qs decodes with errors="replace"), so neither do these.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
VALUE = st.one_of(st.sampled_from(TRICKY), TEXT)


@pytest.fixture(scope="module")
def engine(demo_model_set: Path):
    return load_engine(demo_model_set)


@pytest.fixture(scope="module")
def models(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("links")
    shutil.copytree(demo_model_set, root / "demo")
    return root


@pytest.fixture
def models_env(models: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MODELS_DIR", str(models))
    return models


def open_page(page: str, params: dict[str, str | list[str]], check: bool = True) -> AppTest:
    """Run the app once, then the page with these link parameters (repeated keys as lists)."""
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    if page != "pages/search.py":
        app.switch_page(page)
    app.run()
    if check:
        assert not app.exception, [e.value for e in app.exception]
    return app


def params_for(page: str):
    keys = st.one_of(st.sampled_from(PAGE_KEYS[page]), TEXT)
    return st.dictionaries(keys, st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3)), max_size=5)


def no_exception(page: str, params: dict) -> None:
    app = open_page(page, params, check=False)
    assert not app.exception, (params, [e.value for e in app.exception])
    assert not any("Traceback" in m.value for m in app.markdown)


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("pages/topics.py", {"compare": "--1"}),
        ("pages/topics.py", {"compare": "²"}),
        ("pages/topics.py", {"compare": "9" * 5000}),
        ("pages/topics.py", {"topic": "0", "p": "9" * 5000, "level": "²"}),
        ("pages/search.py", {"q": "galaxies", "k": "١٠", "from": "--1", "to": "9" * 5000, "cat": ["math.PR", "nope"]}),
        ("pages/map.py", {"focus": "9" * 5000, "level": "-1"}),
        ("pages/marked.py", {"more": ["a", "b"], "less": "", "k": "²"}),
        ("pages/paper.py", {"id": ["x", ""]}),
    ],
)
def test_links_that_raised_now_open(models_env: Path, page: str, params: dict) -> None:
    no_exception(page, params)


def test_unknown_topics_to_compare_are_named_and_left_out(models_env: Path) -> None:
    app = open_page("pages/topics.py", {"compare": ["0", "²", "--1", "999"]})
    assert app.multiselect[0].value == [0]
    assert any("left out" in w.value and "999" in w.value for w in app.warning)


@pytest.mark.parametrize("page", sorted(PAGE_KEYS))
def test_any_link_parameters_open_every_page_without_an_exception(models_env: Path, page: str) -> None:
    @settings(REPRODUCIBLE, max_examples=25)
    @given(params_for(page))
    @example({key: "9" * 5000 for key in PAGE_KEYS[page]})
    @example({key: ["--1", "²"] for key in PAGE_KEYS[page]})
    def check(params: dict) -> None:
        no_exception(page, params)

    check()


# Marks in the link -------------------------------------------------------------------------------------


def test_marks_are_one_comma_joined_value_and_the_old_repeated_form_still_reads(models_env: Path, engine) -> None:
    ids = engine.catalogue.ids(range(6))
    app = open_page("pages/marked.py", {"more": ids[:3], "less": ids[3]})  # the old form: one key per paper
    assert app.query_params["more"] == ",".join(ids[:3]) and app.query_params["less"] == ids[3]
    app = open_page("pages/marked.py", {"more": ",".join(ids[:2]), "less": f"{ids[4]},{ids[5]}"})
    assert app.query_params["more"] == ",".join(ids[:2]) and app.query_params["less"] == f"{ids[4]},{ids[5]}"
    assert [s.value for s in app.subheader][:2] == ["Marked more like (2)", "Marked less like (2)"]


def test_two_thousand_marked_papers_say_they_do_not_fit_in_a_link(models_env: Path, engine) -> None:
    from lib import urlstate

    ids = engine.catalogue.ids(range(len(engine.catalogue.papers)))
    unknown = [f"unknown-{i}" for i in range(2000 - len(ids))]
    # 2,000 papers in two parameters: Streamlit reads them, but the page could not write them back into a link that opens.
    app = open_page("pages/marked.py", {"more": ",".join(ids[:1000] + unknown), "less": ",".join(ids[1000:])})
    assert any("800 paper(s) in the link are not in this model set" in w.value for w in app.warning)
    assert any("Too many marked papers to keep in the link" in w.value for w in app.warning)
    assert "more" not in app.query_params and "less" not in app.query_params  # not a link that opens on an error page
    assert [s.value for s in app.subheader][:2] == ["Marked more like (1000)", "Marked less like (200)"]  # still marked here
    assert urlstate.link_problem(app.query_params) is None


def test_marks_made_in_the_session_that_outgrow_a_link_say_so(models_env: Path, engine) -> None:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.session_state["marks"] = {"demo": dict.fromkeys(engine.catalogue.ids(range(len(engine.catalogue.papers))), 1)}
    app.switch_page("pages/marked.py").run()
    assert not app.exception
    assert any("Too many marked papers to keep in the link" in w.value for w in app.warning)
    assert "more" not in app.query_params


def test_a_link_streamlit_drops_for_its_length_is_named_not_an_empty_page(models_env: Path, engine) -> None:
    # The old repeated form of 2,000 marks: Streamlit ignores a query string of more than 1,000 parameters altogether.
    app = open_page(
        "pages/marked.py", {"more": engine.catalogue.ids(range(1000)), "less": engine.catalogue.ids(range(1000, 1200)) + ["x"] * 800}
    )
    (warning,) = [w.value for w in app.warning if "Streamlit reads" in w.value]
    assert "2,000 parameters" in warning and "1,000" in warning
    assert "Mark papers as" in app.info[0].value


def test_marks_that_fit_stay_in_the_link(models_env: Path, engine) -> None:
    ids = engine.catalogue.ids(range(300))
    app = open_page("pages/marked.py", {"more": ",".join(ids)})
    assert not any("Too many" in w.value for w in app.warning)
    assert app.query_params["more"] == ",".join(ids)


# Links the pages write --------------------------------------------------------------------------------------


def test_the_links_pages_write_name_the_model_set_they_show(demo_model_set: Path, tmp_path: Path, monkeypatch, engine) -> None:
    """Page links and the map selection's paper-page column (drawn on a canvas, so not followed in the browser test)."""
    for name in ("demo", "second"):
        shutil.copytree(demo_model_set, tmp_path / name)
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    ids = engine.catalogue.ids([2, 4, 6])
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["model"] = "second"
    app.run()
    app.switch_page("pages/map.py")
    points = [{"customdata": [i], "curve_number": 1, "point_index": n} for n, i in enumerate(ids)]
    app.session_state["map"] = {"selection": {"points": points, "point_indices": [0, 1, 2], "box": [{}], "lasso": []}}
    app.run()
    assert not app.exception
    links = [urlparse(link) for link in app.dataframe[0].value["link"]]
    assert [(link.path, parse_qs(link.query)) for link in links] == [("/paper", {"id": [i], "model": ["second"]}) for i in ids]
    for page, params in (("pages/topics.py", {"topic": "0"}), ("pages/paper.py", {"id": ids[0]}), ("pages/search.py", {"like": ids[0]})):
        app = open_page(page, {**params, "model": "second"})
        queries = [parse_qs(link.proto.query_string) for link in app.get("page_link")]
        assert queries and all(query["model"] == ["second"] for query in queries), (page, queries)
