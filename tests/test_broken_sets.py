"""Broken model sets: missing, truncated or changed files, a newer format, other library versions.

Each test damages its own copy of the session's demo model set.
"""

import json
import os
import pickle
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import cli, modelset
from lib.engine import load_engine
from lib.modelset import (
    FORMAT_VERSION,
    ModelSetError,
    ModelSetWarning,
    library_versions,
    list_model_sets,
    load_model_set,
    sha256_file,
)
from lib.text import markdown_literal
from tests.conftest import PYTHON, ROOT

APP = str(ROOT / "app.py")
QUERY = "qubits stabilizer codes"


def copy_set(source: Path, folder: Path) -> Path:
    """A private copy of a model set."""
    shutil.copytree(source, folder)
    return folder


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def rewrite_manifest(folder: Path, change) -> None:
    """Apply change(manifest) and write it back, as someone editing the manifest would."""
    manifest = manifest_of(folder)
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def replace_file(folder: Path, name: str, content: bytes) -> None:
    """Put new content in a file and record its size and sha256 in the manifest (damage checksums cannot see)."""
    (folder / name).write_bytes(content)

    def record(manifest: dict) -> None:
        manifest["files"][name] = {"bytes": len(content), "sha256": sha256_file(folder / name)}

    rewrite_manifest(folder, record)


def flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def rebuild_advice(folder: Path) -> str:
    return f"rebuild it with `python -m lib build --input {manifest_of(folder)['input']['path']} --out {folder}`"


def load_error(folder: Path) -> ModelSetError:
    with pytest.raises(ModelSetError) as caught:
        load_engine(folder)
    return caught.value


def with_versions(**versions: str):
    def change(manifest: dict) -> None:
        manifest["versions"].update(versions)

    return change


# Damaged files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["doc2vec_wv.npy", "papers.arrow", "topics.json"])
def test_a_missing_file_is_named_with_what_to_do(demo_model_set: Path, tmp_path: Path, name: str) -> None:
    folder = copy_set(demo_model_set, tmp_path / "gone")
    (folder / name).unlink()
    message = f"model set 'gone': file {name} is missing; {rebuild_advice(folder)}"
    assert str(load_error(folder)) == message
    assert [info.error for info in list_model_sets(tmp_path)] == [message]


def test_a_truncated_file_is_caught_by_its_size_and_listed_as_broken(demo_model_set: Path, tmp_path: Path) -> None:
    folder = copy_set(demo_model_set, tmp_path / "short")
    size = (folder / "vectors.npy").stat().st_size
    with open(folder / "vectors.npy", "r+b") as handle:
        handle.truncate(size // 2)
    message = (
        f"model set 'short': file vectors.npy has {size // 2:,} bytes but manifest.json says {size:,} "
        f"(truncated or damaged); {rebuild_advice(folder)}"
    )
    assert str(load_error(folder)) == message
    assert list_model_sets(tmp_path)[0].error == message


@pytest.mark.parametrize(
    "name", ["vectors.npy", "doc2vec_syn1neg.npy", "papers.arrow", "doc2vec.json", "doc2vec_words.json", "topics.json", "bm25.json"]
)
def test_a_flipped_byte_in_any_kind_of_file_fails_the_checksum_before_loading(demo_model_set: Path, tmp_path: Path, name: str) -> None:
    folder = copy_set(demo_model_set, tmp_path / "flipped")
    flip_middle_byte(folder / name)
    error = load_error(folder)
    damaged = f"file {name} does not match its sha256 in manifest.json (damaged or changed)"
    assert str(error) == f"model set 'flipped': {damaged}; {rebuild_advice(folder)}"
    assert error.__cause__ is None  # raised by the checksum check, not by a loader that tried the file


def test_a_pickle_put_into_a_set_is_never_unpickled(demo_model_set: Path, tmp_path: Path) -> None:
    class Payload:
        def __reduce__(self):
            return os.mkdir, (str(tmp_path / "payload-ran"),)

    folder = copy_set(demo_model_set, tmp_path / "tampered")
    (folder / "doc2vec.model").write_bytes(pickle.dumps(Payload()))
    assert "file doc2vec.model is not listed in manifest.json" in str(load_error(folder))
    assert not (tmp_path / "payload-ran").exists()
    # Listed in the manifest with its checksum, the file passes verification, but nothing in this format opens it
    # (sets of the formats that had a pickle are refused unopened: tests/test_model_format.py).
    replace_file(folder, "doc2vec.model", (folder / "doc2vec.model").read_bytes())
    assert len(load_engine(folder).ranker.search(QUERY, k=5)) == 5
    assert not (tmp_path / "payload-ran").exists()


# The manifest --------------------------------------------------------------------------------------


def test_a_newer_format_says_to_update_the_program(demo_model_set: Path, tmp_path: Path) -> None:
    folder = copy_set(demo_model_set, tmp_path / "future")
    rewrite_manifest(folder, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    message = (
        f"model set 'future': manifest.json says format version {FORMAT_VERSION + 1}, newer than this program reads "
        f"({FORMAT_VERSION}); update this program, or rebuild the set with this one"
    )
    assert str(load_error(folder)) == message
    assert list_model_sets(tmp_path)[0].error == message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m.update(format_version=1), "says format version 1, older than this program reads"),
        (lambda m: m.update(format_version=str(FORMAT_VERSION)), "manifest.json has no valid format_version (damaged)"),
        (lambda m: m["files"].pop("doc2vec_wv.npy"), "manifest.json does not list doc2vec_wv.npy (damaged or incomplete)"),
        (lambda m: m["files"].update({"../papers.parquet": m["files"]["papers.arrow"]}), "manifest.json has no valid file list"),
        (lambda m: m["files"]["map.npy"].update(bytes="many"), "manifest.json has no valid file list"),
    ],
)
def test_a_damaged_manifest_is_named_with_what_to_do(demo_model_set: Path, tmp_path: Path, change, expected: str) -> None:
    folder = copy_set(demo_model_set, tmp_path / "odd")
    rewrite_manifest(folder, change)
    message = str(load_error(folder))
    assert message.startswith("model set 'odd': ") and expected in message and "rebuild" in message
    assert list_model_sets(tmp_path)[0].error == message


