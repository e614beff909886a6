"""`python -m lib update`: papers added and replaced in a built set, atomically, recorded in its manifest.

Every test updates its own copy of the session's demo model set (never the set itself). New papers are synthetic demo
papers of another seed with ids the set does not have.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lib import modelset
from lib.cli import main
from lib.demo import generate_demo_records
from lib.engine import load_engine
from lib.lexical import K1, B, bm25_idf, build_index, document_terms, load_index, write_updated_index
from lib.modelset import ModelSetError, load_papers_frame, read_manifest, verify
from lib.reading import Filters
from lib.update import UpdateOptions, set_filters, update_model_set
from tests.conftest import PYTHON, ROOT, write_jsonl

FIELDS = ("id", "title", "abstract", "authors", "categories", "update_date")
NEW_TITLE = "Lattice quantum gravity with spin foam amplitudes revisited"


def new_papers(n: int = 40) -> list[dict]:
    """Synthetic papers the demo set does not hold (ids 2512.9xxxx)."""
    records = generate_demo_records(n, seed=2)
    return [{**record, "id": f"2512.{90000 + i:05d}"} for i, record in enumerate(records)]


def record_of(papers, row: int, **changes: object) -> dict:
    """A set paper's record as an input line would give it, with changes."""
    paper = papers.iloc[row]
    return {**{name: str(paper[name]) for name in FIELDS}, "synthetic": True, **changes}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def updated(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A copy of the demo set updated once: 40 new papers (one twice), a paper retitled with a newer date, one with new
    authors on the same date, one identical, one older, and two bad lines."""
    folder = shutil.copytree(demo_model_set, tmp_path_factory.mktemp("update") / "demo")
    before = load_papers_frame(folder / modelset.PAPERS)
    vectors = np.load(folder / modelset.VECTORS)
    added = new_papers()
    lines = [
        *added[:5],
        {**added[5], "title": "An earlier version of this record"},
        *added[5:],
        record_of(before, 0, title=NEW_TITLE, update_date="2099-01-01"),
        record_of(before, 1),
        record_of(before, 2, authors="Grace Hopper"),
        record_of(before, 3, title="An older record of this paper", update_date="1990-01-01"),
        "{not json",
        {"id": "2512.99999", "title": "No abstract"},
    ]
    path = write_jsonl(folder.parent / "new.jsonl", lines)
    result = update_model_set(UpdateOptions(folder, path), log=lambda message: None)
    return {"folder": folder, "input": path, "before": before, "vectors": vectors, "added": added, "result": result}


def test_new_papers_are_found_by_their_titles(updated: dict) -> None:
    engine = load_engine(updated["folder"])
    for paper in updated["added"]:
        hits = engine.ranker.search(paper["title"], 5)
        assert hits and hits[0].paper_id == paper["id"], paper["title"]
    row = engine.catalogue.row_of(updated["added"][5]["id"])
    assert engine.catalogue.papers["title"].iloc[row] == updated["added"][5]["title"]  # the later of two records


def test_new_papers_join_the_topics_of_their_nearest_papers(updated: dict) -> None:
    engine = load_engine(updated["folder"])
    papers, topics = engine.catalogue.papers, {t["id"]: t for t in engine.catalogue.topics}

    def agree(rows) -> float:
        """The share of the rows in a topic led by their own primary category."""
        return sum(
            int(papers["cluster"].iloc[row]) in topics
            and topics[int(papers["cluster"].iloc[row])]["top_categories"][0][0] == papers["categories"].iloc[row].split()[0]
            for row in rows
        ) / len(rows)

    placed = engine.catalogue.rows_of([paper["id"] for paper in updated["added"]])
    trained = sorted(set(range(len(papers))) - set(placed))
    # Placed papers land in their own category's topic about as often as the trained ones do. Not always: demo topics
    # overlap at their edges (mixed and generalist papers) and neighbouring topics can share a cluster, led by one
    # category (lib/demo.py, issue 20). Measured on two builds of the session's demo set: 0.57 of trained papers, 23
    # and 22 of 40 placed; over 40 papers one standard deviation of the share is 0.08. At random it would be about 0.1.
    assert agree(placed) >= agree(trained) - 0.2


def test_a_paper_with_a_newer_record_is_replaced_in_its_own_row(updated: dict) -> None:
    before, folder = updated["before"], updated["folder"]
    engine = load_engine(folder)
    papers = engine.catalogue.papers
    assert papers["id"].is_unique and len(papers) == len(before) + len(updated["added"])
    assert papers["id"].iloc[: len(before)].tolist() == before["id"].tolist()  # rows stay where they were
    assert papers["title"].iloc[0] == NEW_TITLE and papers["update_date"].iloc[0] == "2099-01-01"
    assert engine.ranker.search(NEW_TITLE, 3)[0].row == 0
    vectors = np.load(folder / modelset.VECTORS)
    assert not np.allclose(vectors[0], updated["vectors"][0])  # embedded again
    # Same title and abstract, other authors: only the metadata changes; vector, place and topic stay.
    assert papers["authors"].iloc[2] == "Grace Hopper" and np.array_equal(vectors[2], updated["vectors"][2])
    assert papers["x"].iloc[2] == before["x"].iloc[2] and papers["cluster"].iloc[2] == before["cluster"].iloc[2]
    # An older record changes nothing; an identical one is not counted.
    assert papers["title"].iloc[3] == before["title"].iloc[3]
    assert papers["placed"].tolist() == [True] + [False] * (len(before) - 1) + [True] * len(updated["added"])


def test_the_manifest_records_the_update_and_every_file(updated: dict) -> None:
    folder = updated["folder"]
    manifest = verify(folder)
    (record,) = manifest["updates"]
    assert record["input"]["path"] == str(updated["input"].resolve())
    assert record["input"]["sha256"] == modelset.sha256_file(updated["input"])
    assert (record["added"], record["replaced"], record["replaced_text"], record["unchanged"], record["older"]) == (40, 2, 1, 1, 1)
    assert record["skipped"] == 2 and record["skipped_reasons"] == {"not JSON": 1, "missing abstract": 1} and record["duplicates"] == 1
    n = len(updated["before"]) + 40
    assert record["papers"] == manifest["counts"]["papers"] == n and record["placed"] == 41
    assert record["placed_share"] == round(41 / n, 4) and record["bm25"]["idf"]
    assert manifest["created_at"] >= manifest["built_at"] and "stages" in manifest
    assert set(manifest["files"]) == {path.name for path in folder.iterdir()} - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert modelset.sha256_file(folder / name) == entry["sha256"], name
    assert not [path for path in folder.parent.iterdir() if path.name.startswith(".")]  # no staging left behind


def test_topic_sizes_levels_and_arrays_stay_consistent(updated: dict) -> None:
    engine = load_engine(updated["folder"])
    catalogue = engine.catalogue
    clusters, papers = np.asarray(catalogue.clusters), catalogue.papers
    n = len(papers)
    assert len(engine.ranker.vectors) == len(catalogue.coords) == len(clusters) == engine.ranker.lexical.n_docs == n
    assert np.array_equal(clusters, papers["cluster"].to_numpy()) and np.allclose(catalogue.coords[:, 0], papers["x"])
    assert np.allclose(np.linalg.norm(engine.ranker.vectors, axis=1), 1, atol=1e-4)
    for topic in catalogue.topics:
        assert topic["size"] == int((clusters == topic["id"]).sum())
    assert sum(t["size"] for t in catalogue.topics) + int((clusters == -1).sum()) == n
    assert catalogue.manifest["counts"]["clusters"] == len(catalogue.topics)
    for level in catalogue.levels:
        assert sum(t["size"] for t in level.topics) == sum(t["size"] for t in catalogue.topics)


def test_the_same_input_again_changes_nothing(updated: dict, tmp_path: Path) -> None:
    folder = shutil.copytree(updated["folder"], tmp_path / "demo")
    before = snapshot(folder)
    result = update_model_set(UpdateOptions(folder, updated["input"]), log=lambda message: None)
    assert result.record is None and (result.added, result.replaced, result.unchanged, result.older) == (0, 0, 43, 1)
    assert snapshot(folder) == before


def test_the_updated_bm25_index_is_the_one_built_from_scratch_with_the_builds_average_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib import lexical

    monkeypatch.setattr(lexical, "UPDATE_BLOCK", 7)  # many blocks
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    docs = [list(rng.choice(words, size=int(rng.integers(1, 12)))) for _ in range(50)]
    index = build_index(docs)
    new_docs, rows = [["w1", "w2", "brand", "new"], ["w5"], ["fresh", "w1", "w1"], ["w3", "w39", "the"]], np.array([3, 10, 50, 51])
    written = write_updated_index(index, new_docs, rows, tmp_path)
    updated = load_index(tmp_path)
    final = [*docs, [], []]
    for row, doc in zip(rows.tolist(), new_docs, strict=True):
        final[row] = doc
    vocabulary = dict(index.vocabulary)
    for doc in new_docs:
        for term in document_terms(doc, None)[0]:
            vocabulary.setdefault(term, len(vocabulary))
    df = np.zeros(len(vocabulary), dtype=np.float32)
    for doc in final:
        df[[vocabulary[t] for t in set(document_terms(doc, None)[0])]] += 1
    idf = bm25_idf(len(final), df)
    expected = np.zeros((len(final), len(vocabulary)), dtype=np.float32)
    for row, doc in enumerate(final):
        found, length = document_terms(doc, None)
        for term, tf in Counter(found).items():
            expected[row, vocabulary[term]] = (
                idf[vocabulary[term]] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / index.average_length))
            )
    assert (written.n_docs, written.new_terms) == (52, 3) and updated.vocabulary == vocabulary
    assert np.allclose(updated.columns.toarray(), expected, atol=1e-5) and updated.columns.has_sorted_indices
    assert np.allclose(updated.row_norms, np.linalg.norm(expected, axis=1), atol=1e-5)
    scratch = build_index(final)  # idf as a build over the same documents gives it
    assert np.array_equal(np.asarray(updated.idf), np.asarray(scratch.idf)[[scratch.vocabulary[t] for t in vocabulary]])
    assert updated.bm25_scores(["brand"]).argmax() == 3


def test_the_command_applies_filters_and_says_what_it_did(demo_model_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = shutil.copytree(demo_model_set, tmp_path / "demo")
    added = new_papers(20)
    kept = sum(Filters(("cs.",)).category_matches(paper["categories"]) for paper in added)
    assert 0 < kept < len(added)
    path = write_jsonl(tmp_path / "new.jsonl", added)
    assert main(["update", "--model", str(folder), "--input", str(path), "--categories", "cs."]) == 0
    out = capsys.readouterr().out
    assert f"{kept} added" in out and f"{len(added) - kept} filtered out" in out
    record = read_manifest(folder)["updates"][-1]
    assert record["filters"] == {"categories": ["cs."], "since": None, "until": None} and record["added"] == kept
    assert main(["update", "--model", str(folder), "--input", str(path), "--since", "2100-01-01"]) == 0
    assert "nothing to add or replace" in capsys.readouterr().out


def test_the_sets_own_filters_apply_unless_overridden() -> None:
    manifest = {"input": {"filters": {"categories": ["cs.", "math"], "since": "2024-01-01", "until": "2024-12-31", "limit": 500}}}
    assert set_filters(manifest) == Filters(("cs.", "math"), "2024-01-01", "2024-12-31")
    assert set_filters(manifest, ("q-bio",), None, "2025-06-30") == Filters(("q-bio",), "2024-01-01", "2025-06-30")
    assert set_filters({}) == Filters()


def test_errors_are_one_line(demo_model_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", ["{not json", {"id": "1"}])
    assert main(["update", "--model", str(tmp_path / "missing"), "--input", str(bad)]) == 1
    assert capsys.readouterr().err.startswith("error: model set 'missing' not found")
    folder = shutil.copytree(demo_model_set, tmp_path / "demo")
    before = snapshot(folder)
    assert main(["update", "--model", str(folder), "--input", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: no usable papers") and snapshot(folder) == before
    assert main(["update", "--model", str(folder), "--input", str(tmp_path / "none.jsonl")]) == 1
    assert "input not found" in capsys.readouterr().err
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "documents": modelset.FULL_TEXT}))
    assert main(["update", "--model", str(folder), "--input", str(write_jsonl(tmp_path / "ok.jsonl", new_papers(2)))]) == 1
    assert "full texts" in capsys.readouterr().err
    (folder / "manifest.json").write_text(json.dumps({**manifest, "updates": {"at": "now"}}))
    with pytest.raises(ModelSetError, match="'updates' should be an array"):
        read_manifest(folder)


# Run the command with one of lib.modelset's steps replaced by one that marks a file and waits to be killed:
# write_levels (files half written) or commit (every file written, the swap not yet made).
HANGING = """
import sys, time
from pathlib import Path
from lib import modelset
from lib.cli import main

step, marker = sys.argv[1], Path(sys.argv[2])
original = getattr(modelset, step)

def hang(*args, **kwargs):
    if step != "commit":
        original(*args, **kwargs)
    marker.write_text("waiting")
    time.sleep(600)

setattr(modelset, step, hang)
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("step", ["write_levels", "commit"])
def test_a_killed_update_leaves_the_set_as_it_was(demo_model_set: Path, tmp_path: Path, step: str) -> None:
    folder = shutil.copytree(demo_model_set, tmp_path / "models" / "demo")
    path = write_jsonl(tmp_path / "new.jsonl", new_papers(10))
    before = snapshot(folder)
    marker = tmp_path / "marker"
    command = [PYTHON, "-c", HANGING, step, str(marker), "update", "--model", str(folder), "--input", str(path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not marker.exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the update never reached the step"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".demo.building-")]  # killed mid-update
    assert snapshot(folder) == before
    assert len(load_engine(folder).catalogue) == len(load_papers_frame(demo_model_set / modelset.PAPERS))
    result = update_model_set(UpdateOptions(folder, path), log=lambda message: None)
    assert result.added == 10 and sorted(p.name for p in folder.parent.iterdir()) == ["demo"]  # leftovers removed


@pytest.fixture(scope="module")
def indexed_set(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-paper set scaled from the demo set, with an ANN index (the size threshold lowered for the test)."""
    from bench import scaling

    out = tmp_path_factory.mktemp("ann") / "indexed"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scaling, "ANN_MIN_PAPERS", 1000)
        scaling.scale_model_set(demo_model_set, out, 3000, seed=2, log=lambda message: None)
    return out


def test_new_papers_join_the_ann_lists(indexed_set: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(indexed_set, tmp_path / "indexed")
    before = load_engine(folder).ranker.ann
    added = new_papers(20)
    update_model_set(UpdateOptions(folder, write_jsonl(tmp_path / "new.jsonl", added)), log=lambda message: None)
    engine = load_engine(folder)
    ann, n = engine.ranker.ann, len(engine.catalogue)
    assert n == 3020 and sorted(np.asarray(ann.rows).tolist()) == list(range(n))
    assert np.array_equal(ann.centroids, before.centroids) and ann.offsets[-1] == n
    assert np.array_equal(ann.vectors, np.asarray(engine.ranker.vectors)[np.asarray(ann.rows)])
    for i in range(ann.lists):  # each new row sits in the list of its nearest centroid
        members = np.asarray(ann.rows[ann.offsets[i] : ann.offsets[i + 1]])
        new = members[members >= 3000]
        assert all(np.argmax(ann.centroids @ engine.ranker.vectors[row]) == i for row in new)
    for paper in added[:5]:
        assert engine.ranker.search(paper["title"], 5)[0].paper_id == paper["id"]


def test_a_set_updated_twice_verifies_loads_and_keeps_its_stamps(
    demo_model_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file's checksum is right after two updates (the second replacing rows), and the files are stamped after the
    swap: the next load hashes the manifest alone, though removing the old set's links changed the linked files' ctime."""
    monkeypatch.setenv("TOPIC_SEARCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(modelset, "STAMP_MIN_BYTES", 1)  # every file of the small demo set is stamped
    folder = shutil.copytree(demo_model_set, tmp_path / "models" / "demo")
    before = load_papers_frame(folder / modelset.PAPERS)
    first = new_papers(30)
    update_model_set(UpdateOptions(folder, write_jsonl(tmp_path / "a.jsonl", first[:20])), log=lambda message: None)
    second = [*first[20:], {**first[0], "title": NEW_TITLE, "update_date": "2099-01-01"}, record_of(before, 4, authors="Ada Lovelace")]
    update_model_set(UpdateOptions(folder, write_jsonl(tmp_path / "b.jsonl", second)), log=lambda message: None)
    hashed = []
    original = modelset.sha256_file
    monkeypatch.setattr(modelset, "sha256_file", lambda path, *a: hashed.append(Path(path).name) or original(path, *a))
    manifest = verify(folder)
    assert hashed == ["manifest.json"]
    for name, entry in manifest["files"].items():
        assert original(folder / name) == entry["sha256"], name
    assert [record["added"] for record in manifest["updates"]] == [20, 10]
    engine = load_engine(folder)
    papers = engine.catalogue.papers
    assert len(papers) == len(before) + 30 and papers["id"].is_unique
    assert papers["title"].iloc[len(before)] == NEW_TITLE and papers["authors"].iloc[4] == "Ada Lovelace"
    assert engine.ranker.search(NEW_TITLE, 3)[0].paper_id == first[0]["id"]


def test_streamed_files_are_the_ones_written_whole(demo_model_set: Path, tmp_path: Path) -> None:
    """The papers table and arrays an update streams from the old files are byte for byte what the whole-table writers give."""
    import pyarrow as pa

    old = pa.ipc.open_file(pa.memory_map(str(demo_model_set / modelset.PAPERS), "r")).read_all()
    old = old.append_column("note", pa.array([None if i % 3 else f"n{i}" for i in range(old.num_rows)], type=pa.large_string()))
    source = tmp_path / "source.arrow"
    modelset.write_papers(old, source)
    n = old.num_rows
    rows = np.array([0, 7, n - 1, n, n + 1])
    updates = old.take(pa.array([3, 4, 5, 6, 8]))
    updates = updates.set_column(1, "title", pa.array(["new", "", "x" * 500, "a", "b"], type=pa.large_string()))
    updates = updates.append_column("placed", pa.array([True] * 5))
    placed = np.zeros(n + 2, dtype=bool)
    placed[rows] = True
    x = np.arange(n + 2, dtype=np.float32)
    sha = modelset.write_papers_spliced(source, tmp_path / "spliced.arrow", rows, updates, {"x": x, "placed": placed})
    order = np.arange(n + 2)
    order[rows] = n + np.arange(5)
    whole = pa.concat_tables([old.append_column("placed", pa.array(np.zeros(n, dtype=bool))), updates]).take(pa.array(order))
    whole = whole.set_column(whole.schema.get_field_index("x"), "x", pa.array(x))
    whole = whole.set_column(whole.schema.get_field_index("placed"), "placed", pa.array(placed))
    modelset.write_papers(whole, tmp_path / "whole.arrow")
    assert sha == modelset.sha256_file(tmp_path / "whole.arrow") == modelset.sha256_file(tmp_path / "spliced.arrow")
    assert pa.ipc.open_file(pa.memory_map(str(tmp_path / "spliced.arrow"), "r")).num_record_batches == 1

    vectors = np.load(demo_model_set / modelset.VECTORS)
    new = np.random.default_rng(0).random((5, vectors.shape[1]), dtype=np.float32)
    sha = modelset.write_array_spliced(tmp_path, modelset.VECTORS, demo_model_set / modelset.VECTORS, rows[:3], new)
    expected = np.concatenate([vectors, new[3:]])
    expected[rows[:3]] = new[:3]
    np.save(tmp_path / "expected.npy", expected)
    assert sha == modelset.sha256_file(tmp_path / "expected.npy") == modelset.sha256_file(tmp_path / modelset.VECTORS)


def test_the_streamed_ann_index_is_with_rows(indexed_set: Path, tmp_path: Path) -> None:
    from lib.ann import load_ivf, with_rows, write_with_rows

    index = load_ivf(indexed_set)
    vectors = np.load(indexed_set / modelset.VECTORS)
    rng = np.random.default_rng(1)
    rows = np.array([2, 40, 2999, 3000, 3001, 3002])
    new = rng.standard_normal((6, vectors.shape[1])).astype(np.float32)
    new /= np.linalg.norm(new, axis=1, keepdims=True)
    full = np.concatenate([vectors, new[3:]])
    full[rows[:3]] = new[:3]
    (tmp_path / "whole").mkdir()
    (tmp_path / "streamed").mkdir()
    with_rows(index, full, rows).save(tmp_path / "whole")
    write_with_rows(index, len(full), rows, new, tmp_path / "streamed")
    for name in modelset.ANN.values():
        assert modelset.sha256_file(tmp_path / "whole" / name) == modelset.sha256_file(tmp_path / "streamed" / name), name


def test_a_rebuild_is_recommended_above_the_placed_share(
    demo_model_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from lib import update

    folder = shutil.copytree(demo_model_set, tmp_path / "demo")
    n = len(load_papers_frame(folder / modelset.PAPERS))
    lines: list[str] = []
    first = write_jsonl(tmp_path / "week1.jsonl", new_papers(10))
    update_model_set(UpdateOptions(folder, first), log=lines.append)
    share = 10 / (n + 10)
    assert share < update.UPDATE_REBUILD_SHARE and not [line for line in lines if "rebuild recommended" in line]
    monkeypatch.setattr(update, "UPDATE_REBUILD_SHARE", share)  # the next update passes it
    second = write_jsonl(tmp_path / "week2.jsonl", [{**p, "id": f"2512.8{i:04d}"} for i, p in enumerate(new_papers(5))])
    capsys.readouterr()
    assert main(["update", "--model", str(folder), "--input", str(second)]) == 0
    (advice,) = [line for line in capsys.readouterr().err.splitlines() if "rebuild recommended" in line]
    assert advice == update.rebuild_advice(folder, read_manifest(folder))
    assert advice.startswith("rebuild recommended: ") and f"python -m lib build --input {folder.parent / 'demo-all.jsonl'}" in advice
    built_from = read_manifest(folder)["input"]["path"]
    assert f"zcat -f {built_from} {first.resolve()} {second.resolve()} > " in advice  # the union of every input, in order


def test_added_papers_are_inferred_with_their_phrase_tokens_as_the_set_was_trained(updated: dict) -> None:
    """The demo set's Doc2Vec was trained on words followed by phrase tokens; an added paper is inferred the same way."""
    from lib.cleaning import tokenize
    from lib.corpus import document_texts
    from lib.update import infer_vectors

    folder = updated["folder"]
    assert read_manifest(folder)["params"]["doc2vec"]["phrase_tokens"] is True
    model_set = modelset.load_model_set(folder)
    table = model_set.lexical.phrases
    rows = load_engine(folder).catalogue.rows_of([paper["id"] for paper in updated["added"]])
    added = model_set.papers.iloc[rows]
    stored = np.asarray(model_set.vectors[rows])
    assert np.allclose(stored, infer_vectors(model_set.doc2vec, added, "title+abstract", table), atol=1e-6)
    # Inferred from the words alone, a paper holding a learned phrase would get another vector.
    row = next(i for i, text in enumerate(document_texts(added, "title+abstract")) if table.tokens(tokenize(text)))
    words_only = infer_vectors(model_set.doc2vec, added.iloc[[row]], "title+abstract")[0]
    assert not np.allclose(stored[row], words_only, atol=1e-4)
