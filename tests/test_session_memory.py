"""A session that keeps searching holds the widgets of its last page, not of every page it ever showed."""

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, open_abstracts

APP = str(ROOT / "app.py")
QUERIES = [
    "turbulent boundary layers and vortex shedding",
    "graph neural networks for molecules",
    "quantum error correction codes",
    "protein folding with deep learning",
    "galaxy cluster dark matter lensing",
    "reinforcement learning for robot control",
]


@pytest.fixture
def models(tmp_path, demo_model_set, monkeypatch):
    shutil.copytree(demo_model_set, tmp_path / "demo")
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    return tmp_path


def remembered(app: AppTest) -> tuple[set[str], set[str]]:
    """The widget ids whose metadata the session keeps, and the widget keys it maps."""
    state = app._session_state._state
    return set(state._new_widget_state.widget_metadata), set(state._key_id_mapper._key_id_mapping)


def test_searching_again_and_again_keeps_only_the_widgets_on_the_page(models) -> None:
    app = AppTest.from_file(APP, default_timeout=120).run()
    shown: list[int] = []
    for query in QUERIES:
        app.text_input[0].input(query).run()
        assert not app.exception, app.exception
        assert len(app.expander) == 10  # a page of results: ten rows, each a keyed expander (a widget)
        ids, keys = remembered(app)
        on_page = {expander.proto.id for expander in app.expander}
        assert on_page <= ids  # what is drawn stays known: its clicks still reach it
        # The rows' keys map to this page's rows only (an expander's id ends with its key).
        assert {key for key in keys if key.startswith("abstract-")} == {id.split("-", 2)[2] for id in on_page}
        shown.append(len(ids))
    # Every query shows ten new rows; without the clean-up the session kept 10 more widgets per query (60 here).
    assert max(shown) - min(shown) <= 2, shown


def test_a_row_opened_after_the_clean_up_still_answers(models) -> None:
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["q"] = QUERIES[0]
    app.run()
    app.text_input[0].input(QUERIES[1]).run()
    app = open_abstracts(app)  # sets each row's expander open through its key, as a click does
    assert all(expander.markdown for expander in app.expander)  # every abstract drawn in place
    assert [b.label for b in app.expander[0].button] == ["More like this"]
    app.expander[0].button[0].click().run()  # the action's callback still fires: the search page asks like=<id>
    assert not app.exception, app.exception
    assert "like" in app.query_params