def test_a_file_the_manifest_does_not_list_is_refused(demo_model_set: Path, tmp_path: Path) -> None:
    folder = copy_set(demo_model_set, tmp_path / "extra")
    shutil.copy(folder / "doc2vec_wv.npy", folder / "doc2vec_extra.npy")
    message = str(load_error(folder))
    assert message == (
        f"model set 'extra': file doc2vec_extra.npy is not listed in manifest.json (added after the build?); "
        f"remove it or {rebuild_advice(folder)}"
    )


# Library versions ----------------------------------------------------------------------------------


def test_other_python_and_numpy_versions_load_with_a_warning_listing_both(demo_model_set: Path, tmp_path: Path) -> None:
    folder = copy_set(demo_model_set, tmp_path / "old")
    rewrite_manifest(folder, with_versions(numpy="1.0.0", python="3.9.0"))
    installed = library_versions()
    with pytest.warns(ModelSetWarning) as caught:
        engine = load_engine(folder)
    expected = (
        f"model set 'old' was built with other versions than are installed (python: built with 3.9.0, installed {installed['python']}; "
        f"numpy: built with 1.0.0, installed {installed['numpy']}); it loaded, but if it misbehaves {rebuild_advice(folder)}"
    )
    assert engine.catalogue.warnings == [expected]
    assert [str(w.message) for w in caught] == [expected]
    assert len(engine.ranker.search(QUERY, k=5)) == 5


def test_patch_releases_and_libraries_no_file_depends_on_do_not_warn(demo_model_set: Path, tmp_path: Path) -> None:
    folder = copy_set(demo_model_set, tmp_path / "close")
    installed = library_versions()
    numpy_patch = ".".join(installed["numpy"].split(".")[:2]) + ".999"
    rewrite_manifest(folder, with_versions(numpy=numpy_patch, **{"umap-learn": "0.1.0", "hdbscan": "0.1", "scikit-learn": "0.20"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelSetWarning)
        assert load_model_set(folder).warnings == []


def test_a_failed_load_after_a_version_change_shows_the_versions_side_by_side(demo_model_set: Path, tmp_path: Path) -> None:
    folder = copy_set(demo_model_set, tmp_path / "mixed")
    rewrite_manifest(folder, with_versions(gensim="3.8.3"))
    replace_file(folder, "topics.json", b"{not json")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelSetWarning)  # no warning: the set did not load
        message = str(load_error(folder))
    assert message.startswith("model set 'mixed': file topics.json could not be opened (JSONDecodeError: ")
    assert message.endswith(
        f"it was built with other versions (gensim: built with 3.8.3, installed {library_versions()['gensim']}): "
        f"install those, or {rebuild_advice(folder)}"
    )
    assert "\n" not in message


# The command line ----------------------------------------------------------------------------------


def test_evaluate_on_broken_sets_exits_1_with_one_line(demo_model_set: Path, tmp_path: Path) -> None:
    flipped = copy_set(demo_model_set, tmp_path / "flipped")
    flip_middle_byte(flipped / "doc2vec_wv.npy")
    future = copy_set(demo_model_set, tmp_path / "future")
    rewrite_manifest(future, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    expected = {
        flipped: f"error: model set 'flipped': file doc2vec_wv.npy does not match its sha256 in manifest.json (damaged or changed); "
        f"{rebuild_advice(flipped)}",
        future: f"error: model set 'future': manifest.json says format version {FORMAT_VERSION + 1}, newer than this program reads "
        f"({FORMAT_VERSION}); update this program, or rebuild the set with this one",
        tmp_path / "absent": f"error: model set 'absent' not found at {tmp_path / 'absent'}; build one with `python -m lib build`",
    }
    processes = {
        folder: subprocess.Popen(
            [PYTHON, "-m", "lib", "evaluate", "--model", str(folder)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for folder in expected
    }
    for folder, process in processes.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 1 and stdout == ""
        assert stderr.splitlines() == [expected[folder]]


def test_evaluate_prints_a_version_warning_as_one_line(demo_model_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = copy_set(demo_model_set, tmp_path / "old")
    rewrite_manifest(folder, with_versions(numpy="1.0.0"))
    assert cli.main(["evaluate", "--model", str(folder), "--queries", "2"]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    with pytest.warns(ModelSetWarning):
        expected = load_model_set(folder).warnings
    assert warned == [f"warning: {expected[0]}"]
    assert "numpy: built with 1.0.0" in warned[0]


# The app ---------------------------------------------------------------------------------------------


@pytest.fixture
def mixed_models(demo_model_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A models folder with a set listed as broken, a good one, one built with other versions, and one with a flipped byte."""
    truncated = copy_set(demo_model_set, tmp_path / "a-truncated")
    with open(truncated / "papers.arrow", "r+b") as handle:
        handle.truncate(1000)
    copy_set(demo_model_set, tmp_path / "good")
    rewrite_manifest(copy_set(demo_model_set, tmp_path / "older-libs"), with_versions(numpy="1.0.0"))
    flip_middle_byte(copy_set(demo_model_set, tmp_path / "z-flipped") / "vectors.npy")
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    return tmp_path


def run_app(**params: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def card_count(app: AppTest) -> int:
    """Result rows shown: each row's title is a link to its paper's page, in bold."""
    return sum(link.proto.label.startswith("**") for link in app.get("page_link"))


def test_app_lists_broken_sets_with_their_message_and_the_others_keep_working(mixed_models: Path) -> None:
    app = run_app(q=QUERY)
    picker = app.sidebar.selectbox[0]
    assert picker.value == "good" and card_count(app) == 10 and not app.error
    assert picker.format_func("a-truncated") == "a-truncated · broken"
    assert picker.format_func("z-flipped").startswith("z-flipped · 1,200 papers")  # only a checksum shows this damage

    picker.set_value("a-truncated").run()
    # Messages quote set names and paths, so they are shown as literal text, never as Markdown.
    assert [e.value for e in app.error] == [markdown_literal(list_model_sets(mixed_models)[0].error)] and card_count(app) == 0
    assert markdown_literal("file papers.arrow has 1,000 bytes") in app.error[0].value

    app.sidebar.selectbox[0].set_value("z-flipped").run()
    assert not app.exception and card_count(app) == 0
    assert [e.value for e in app.error] == [
        markdown_literal(
            f"model set 'z-flipped': file vectors.npy does not match its sha256 in manifest.json (damaged or changed); "
            f"{rebuild_advice(mixed_models / 'z-flipped')}"
        )
    ]

    app.sidebar.selectbox[0].set_value("good").run()
    assert not app.exception and not app.error and card_count(app) == 10


def test_app_shows_version_warnings_and_still_searches(mixed_models: Path) -> None:
    with pytest.warns(ModelSetWarning):
        app = run_app(q=QUERY, model="older-libs")
    warned = [w.value for w in app.warning if "built with other versions" in w.value]
    with pytest.warns(ModelSetWarning):
        expected = load_model_set(mixed_models / "older-libs").warnings
    assert warned == [markdown_literal(message) for message in expected]
    assert markdown_literal("numpy: built with 1.0.0") in warned[0] and card_count(app) == 10


def hashed_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files sha256_file reads from now on."""
    names: list[str] = []
    real = modelset.sha256_file

    def counting(path: Path, chunk: int = 1 << 20) -> str:
        names.append(Path(path).name)
        return real(path, chunk)

    monkeypatch.setattr(modelset, "sha256_file", counting)
    return names


def test_a_verified_large_file_is_not_hashed_again_until_it_changes(
    demo_model_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(modelset, "STAMP_MIN_BYTES", 1)
    monkeypatch.setenv("TOPIC_SEARCH_CACHE", str(tmp_path / "cache"))
    folder = copy_set(demo_model_set, tmp_path / "stamped")
    hashed = hashed_files(monkeypatch)
    load_engine(folder)
    listed = set(manifest_of(folder)["files"])
    assert set(hashed) == listed | {"manifest.json"}  # a copy has new inodes: everything is hashed once

    hashed.clear()
    load_engine(folder)
    assert sorted(hashed) == ["manifest.json"]  # the manifest, always

    with open(folder / "vectors.npy", "r+b") as handle:  # same size, same mtime, one byte changed
        before = os.stat(folder / "vectors.npy")
        handle.seek(-1, os.SEEK_END)
        last = handle.read(1)
        handle.seek(-1, os.SEEK_END)
        handle.write(bytes([last[0] ^ 0xFF]))
    os.utime(folder / "vectors.npy", ns=(before.st_atime_ns, before.st_mtime_ns))
    message = str(load_error(folder))
    assert "file vectors.npy does not match its sha256" in message


def older_format(source: Path, folder: Path, version: int) -> Path:
    """A set as format 2 or 3 had it: the Doc2Vec model as gensim's pickle (doc2vec.model), format 2 with papers.parquet."""
    from lib import doc2vec_files

    folder = copy_set(source, folder)
    doc2vec_files.load(folder).save(str(folder / "doc2vec.model"), separately=[])  # gensim's native format, a pickle
    for name in doc2vec_files.ALWAYS + (doc2vec_files.SYN1NEG,):
        (folder / name).unlink()
    if version == 2:
        modelset.load_papers_frame(folder / modelset.PAPERS).to_parquet(folder / modelset.PAPERS_V2, index=False)
        (folder / modelset.PAPERS).unlink()

    def to_older(manifest: dict) -> None:
        manifest["format_version"] = version
        manifest["files"] = {path.name: {"bytes": path.stat().st_size, "sha256": sha256_file(path)} for path in folder.iterdir()}
        del manifest["files"]["manifest.json"]

    rewrite_manifest(folder, to_older)
    return folder


@pytest.mark.parametrize("version", [2, 3])
def test_a_set_of_an_older_format_holding_a_pickle_is_refused_with_the_rebuild_command(
    demo_model_set: Path, tmp_path: Path, version: int
) -> None:
    """No opt-in: the set is refused before any file is opened (a payload in the pickle: tests/test_model_format.py)."""
    folder = older_format(demo_model_set, tmp_path / "older", version)
    message = (
        f"model set 'older': manifest.json says format version {version}, an older format whose Doc2Vec model is a Python pickle "
        f"(doc2vec.model), which this program does not open because loading a pickle can run code; {rebuild_advice(folder)}"
    )
    assert str(load_error(folder)) == message
    assert [info.error for info in list_model_sets(tmp_path)] == [message]
    if version == 3:  # the advice works: the build replaces the old set in place (small settings, for time)
        small = ["--epochs", "2", "--umap-neighbors", "15", "--min-cluster-size", "20"]
        assert cli.main(["build", "--input", manifest_of(folder)["input"]["path"], "--out", str(folder), *small]) == 0
        assert not (folder / "doc2vec.model").exists() and len(load_engine(folder).ranker.search(QUERY, k=5)) == 5
