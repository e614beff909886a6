"""Typed-query and category-name evaluation: reading labels and tag queries, building the sets, the outside BM25, the CLI."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest

from lib.arxiv_categories import category_name
from lib.cli import main
from lib.engine import load_engine
from lib.evaluation import Bm25Baseline, bare_archive, primary
from lib.query_sets import (
    DEFAULT_TAG_QUERIES,
    MAX_LABEL_LINE_BYTES,
    QuerySetError,
    category_query_set,
    load_labels,
    load_tag_queries,
    rank_pool,
    typed_query_set,
)
from tests.conftest import SHARED_SAMPLE, write_jsonl

# Beside the shared sample (ARXIV_SAMPLE moves both).
SHARED_TAGS = SHARED_SAMPLE.parent / "tags.jsonl.gz"
SYSTEMS = {"model_set", "semantic", "bm25", "bm25_baseline", "tfidf"}
QUERIES = {
    "security": ["homomorphic encryption and secret sharing", "side channel attacks on cache timing", "differential privacy budgets"],
    "vision": ["object detection with bounding boxes", "semantic segmentation of images"],
    "unused": ["a tag no labelled paper carries"],
}


def labelled_lines() -> list:
    """Good and bad labels lines: 3 good (one id twice), 6 bad of different kinds, 1 blank."""
    return [
        {"id": "2401.00001", "tags": ["dft", "mlip"]},
        "not json at all",
        {"id": "2401.00002", "tags": []},
        '["a", "list"]',
        {"tags": ["dft"]},
        {"id": "2401.00003", "tags": "dft"},
        {"id": "2401.00004", "tags": ["dft", 7]},
        "",
        {"id": "2401.00001", "tags": ["gnn", "dft"]},
        json.dumps({"id": "2401.00005", "tags": ["x" * (MAX_LABEL_LINE_BYTES + 10)]}),
    ]


@pytest.mark.parametrize("name", ["labels.jsonl", "labels.jsonl.gz"])
def test_labels_skip_and_count_bad_lines(tmp_path: Path, name: str) -> None:
    labels = load_labels(write_jsonl(tmp_path / name, labelled_lines()))
    assert labels.tags == {"2401.00001": ("dft", "mlip", "gnn"), "2401.00002": ()}
    assert labels.lines == 9 and labels.repeated_ids == 1
    assert labels.skipped == {
        "not JSON": 1,
        "not a JSON object": 1,
        "no id string": 1,
        "tags not a list of strings": 2,
        f"line over {MAX_LABEL_LINE_BYTES:,} bytes": 1,
    }


def test_labels_file_gzip_is_recognised_by_content_and_bad_bytes_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "labels.data"
    with gzip.open(path, "wb") as out:
        out.write(b'{"id": "2401.00001", "tags": ["dft"]}\n{"id": "\xff\xfe", "tags": []}\n')
    labels = load_labels(path)
    assert labels.tags == {"2401.00001": ("dft",)} and labels.skipped == {"not UTF-8": 1}


def test_missing_unusable_or_damaged_labels_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(QuerySetError, match=r"labels file .*nope\.jsonl not found.*--labels"):
        load_labels(tmp_path / "nope.jsonl")
    with pytest.raises(QuerySetError, match=r"bad\.jsonl has no usable line \(2 read, 2 skipped\)"):
        load_labels(write_jsonl(tmp_path / "bad.jsonl", ["nonsense", "[1]"]))
    whole = gzip.compress(b'{"id": "2401.00001", "tags": ["dft"]}\n' * 2000)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(QuerySetError, match=r"cannot read labels file .*cut\.jsonl\.gz"):
        load_labels(tmp_path / "cut.jsonl.gz")


def test_tag_queries_are_checked_and_their_errors_name_file_and_tag(tmp_path: Path) -> None:
    path = tmp_path / "queries.json"
    path.write_text(json.dumps({"dft": [" DFT calculations ", "DFT calculations", "first-principles"]}), encoding="utf-8")
    assert load_tag_queries(path) == {"dft": ("DFT calculations", "first-principles")}
    for bad, message in (
        ({"dft": []}, "tag 'dft' needs a non-empty list"),
        ({"dft": ["ok", ""]}, "tag 'dft' needs a non-empty list"),
        ({"dft": "DFT calculations"}, "tag 'dft' needs a non-empty list"),
        (["dft"], "is not a non-empty JSON object"),
        ({}, "is not a non-empty JSON object"),
    ):
        path.write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(QuerySetError, match=message):
            load_tag_queries(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(QuerySetError, match=r"cannot read tag-queries file .*queries\.json"):
        load_tag_queries(path)
    with pytest.raises(QuerySetError, match=r"tag-queries file .*absent\.json not found"):
        load_tag_queries(tmp_path / "absent.json")


def demo_labels(demo_model_set: Path, folder: Path) -> tuple[Path, Path, dict[str, list[int]]]:
    """Labels for the first 400 papers of the demo set: cs.CR papers 'security', cs.CV papers 'vision', the rest none.

    Also one id the set lacks and a tag without phrasings. Returns the labels file, the tag-queries file and the rows
    each tag should find relevant.
    """
    papers = load_engine(demo_model_set).catalogue.papers
    tag_of = {"cs.CR": ["security"], "cs.CV": ["vision"]}
    lines, relevant = [], {"security": [], "vision": []}
    for row in range(400):
        tags = tag_of.get(primary(papers["categories"].iloc[row]), [])
        for tag in tags:
            relevant[tag].append(row)
        lines.append({"id": str(papers["id"].iloc[row]), "tags": tags + (["orphan"] if row == 7 else [])})
    lines.append({"id": "2312.99999", "tags": ["security"]})
    queries = folder / "tag_queries.json"
    queries.write_text(json.dumps(QUERIES), encoding="utf-8")
    return write_jsonl(folder / "labels.jsonl", lines), queries, relevant


def test_typed_set_ranks_each_phrasing_among_the_labelled_papers_of_the_set(demo_model_set: Path, tmp_path: Path) -> None:
    labels_path, queries_path, relevant = demo_labels(demo_model_set, tmp_path)
    catalogue = load_engine(demo_model_set).catalogue
    typed = typed_query_set(catalogue, load_labels(labels_path), load_tag_queries(queries_path))
    assert typed.pool.tolist() == list(range(400))
    assert [group.key for group in typed.groups] == ["security", "vision"]
    for group in typed.groups:
        assert list(group.queries) == QUERIES[group.key]
        assert sorted(group.relevant) == relevant[group.key] and group.relevant
    assert typed.query_count == 5
    assert typed.notes["labelled_papers"] == 401 and typed.notes["labelled_papers_in_set"] == 400
    assert typed.notes["tags_without_queries"] == ["orphan"] and typed.notes["tags_without_papers_in_set"] == ["unused"]
    elsewhere = tmp_path / "elsewhere.jsonl"
    with pytest.raises(QuerySetError, match="none of the 1 papers of labels file .* is in model set"):
        typed_query_set(catalogue, load_labels(write_jsonl(elsewhere, [{"id": "2312.99999", "tags": ["security"]}])), QUERIES)


def test_category_set_queries_each_frequent_full_category_by_name(demo_model_set: Path) -> None:
    papers = load_engine(demo_model_set).catalogue.papers
    categories = category_query_set(load_engine(demo_model_set).catalogue)
    primaries = [primary(value) for value in papers["categories"]]
    assert categories.pool.tolist() == list(range(len(papers)))
    assert categories.groups, "the demo set's topics each have a primary category with many papers"
    for group in categories.groups:
        assert not bare_archive(group.key) and primaries.count(group.key) >= 10
        assert group.queries == (category_name(group.key),)
        listing = {row for row, value in enumerate(papers["categories"]) if group.key in value.split()}
        assert set(group.relevant) == listing
    frequent = {code for code in primaries if primaries.count(code) >= 10 and not bare_archive(code) and category_name(code)}
    assert {group.key for group in categories.groups} == frequent


def test_bm25_baseline_puts_the_paper_with_a_rare_word_first() -> None:
    titles = ["Catalysis on metal surfaces", "Catalysis in water", "Catalysis with zeolite pores", "Catalysis and heat", "Protein folding"]
    abstracts = [
        "Catalysis catalysis catalysis of reactions on surfaces.",
        "We study catalysis in solution.",
        "A zeolite framework hosts the reaction.",
        "Heat drives catalysis.",
        "Proteins fold into shapes.",
    ]
    bm25 = Bm25Baseline(titles, abstracts)
    assert bm25.search("zeolite catalysis", k=5)[0] == 2
    assert bm25.search("catalysis", k=5)[0] == 0, "the paper repeating the word scores highest for it alone"
    assert 4 not in bm25.search("zeolite catalysis", k=5)
    scores = bm25.scores("the of and")
    assert scores.shape == (5,) and not scores.any(), "stop words match nothing"


def test_rank_pool_keeps_the_pool_breaks_ties_by_row_and_drops_non_matches() -> None:
    scores = np.array([0.5, 0.9, 0.5, 0.0, 0.5, 0.9], dtype=np.float32)
    pool = np.array([0, 2, 3, 4, 5])
    assert rank_pool(scores, pool, 10) == [5, 0, 2, 4, 3]
    assert rank_pool(scores, pool, 2) == [5, 0]
    assert rank_pool(scores, pool, 10, matches_only=True) == [5, 0, 2, 4]
    assert rank_pool(None, pool, 10) == []


@pytest.fixture(scope="module")
def query_set_run(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, dict]:
    folder = tmp_path_factory.mktemp("query-sets")
    labels_path, queries_path, relevant = demo_labels(demo_model_set, folder)
    out = folder / "figures.json"
    args = ["evaluate", "--model", str(demo_model_set), "--queries", "5", "--labels", str(labels_path)]
    printed = io.StringIO()  # capsys is per test; this fixture serves the module
    with contextlib.redirect_stdout(printed):
        assert main([*args, "--tag-queries", str(queries_path), "--json", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8")), printed.getvalue(), relevant


def test_evaluate_reports_typed_and_category_sets_for_every_system(query_set_run: tuple[dict, str, dict]) -> None:
    result, printed, relevant = query_set_run
    assert result["known_item"] and result["determinism"], "the older parts still run beside the query sets"
    sets = result["query_sets"]
    assert set(sets) == {"typed", "category_names"}
    for figures in sets.values():
        assert set(figures["systems"]) == SYSTEMS
        for system in figures["systems"].values():
            assert all(0 <= system[metric] <= 1 for metric in ("p@10", "map@100", "ndcg@10"))
    typed = sets["typed"]
    assert typed["queries"] == 5 and typed["pool"] == 400 and set(typed["per_group"]) == {"security", "vision"}
    assert typed["per_group"]["security"]["relevant"] == len(relevant["security"])
    assert set(typed["per_group"]["vision"]["systems"]) == SYSTEMS
    assert list(typed["per_group"]["vision"]["queries"]) == QUERIES["vision"]
    assert set(typed["per_group"]["vision"]["queries"]["semantic segmentation of images"]) == SYSTEMS
    # A tag holds at most an eighth of the pool (21 and 48 of 400 papers in the demo set); the phrasings use the topic's
    # words, so a working system's first ten are mostly relevant (0.94 to 1.0 measured), far above a random ten.
    base_rate = max(len(rows) for rows in relevant.values()) / 400
    for key in ("model_set", "bm25_baseline", "tfidf"):
        assert typed["systems"][key]["p@10"] > 2 * base_rate, key
    assert sets["category_names"]["pool"] == 1200 and sets["category_names"]["queries"] == sets["category_names"]["groups"] > 0
    for row in ("typed P@10", "typed MAP@100", "typed nDCG@10", "category names P@10", "category names nDCG@10"):
        assert f"| {row} |" in printed
    assert "| BM25 baseline |" in printed and "| known-item R@1 |" in printed


def test_evaluate_can_run_only_the_query_sets(demo_model_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "figures.json"
    assert main(["evaluate", "--model", str(demo_model_set), "--only", "query-sets", "--json", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert set(result["query_sets"]) == {"category_names"} and "known_item" not in result
    assert set(result["query_sets"]["category_names"]["systems"]) == SYSTEMS
    printed = capsys.readouterr().out
    assert "| category names MAP@100 |" in printed and "typed" not in printed


def test_evaluate_stops_on_bad_label_options_before_ranking(demo_model_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["evaluate", "--model", str(demo_model_set), "--labels", str(tmp_path / "none.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "error: labels file" in err and "none.jsonl not found" in err and "TF-IDF" not in err
    assert main(["evaluate", "--model", str(demo_model_set), "--tag-queries", str(DEFAULT_TAG_QUERIES)]) == 1
    assert "--tag-queries goes with --labels" in capsys.readouterr().err


def test_every_shared_tag_has_phrasings_of_its_own() -> None:
    if not SHARED_TAGS.is_file():
        pytest.skip(f"shared tags file not found at {SHARED_TAGS}")
    labels = load_labels(SHARED_TAGS)
    assert not labels.skipped and len(labels.tags) > 1000
    tags = {tag for paper_tags in labels.tags.values() for tag in paper_tags}
    queries = load_tag_queries(DEFAULT_TAG_QUERIES)
    assert sorted(tags - set(queries)) == [], "every tag of the shared file needs phrasings in data/tag_queries.json"
    for tag in tags:
        phrasings = [text.lower() for text in queries[tag]]
        assert 3 <= len(phrasings) <= 4, tag
        # A tag's own words may be one phrasing ("active learning" is what people type), but not most of them.
        assert sum(text not in (tag, tag.replace("-", " ")) for text in phrasings) >= 2, tag
        if len(tag) <= 4 and "-" not in tag:  # an abbreviation (dft, mof): never the whole query alone
            assert tag not in phrasings, tag
