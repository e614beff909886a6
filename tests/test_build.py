import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from lib import cli, doc2vec_files, modelset
from lib.build import BuildOptions, build_model_set
from lib.engine import load_engine
from lib.layout import map_sample_rows
from lib.params import PRESETS, with_overrides
from lib.reading import Filters
from tests.conftest import PYTHON, ROOT, build_small, write_jsonl

STAGES = {"read", "clean", "phrases", "doc2vec", "umap", "hdbscan", "topics", "lexical", "write"}


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def check_model_set(folder: Path, n_papers: int) -> dict:
    """Every artifact is present, consistent with the others, and matches the manifest's checksums."""
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format_version"] == modelset.FORMAT_VERSION
    assert manifest["versions"]["python"] and manifest["versions"]["gensim"]
    listed = set(manifest["files"])
    on_disk = {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert listed == on_disk and "corpus.txt" not in on_disk
    for name, entry in manifest["files"].items():
        assert modelset.sha256_file(folder / name) == entry["sha256"], name
    # Papers whose text repeats an earlier paper's are placed, not fitted (the real sample has one such pair).
    placed = manifest["map_fit"]["papers"] < manifest["counts"]["papers"]
    assert set(manifest["stages"]) == STAGES | ({"place"} if placed else set())
    papers = modelset.load_papers_frame(folder / modelset.PAPERS)
    expected = {"id", "title", "authors", "categories", "update_date", "abstract", "x", "y", "cluster"}
    assert expected <= set(papers.columns) and len(papers) == n_papers == manifest["counts"]["papers"]
    assert papers["id"].is_unique
    vectors = np.load(folder / "vectors.npy")
    assert vectors.shape == (n_papers, manifest["params"]["doc2vec"]["vector_size"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    coords = np.load(folder / "map.npy")
    clusters = np.load(folder / "clusters.npy")
    assert coords.shape == (n_papers, 2) and np.isfinite(coords).all()
    assert np.array_equal(clusters, papers["cluster"].to_numpy()) and np.allclose(coords[:, 0], papers["x"])
    topics = json.loads((folder / "topics.json").read_text())
    assert len(topics) == manifest["counts"]["clusters"] == len(set(clusters.tolist()) - {-1})
    assert sum(t["size"] for t in topics) + manifest["counts"]["noise"] == n_papers
    for topic in topics:
        assert topic["size"] == int((clusters == topic["id"]).sum())
        assert 1 <= len(topic["keywords"]) <= 10 and topic["label"]
        assert not {"the", "we", "paper", "propose"} & set(topic["keywords"])
    assert "doc2vec.model" not in on_disk and set(doc2vec_files.ALWAYS) <= on_disk  # no pickle
    model = doc2vec_files.load(folder)
    assert isinstance(model.wv.vectors, np.memmap) and isinstance(model.syn1neg, np.memmap)
    assert len(model.wv) == manifest["counts"]["vocabulary"] and model.corpus_count == n_papers
    assert model.infer_vector(["quantum"]).shape == (vectors.shape[1],)
    loaded = modelset.load_model_set(folder)
    assert isinstance(loaded.vectors, np.memmap)
    return manifest


def test_demo_build_writes_a_complete_consistent_model_set(demo_model_set: Path, demo_corpus: Path) -> None:
    manifest = check_model_set(demo_model_set, 1200)
    assert manifest["synthetic"] is True
    assert manifest["input"]["sha256"] == modelset.sha256_file(demo_corpus)
    assert manifest["input"]["bytes"] == demo_corpus.stat().st_size
    assert manifest["params"]["doc2vec"]["epochs"] == 10
    assert manifest["counts"]["read"]["records"] == 1200
    assert manifest["counts"]["clusters"] >= 5
    assert not [p for p in demo_model_set.parent.iterdir() if p.name.startswith(".")]


def test_build_of_2000_real_papers_through_the_command_line(real_sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "real"
    args = ["build", "--input", str(real_sample), "--out", str(out), "--limit", "2000", "--epochs", "8", "--min-cluster-size", "15"]
    assert cli.main(args) == 0
    manifest = check_model_set(out, 2000)
    assert manifest["synthetic"] is False
    assert manifest["input"]["filters"]["limit"] == 2000
    papers = modelset.load_papers_frame(out / modelset.PAPERS)
    assert papers["title"].str.len().gt(0).all() and papers["abstract"].str.len().gt(0).all()


def test_preset_seed_reproduces_the_notebook_and_is_recorded(demo_corpus: Path, tmp_path: Path) -> None:
    small = write_jsonl(tmp_path / "small.jsonl", [json.loads(line) for line in _lines(demo_corpus)[:240]])
    out = tmp_path / "seed"
    assert cli.main(["build", "--input", str(small), "--out", str(out), "--preset", "seed"]) == 0
    params = json.loads((out / "manifest.json").read_text())["params"]
    assert params["preset"] == "seed" and params["text"] == "abstract"
    assert params["doc2vec"] | {} == {**params["doc2vec"], "dm": 1, "epochs": 200, "vector_size": 100, "window": 6, "min_count": 1}
    assert params["umap"]["n_neighbors"] == 50 and params["umap"]["metric"] == "cosine" and params["umap"]["cluster_dims"] == 2
    assert params["hdbscan"] == {
        "min_cluster_size": 50,
        "min_samples": None,
        "metric": "euclidean",
        "cluster_selection_method": "eom",
        "assign_noise": False,
    }
    assert params["topics"]["features"] == "doc2vec" and params["topics"]["merge_distance"] is None
    assert params["topics"]["min_agreement"] == 0.0
    assert PRESETS["seed"].doc2vec.epochs == 200


def test_large_preset_trains_more_epochs_on_smaller_corpora_and_records_them(demo_corpus: Path, tmp_path: Path) -> None:
    large = PRESETS["large"].doc2vec
    assert [large.epochs_for(n) for n in (1_200, 100_000, 200_000, 400_000, 2_700_000)] == [40, 40, 20, 10, 10]
    assert PRESETS["default"].doc2vec.epochs_for(2_700_000) == 40
    small = write_jsonl(tmp_path / "small.jsonl", [json.loads(line) for line in _lines(demo_corpus)[:400]])
    out = tmp_path / "large"
    assert cli.main(["build", "--input", str(small), "--out", str(out), "--preset", "large", "--min-cluster-size", "20"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["params"]["preset"] == "large"
    assert manifest["params"]["doc2vec"]["epochs"] == 40
    assert doc2vec_files.load(out).epochs == 40
    assert cli.main(["build", "--input", str(small), "--out", str(out), "--preset", "large", "--epochs", "3"]) == 0
    assert doc2vec_files.load(out).epochs == 3


def _lines(path: Path) -> list[str]:
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


def test_missing_input_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["build", "--input", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "m")]) == 1
    assert capsys.readouterr().err.strip() == f"error: input not found or not a file: {tmp_path / 'none.jsonl'}"


def test_failed_build_leaves_the_existing_set_untouched(demo_model_set: Path, tmp_path: Path) -> None:
    target = tmp_path / "models" / "demo"
    shutil.copytree(demo_model_set, target)
    before = tree_bytes(target)
    source = write_jsonl(tmp_path / "bad.jsonl", ["{nope"])
    assert cli.main(["build", "--input", str(source), "--out", str(target)]) == 1
    assert tree_bytes(target) == before
    assert [p.name for p in target.parent.iterdir()] == ["demo"]


def _start_build(source: Path, target: Path) -> subprocess.Popen:
    args = [PYTHON, "-m", "lib", "build", "--input", str(source), "--out", str(target), "--epochs", "300", "--workers", "1"]

    # A test runner started in the background inherits SIGINT ignored; the build must see Ctrl-C as a user's would.
    def interruptible() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=interruptible)


def _wait_for_training(target: Path, process: subprocess.Popen) -> Path:
    deadline = time.time() + 60
    while time.time() < deadline:
        staging = [p for p in target.parent.glob(f".{target.name}.building-*") if (p / "corpus.txt").exists()]
        if staging and (staging[0] / "corpus.txt").stat().st_size > 0:
            time.sleep(1.0)
            return staging[0]
        assert process.poll() is None, "build ended before it could be interrupted"
        time.sleep(0.1)
    raise AssertionError("build never started training")


def test_sigkill_mid_build_keeps_the_previous_set_and_next_build_cleans_up(demo_model_set: Path, demo_corpus: Path, tmp_path: Path) -> None:
    target = tmp_path / "models" / "demo"
    shutil.copytree(demo_model_set, target)
    before = tree_bytes(target)
    process = _start_build(demo_corpus, target)
    staging = _wait_for_training(target, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert tree_bytes(target) == before
    assert modelset.load_model_set(target).papers.shape[0] == 1200
    assert staging.exists()
    assert staging in modelset.clean_leftovers(target)
    assert not staging.exists() and tree_bytes(target) == before


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_removes_its_staging_folder(demo_corpus: Path, tmp_path: Path, sig: int) -> None:
    target = tmp_path / "models" / "new"
    process = _start_build(demo_corpus, target)
    _wait_for_training(target, process)
    process.send_signal(sig)
    assert process.wait(timeout=60) == 130
    assert not target.exists() and not list(target.parent.iterdir())


def test_rebuild_replaces_the_set_in_place(demo_corpus: Path, tmp_path: Path) -> None:
    target = tmp_path / "swap"
    build_small(demo_corpus, target, **{"doc2vec.epochs": 2, "hdbscan.min_cluster_size": 30})
    first = json.loads((target / "manifest.json").read_text())
    (tmp_path / f".swap.building-{2**22 + 7}-deadbeef").mkdir()  # leftover of a dead build
    build_small(demo_corpus, target, **{"doc2vec.epochs": 3, "hdbscan.min_cluster_size": 30})
    second = check_model_set(target, 1200)
    assert first["params"]["doc2vec"]["epochs"] == 2 and second["params"]["doc2vec"]["epochs"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["swap"]


def test_list_model_sets_reports_papers_dates_and_broken_sets(demo_model_set: Path, tmp_path: Path) -> None:
    shutil.copytree(demo_model_set, tmp_path / "good")
    (tmp_path / "broken").mkdir()
    (tmp_path / ".demo.building-1-abc").mkdir()
    infos = modelset.list_model_sets(tmp_path)
    assert [i.name for i in infos] == ["broken", "good"]
    assert infos[1].papers == 1200 and infos[1].synthetic and infos[1].created_at
    assert infos[0].error and "manifest.json is missing" in infos[0].error


def test_a_build_fitted_on_a_sample_places_every_other_paper(demo_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "sampled"
    options = BuildOptions(
        demo_corpus, out, with_overrides(PRESETS["default"], **{"doc2vec.epochs": 5, "topics.map_sample": 500}), Filters(), 2
    )
    manifest = build_model_set(options, log=lambda message: None)
    assert manifest["map_fit"]["papers"] == 500 and "place" in manifest["stages"]
    assert manifest["map_fit"]["lsa"].startswith("fitted on the sample")
    engine = load_engine(out)
    coords, labels = np.asarray(engine.catalogue.coords), np.asarray(engine.catalogue.clusters)
    assert len(coords) == 1200 and np.isfinite(coords).all()
    sample = map_sample_rows(1200, 500, 0)
    inside = np.zeros(1200, dtype=bool)
    inside[sample] = True
    low, high = coords[inside].min(axis=0), coords[inside].max(axis=0)
    assert ((coords[~inside] >= low - 1e-4) & (coords[~inside] <= high + 1e-4)).all()  # weighted means stay in the sample's hull box
    assert set(labels[~inside].tolist()) <= set(labels[inside].tolist())  # placed papers join existing topics
    sizes = [t["size"] for t in engine.catalogue.topics]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) + int((labels == -1).sum()) == 1200
