"""The real app driven by Streamlit's AppTest against a real model set."""

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture
def models(tmp_path, demo_model_set, monkeypatch):
    shutil.copytree(demo_model_set, tmp_path / "demo")
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    return tmp_path


def test_without_a_model_set_every_page_shows_the_build_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    for page in (None, "pages/map.py"):
        app = AppTest.from_file(APP, default_timeout=60).run()
        if page:
            app.switch_page(page).run()
        assert not app.exception
        assert any("python -m lib build" in code.value for code in app.code)


def test_search_from_the_url_lists_hits_with_topic_and_synthetic_badge(models) -> None:
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["q"] = "qubits stabilizer codes"
    app.run()
    assert not app.exception
    assert app.text_input[0].value == "qubits stabilizer codes"
    titles = [m.value for m in app.markdown if m.value.startswith("**")]
    assert len(titles) == 10
    assert any("synthetic" in w.value.lower() for w in app.sidebar.warning)
    assert "demo" in app.sidebar.selectbox[0].value


def test_unknown_words_are_listed_and_nothing_known_says_so(models) -> None:
    app = AppTest.from_file(APP, default_timeout=120).run()
    app.text_input[0].input("zzyzxq blorptastic").run()
    assert not app.exception
    assert any("zzyzxq" in c.value for c in app.caption)
    assert any("None of these words" in w.value for w in app.warning)
    assert app.query_params["q"] == "zzyzxq blorptastic"


def test_map_pins_the_query_in_its_topic(models) -> None:
    app = AppTest.from_file(APP, default_timeout=120).run()
    app.switch_page("pages/map.py").run()
    app.text_input[0].input("galaxies stellar mass dark matter halos").run()
    assert not app.exception
    assert any("falls in topic" in c.value for c in app.caption)
    assert len(app.get("plotly_chart")) == 1
