"""The catalogue beside the ranker: lookups and tables from the catalogue, per-query options as arguments of the ranker."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from lib.engine import load_engine
from lib.search import LEXICAL_WEIGHT


@pytest.fixture(scope="module")
def engine(demo_model_set):
    return load_engine(demo_model_set)


def test_rows_and_ids_round_trip_and_unknown_ids_are_named(engine) -> None:
    catalogue = engine.catalogue
    ids = catalogue.ids([5, 0, 9])
    assert catalogue.rows_of([*ids, ids[0]]) == [5, 0, 9]
    assert catalogue.known_rows(["nope", ids[1], "9999.99999"]) == [0]
    with pytest.raises(KeyError, match="'nope' is not in model set"):
        catalogue.rows_of([ids[0], "nope"])
    assert catalogue.row_of(ids[2] + "v3") == 9


def test_listing_is_plain_data_and_links_are_left_to_the_pages(engine) -> None:
    catalogue = engine.catalogue
    ids = catalogue.ids([3, 1])
    table = catalogue.listing([ids[0], "unknown", ids[1]])
    assert list(table.columns) == ["id", "title", "updated", "topic"]
    assert list(table["id"]) == ids
    assert list(table["topic"]) == [catalogue.topic_label(int(catalogue.clusters[row])) for row in (3, 1)]


def test_level_clusters_give_every_paper_its_topic_at_that_level(engine) -> None:
    catalogue = engine.catalogue
    assert np.array_equal(catalogue.level_clusters(0), catalogue.clusters)
    top = len(catalogue.levels) - 1
    coarse = catalogue.level_clusters(top)
    assert len(coarse) == len(catalogue) and np.array_equal(coarse, catalogue.level(top).clusters(catalogue.clusters))
    assert np.array_equal(catalogue.level_clusters(top + 5), coarse)  # out of range: the nearest level


def test_keyword_weight_is_an_argument_of_one_query_not_a_setting_of_the_engine(engine) -> None:
    ranker = engine.ranker
    query = "qubits stabilizer codes and error correction"
    default = ranker.search(query, k=10)
    semantic_scores = ranker.scores_for_query(query, "semantic")
    meaning_only = ranker.search(query, k=10, lexical_weight=0.0)
    assert [h.score for h in meaning_only] == pytest.approx(sorted(semantic_scores, reverse=True)[:10], abs=1e-6)
    keywords_only = ranker.search(query, k=10, lexical_weight=1.0)
    assert [h.paper_id for h in keywords_only] == [h.paper_id for h in ranker.search(query, k=10, mode="lexical")]
    assert [h.paper_id for h in meaning_only] != [h.paper_id for h in keywords_only]  # the weight matters here
    assert ranker.search(query, k=10) == default  # nothing was left behind for the next query
    blended = ranker.scores_for_query(query, "hybrid", lexical_weight=LEXICAL_WEIGHT)
    assert np.allclose(blended, ranker.scores_for_query(query))


def test_concurrent_queries_with_different_weights_each_get_their_own(engine) -> None:
    ranker = engine.ranker
    query = "turbulent boundary layers and vortex shedding"
    expected = {w: [h.paper_id for h in ranker.search(query, k=10, lexical_weight=w)] for w in (0.0, 1.0)}
    assert expected[0.0] != expected[1.0]
    wrong = []

    def run(weight: float) -> None:
        for _ in range(20):
            if [h.paper_id for h in ranker.search(query, k=10, lexical_weight=weight)] != expected[weight]:
                wrong.append(weight)

    threads = [threading.Thread(target=run, args=(w,)) for w in (0.0, 1.0, 0.0, 1.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong
