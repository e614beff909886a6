"""Coarser topic levels: topics joined by the similarity of their papers, with labels, on the map and topics pages."""

from __future__ import annotations

import json

import numpy as np
from streamlit.testing.v1 import AppTest

from lib.engine import load_engine
from lib.levels import levels_from_json, levels_to_json, topic_centres, topic_levels
from lib.modelset import load_model_set
from tests.conftest import ROOT
from tests.test_broken_sets import copy_set, load_error, rebuild_advice, replace_file, rewrite_manifest


def topic(topic_id: int, size: int, keywords: list[str], centre: list[float]) -> dict:
    return {
        "id": topic_id,
        "size": size,
        "keywords": keywords,
        "label": ", ".join(keywords[:3]),
        "top_categories": [["cs.X", 1.0]],
        "centre": centre,
    }


def test_two_pairs_of_alike_topics_join_in_pairs_then_into_one_pair() -> None:
    directions = {0: [1, 0, 0, 0], 1: [0.9, 0.1, 0, 0], 2: [0, 0, 1, 0], 3: [0, 0, 0.9, 0.1], 4: [0.5, 0.5, 0.5, 0.5]}
    clusters = np.array([0] * 6 + [1] * 4 + [2] * 5 + [3] * 3 + [4] * 2 + [-1] * 2)
    vectors = np.array([directions[c] if c >= 0 else [0, 1, 0, 0] for c in clusters], dtype=np.float32)
    topics = [
        topic(0, 6, ["spin", "chain"], [0.0, 0.0]),
        topic(1, 4, ["spin", "glass"], [1.0, 0.0]),
        topic(2, 5, ["graph", "network"], [10.0, 10.0]),
        topic(3, 3, ["graph", "walks"], [11.0, 10.0]),
        topic(4, 2, ["mixed"], [5.0, 5.0]),
    ]
    assert np.allclose(topic_centres(vectors, clusters, [0, 2])[1], [0, 0, 1, 0])
    levels = topic_levels(vectors, clusters, topics)
    assert [len(level.topics) for level in levels] == [5, 2]
    coarse = levels[1]
    assert coarse.group_of[0] == coarse.group_of[1] != coarse.group_of[2] == coarse.group_of[3]
    first = coarse.topics[0]
    assert first["topics"] == sorted(t for t, g in coarse.group_of.items() if g == first["id"])
    assert first["size"] == sum(t["size"] for t in topics if t["id"] in first["topics"])
    assert [t["size"] for t in coarse.topics] == sorted((t["size"] for t in coarse.topics), reverse=True)
    spin = coarse.topics[[t["keywords"][0] for t in coarse.topics].index("spin")]
    assert spin["keywords"][:3] == ["spin", "chain", "glass"] and spin["label"] == "spin, chain, glass"
    members = [t for t in topics if t["id"] in spin["topics"]]
    expected = np.average([t["centre"] for t in members], axis=0, weights=[t["size"] for t in members])
    assert {0, 1} <= set(spin["topics"]) and np.allclose(spin["centre"], expected, atol=1e-4)
    mapped = coarse.clusters(clusters)
    assert (mapped[clusters == -1] == -1).all() and len(set(mapped[clusters >= 0].tolist())) == 2


def test_levels_survive_the_trip_through_levels_json_and_refuse_other_topics() -> None:
    clusters = np.repeat(np.arange(8), 4)
    vectors = np.random.default_rng(0).normal(size=(len(clusters), 8)).astype(np.float32)
    topics = [topic(i, 4, [f"word{i}", "shared"], [float(i), 0.5]) for i in range(8)]
    levels = topic_levels(vectors, clusters, topics)
    assert len(levels) == 3
    assert levels_from_json(json.loads(json.dumps(levels_to_json(levels))), topics) == levels
    records = levels_to_json(levels)
    for wrong, message in (
        (records, "does not group this set's topics"),
        ({"group_of": []}, "expected a list of levels"),
        ([{"topics": []}], "level 1 is malformed"),
    ):
        try:
            levels_from_json(wrong, topics[:7] if wrong is records else topics)
        except ValueError as error:
            assert message in str(error)
        else:
            raise AssertionError(f"accepted {str(wrong)[:60]}")


def test_few_topics_have_one_level() -> None:
    topics = [topic(0, 3, ["a"], [0, 0]), topic(1, 3, ["b"], [1, 1])]
    levels = topic_levels(np.eye(6, 4, dtype=np.float32), np.array([0, 0, 0, 1, 1, 1]), topics)
    assert len(levels) == 1 and levels[0].topics == topics


def test_the_demo_set_has_levels_down_to_two(demo_model_set) -> None:
    engine = load_engine(demo_model_set)
    sizes = [len(level.topics) for level in engine.catalogue.levels]
    assert sizes[0] == len(engine.catalogue.topics) and sizes[-1] == 2 and sizes == sorted(sizes, reverse=True)
    for level in engine.catalogue.levels:
        assert sum(t["size"] for t in level.topics) == sum(t["size"] for t in engine.catalogue.topics)
        assert all(t["label"] for t in level.topics)
    assert engine.catalogue.level(99) is engine.catalogue.levels[-1] and engine.catalogue.level(-3) is engine.catalogue.levels[0]


def test_a_build_stores_the_levels_it_would_compute_and_older_sets_compute_them(demo_model_set, tmp_path) -> None:
    stored = load_model_set(demo_model_set)
    assert stored.levels is not None and len(stored.levels) > 1
    assert stored.levels == topic_levels(stored.vectors, stored.clusters, stored.topics)
    assert load_engine(demo_model_set).catalogue.levels == stored.levels
    older = copy_set(demo_model_set, tmp_path / "older")
    (older / "levels.json").unlink()
    rewrite_manifest(older, lambda manifest: manifest["files"].pop("levels.json"))
    assert load_model_set(older).levels is None and load_engine(older).catalogue.levels == stored.levels


def test_a_levels_file_that_does_not_fit_the_topics_is_named_with_what_to_do(demo_model_set, tmp_path) -> None:
    folder = copy_set(demo_model_set, tmp_path / "odd")
    replace_file(folder, "levels.json", json.dumps([{"group_of": [[0, 0]], "topics": [{"id": 0, "label": "x"}]}]).encode())
    assert str(load_error(folder)) == (
        "model set 'odd': file levels.json could not be opened (ValueError: level 1 does not group this set's topics); "
        f"{rebuild_advice(folder)}"
    )


def test_map_and_topics_pages_follow_the_level_in_the_url(demo_model_set, monkeypatch) -> None:
    monkeypatch.setenv("MODELS_DIR", str(demo_model_set.parent))
    engine = load_engine(demo_model_set)
    coarse = engine.catalogue.levels[1]
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.switch_page("pages/topics.py")
    app.query_params["level"] = "1"
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["label"]) == [t["label"] for t in coarse.topics]
    assert app.select_slider[0].value == 1
    app.select_slider[0].set_value(2).run()
    assert app.query_params["level"] == "2" and len(app.dataframe[0].value) == len(engine.catalogue.levels[2].topics)

    app.switch_page("pages/map.py").run()
    assert not app.exception
    focus = app.main.selectbox[0]
    assert len(focus.options) == len(engine.catalogue.levels[2].topics) + 1
