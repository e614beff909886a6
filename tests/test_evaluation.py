"""The evaluation's metrics pinned by hand, the TF-IDF baseline, and `python -m lib evaluate` end to end."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from lib.cli import main
from lib.engine import load_engine
from lib.evaluation import (
    TfidfBaseline,
    bare_archive,
    clustering_figures,
    differing,
    engine_systems,
    latency_ms,
    mrr_at_k,
    neighbour_precision,
    nmi,
    primary,
    rank_of,
    recall_at_k,
    second_process_rankings,
)


def test_recall_and_mrr_by_hand() -> None:
    ranks = [1, 3, None, 11]
    assert recall_at_k(ranks, 1) == 0.25
    assert recall_at_k(ranks, 10) == 0.5
    assert recall_at_k(ranks, 11) == 0.75
    assert mrr_at_k(ranks, 10) == pytest.approx((1 + 1 / 3) / 4)
    assert mrr_at_k(ranks, 11) == pytest.approx((1 + 1 / 3 + 1 / 11) / 4)
    assert mrr_at_k([2], 1) == 0.0
    assert math.isnan(recall_at_k([], 10)) and math.isnan(mrr_at_k([], 10))


def test_rank_of_is_one_based() -> None:
    assert rank_of("b", ["a", "b", "c"]) == 2
    assert rank_of("a", ["a"]) == 1
    assert rank_of("z", ["a", "b"]) is None


def test_primary_is_the_first_listed_category() -> None:
    assert primary("cs.LG stat.ML") == "cs.LG"
    assert primary("hep-th") == "hep-th"
    assert primary("") == "" and primary(None) == ""


@pytest.mark.parametrize("code", ["cond-mat", "astro-ph", "physics", "math", "cs", "q-bio", "q-fin", "stat", "eess", "econ", "nlin"])
def test_archives_with_subcategories_standing_alone_are_bare(code: str) -> None:
    assert bare_archive(code)


@pytest.mark.parametrize(
    "code",
    ["hep-th", "hep-ph", "hep-ex", "hep-lat", "gr-qc", "quant-ph", "nucl-th", "nucl-ex", "math-ph", "cond-mat.str-el", "cs.CL", "math.AG"],
)
def test_complete_categories_are_not_bare(code: str) -> None:
    assert not bare_archive(code)


def test_neighbour_precision_by_hand() -> None:
    query_cats = ["cs.CL", "hep-th"]
    neighbours = [["cs.CL", "cs.LG", "cs.CL", "cs.CL"], ["hep-th", "gr-qc", "hep-ph", "hep-th"]]
    assert neighbour_precision(query_cats, neighbours, k=4) == pytest.approx((3 / 4 + 2 / 4) / 2)
    assert neighbour_precision(["cs.CL"], [["cs.CL", "cs.CL"]], k=4) == 0.5
    assert neighbour_precision(["cs.CL"], [["cs.CL"] * 12], k=10) == 1.0
    with pytest.raises(ValueError):
        neighbour_precision(["cs.CL"], [])


def test_nmi_of_perfect_and_constant_clusterings() -> None:
    labels = ["cs.CL", "cs.CL", "hep-th", "hep-th", "math.AG", "math.AG"]
    assert nmi([7, 7, 3, 3, 5, 5], labels) == pytest.approx(1.0)
    assert nmi([0, 0, 0, 0, 0, 0], labels) == pytest.approx(0.0)
    assert math.isnan(nmi([], []))


def test_clustering_figures_by_hand() -> None:
    clusters = np.array([0, 0, 1, 1, -1, 0])
    primaries = ["cs.CL", "cs.CL", "hep-th", "hep-th", "cs.LG", "cond-mat"]
    figures = clustering_figures(clusters, primaries)
    assert figures["clusters"] == 2
    assert figures["noise_share"] == pytest.approx(1 / 6)
    assert figures["largest_cluster_share"] == pytest.approx(3 / 6)
    assert figures["clustered_papers"] == 5 and figures["clustered_papers_without_bare_archives"] == 4
    assert figures["nmi_without_bare_archives"] == pytest.approx(1.0)
    assert 0 < figures["nmi"] < 1


def test_differing_counts_rankings_that_changed_in_any_way() -> None:
    assert differing([["a", "b"], ["c"]], [["a", "b"], ["c"]]) == 0
    assert differing([["a", "b"], ["c"]], [["b", "a"], ["c", "d"]]) == 2
    with pytest.raises(ValueError):
        differing([["a"]], [])


def test_latency_in_milliseconds() -> None:
    assert latency_ms([0.001, 0.003, 0.002]) == {"median": pytest.approx(2.0), "p95": pytest.approx(2.9)}


CORPUS = [
    ("Spectral graph theory for community detection", "We partition networks using eigenvectors of the graph Laplacian."),
    ("Quantum error correction with surface codes", "Stabilizer codes protect logical qubits against decoherence."),
    ("Dark matter halos in dwarf galaxies", "We measure rotation curves of dwarf galaxies to constrain halo profiles."),
    ("Neural machine translation with attention", "An encoder-decoder network translates sentences between languages."),
    ("Turbulent boundary layers over rough walls", "Direct numerical simulation of wall-bounded turbulence at high Reynolds number."),
]


def test_tfidf_ranks_a_paper_first_for_its_own_title() -> None:
    baseline = TfidfBaseline([title for title, _ in CORPUS], [abstract for _, abstract in CORPUS])
    for row, (title, _) in enumerate(CORPUS):
        assert baseline.search(title, k=3)[0] == row
    assert baseline.search("zebra xylophone", k=3) == []
    similar = baseline.similar(1, k=10)
    assert 1 not in similar and len(similar) <= 4


def test_tfidf_breaks_score_ties_by_row() -> None:
    baseline = TfidfBaseline(["alpha", "beta", "alpha", "alpha"], ["", "", "", ""])
    assert baseline.search("alpha", k=2) == [0, 2]
    assert baseline.search("alpha", k=10) == [0, 2, 3]


def test_engine_columns_are_hybrid_semantic_and_bm25_of_the_real_engine(demo_model_set: Path) -> None:
    engine = load_engine(demo_model_set)
    systems = engine_systems(engine)
    assert [(s.key, s.mode) for s in systems] == [("model_set", "hybrid"), ("semantic", "semantic"), ("bm25", "lexical")]
    query, paper_id = "qubits stabilizer codes", engine.catalogue.papers["id"].iloc[3]
    for system in systems:
        assert system.search(query, 10) == [h.row for h in engine.ranker.search(query, k=10, mode=system.mode)]
        assert system.similar(3, 10) == [h.row for h in engine.ranker.similar(paper_id, k=10, mode=system.mode)]


@pytest.fixture(scope="module")
def evaluation(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("evaluation") / "figures.json"
    assert main(["evaluate", "--model", str(demo_model_set), "--queries", "50", "--json", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8")), str(demo_model_set)


def test_evaluate_writes_every_figure_in_range(evaluation: tuple[dict, str]) -> None:
    result, _ = evaluation
    systems = result["systems"]
    assert "model_set" in systems and "tfidf" in systems
    assert result["queries"]["known_item"] == 50 and result["queries"]["determinism"] == 50
    assert 0 < result["queries"]["neighbour"] <= 50
    assert result["papers"] == 1200 and result["seed"] == 0 and result["params"]
    assert result["machine"]["cpu_count"] >= 1 and result["machine"]["python"] and result["date"]
    for key in systems:
        assert set(result["known_item"][key]) == {"recall@1", "recall@10", "mrr@10"}
        assert all(0 <= value <= 1 for value in result["known_item"][key].values())
        precision = result["neighbour_precision@10"][key]
        assert precision is None or 0 <= precision <= 1
        assert 0 < result["latency_ms"][key]["median"] <= result["latency_ms"][key]["p95"]
    assert result["neighbour_precision@10"]["model_set"] is not None and result["neighbour_precision@10"]["tfidf"] is not None
    assert result["known_item"]["tfidf"]["recall@10"] > 0.5
    clustering = result["clustering"]
    assert clustering["clusters"] >= 1
    for name in ("noise_share", "nmi", "nmi_without_bare_archives", "largest_cluster_share"):
        assert 0 <= clustering[name] <= 1


def test_evaluate_finds_rankings_identical_in_a_second_process(evaluation: tuple[dict, str]) -> None:
    result, _ = evaluation
    determinism = result["determinism"]
    assert "error" not in determinism
    engine_keys = [key for key, system in result["systems"].items() if system["in_engine"]]
    assert set(determinism["systems"]) == set(engine_keys)
    for key in engine_keys:
        assert determinism["systems"][key] == {"compared": 50, "differing": 0, "result": "identical"}
    assert determinism["child_pid"] != determinism["parent_pid"] == os.getpid()
    assert determinism["child_hash_randomization"] is True


def test_second_process_is_another_process_with_a_random_hash_seed(demo_model_set: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.evaluation import rankings

    monkeypatch.setenv("PYTHONHASHSEED", "0")
    queries = ["quantum error correction", "dark matter halos"]
    child = second_process_rankings(demo_model_set, queries, {"hybrid": "hybrid"})
    assert child["pid"] != os.getpid() and child["hash_randomization"] is True
    assert child["rankings"] == rankings(load_engine(demo_model_set), queries, {"hybrid": "hybrid"})


def test_evaluate_prints_a_markdown_table(demo_model_set: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["evaluate", "--model", str(demo_model_set), "--queries", "5"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"model set {demo_model_set.name}")
    assert "5 known-item queries" in printed and "seed 0" in printed
    for row in ("known-item R@1", "known-item MRR@10", "neighbour category P@10", "NMI cluster vs primary category", "latency p95 (ms)"):
        assert f"| {row} |" in printed
    assert "| TF-IDF |" in printed and "identical" in printed


def test_evaluate_reports_a_missing_model_set(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["evaluate", "--model", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err.startswith("error: ")


def test_ranked_list_metrics_by_hand() -> None:
    from lib.evaluation import average_precision, ndcg_at_k, precision_at_k

    ranked = ["a", "x", "b", "y", "c"]
    relevant = {"a", "b", "c", "d"}
    assert precision_at_k(ranked, relevant, 5) == 3 / 5
    assert precision_at_k(ranked, relevant, 10) == 3 / 10  # missing slots are misses
    # AP@5: hits at 1, 3, 5 -> (1/1 + 2/3 + 3/5) / min(5, 4)
    assert math.isclose(average_precision(ranked, relevant, 5), (1 + 2 / 3 + 3 / 5) / 4)
    assert math.isclose(average_precision(["a", "b"], {"a", "b"}, 100), 1.0)
    assert average_precision(ranked, set(), 5) == 0.0
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4) + 1 / math.log2(5)
    assert math.isclose(ndcg_at_k(ranked, relevant, 5), (1 + 1 / math.log2(4) + 1 / math.log2(6)) / ideal)
    assert math.isclose(ndcg_at_k(["a", "b", "c", "d"], relevant, 10), 1.0)
