"""What Streamlit remembers stays bounded: a session that keeps searching holds the widgets of its last page, not of
every page it ever showed, and a cache does not keep a lock for every value it ever computed."""

import gc
import shutil

import pytest
import streamlit as st
from streamlit.runtime.caching import cache_utils
from streamlit.testing.v1 import AppTest

from pages.streamlit_memory import LOCKS_KEPT, bound_compute_locks
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


def caches() -> list[cache_utils.Cache]:
    """Every Streamlit cache this process holds."""
    return [found for found in gc.get_objects() if isinstance(found, cache_utils.Cache)]


def test_a_cache_keeps_a_bounded_number_of_compute_locks() -> None:
    assert bound_compute_locks()
    before = {id(cache) for cache in caches()}

    @st.cache_data(max_entries=10)
    def double(x: int) -> int:
        return 2 * x

    values = [double(x) for x in range(3 * LOCKS_KEPT)] + [double(x) for x in range(3 * LOCKS_KEPT)]
    assert values == [2 * x for x in range(3 * LOCKS_KEPT)] * 2  # evicted values are computed again, right
    new = [cache for cache in caches() if id(cache) not in before]
    assert new, "no cache made for the function"
    # Without the bound the cache kept a lock per argument ever seen: 3 * LOCKS_KEPT here.
    assert all(len(cache._value_locks) <= LOCKS_KEPT for cache in new), [len(cache._value_locks) for cache in new]
