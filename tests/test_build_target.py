"""`build --out` only ever replaces a model set: every other target is refused before anything is read or trained.

Each case runs the real command line and checks the one `error:` line, that nothing was read ("reading" is the
build's first progress line), and that every file that was there is still there, unchanged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lib import modelset
from tests.conftest import PYTHON, ROOT, paper, write_jsonl


def run_build(input_path: Path, out: str | Path, cwd: Path = ROOT, *extra: str) -> subprocess.CompletedProcess:
    args = [PYTHON, "-m", "lib", "build", "--input", str(input_path), "--out", str(out), "--epochs", "2", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every path under folder (symlinks not followed) with its bytes, or its link target."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "dir"
    return found


def assert_refused(result: subprocess.CompletedProcess, *words: str) -> str:
    """Exit 1, one `error:` line naming what is wrong, and nothing read."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "reading" not in result.stderr and "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def small_input(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return write_jsonl(folder / "papers.jsonl", [paper(i) for i in range(40)])


@pytest.fixture(scope="module")
def built_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real model set under a models/ folder of its own (copied by tests that change it)."""
    root = tmp_path_factory.mktemp("sets")
    corpus = write_jsonl(root / "papers.jsonl", [paper(i) for i in range(40)])
    result = run_build(corpus, root / "models" / "first", ROOT, "--min-cluster-size", "5")
    assert result.returncode == 0, result.stderr
    return root / "models" / "first"


def test_a_folder_of_user_files_is_never_replaced(small_input: Path, tmp_path: Path) -> None:
    thesis = tmp_path / "thesis"
    (thesis / "figures").mkdir(parents=True)
    (thesis / "chapter1.tex").write_text("\\chapter{One}\n")
    (thesis / "figures" / "plot.pdf").write_bytes(b"%PDF-1.4")
    before = snapshot(tmp_path)
    line = assert_refused(run_build(small_input, thesis), "thesis", "not a model set")
    assert "new name" in line or "another" in line
    assert snapshot(tmp_path) == before


def test_an_empty_folder_is_refused_too(small_input: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert_refused(run_build(small_input, tmp_path / "empty"), "empty")
    assert (tmp_path / "empty").is_dir()


def test_the_folder_of_model_sets_is_refused_with_a_suggestion(small_input: Path, built_set: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(built_set.parent, models)
    before = snapshot(models)
    line = assert_refused(run_build(small_input, models), "holds model sets")
    assert f"{models}/" in line and "new name such as" in line
    assert snapshot(models) == before


def test_an_out_that_holds_or_is_the_input_is_refused(small_input: Path, built_set: Path, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    assert_refused(run_build(small_input, small_input.parent), "input")
    assert_refused(run_build(small_input, small_input), "input")
    assert snapshot(tmp_path) == before
    # Even a real model set may not be replaced by a build that reads a file inside it.
    copy = tmp_path / "models" / "set"
    shutil.copytree(built_set, copy)
    inside = write_jsonl(copy / "papers.jsonl", [paper(i) for i in range(40)])
    assert_refused(run_build(inside, copy), "input")
    assert inside.is_file() and (copy / "manifest.json").is_file()


def test_a_file_is_refused_and_not_hidden(small_input: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    before = snapshot(tmp_path)
    assert_refused(run_build(small_input, notes), "is a file")
    assert snapshot(tmp_path) == before


def test_a_symlink_is_refused_even_to_a_model_set(small_input: Path, built_set: Path, tmp_path: Path) -> None:
    target = tmp_path / "real-set"
    shutil.copytree(built_set, target)
    link = tmp_path / "link"
    link.symlink_to(target)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    before = snapshot(tmp_path)
    assert_refused(run_build(small_input, link), "symbolic link")
    assert_refused(run_build(small_input, dangling), "symbolic link")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("out", ["/", ".", "..", ""])
def test_root_and_the_working_folder_are_refused(small_input: Path, tmp_path: Path, out: str) -> None:
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    (work / "keep.txt").write_text("keep")
    assert_refused(run_build(small_input, out, cwd=work))
    assert (work / "keep.txt").read_text() == "keep"


def test_a_parent_that_is_a_file_is_one_clear_line(small_input: Path, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    assert_refused(run_build(small_input, tmp_path / "plain" / "set"), "not a folder")


def test_a_model_set_with_a_users_file_added_is_not_replaced(small_input: Path, built_set: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models" / "set"
    shutil.copytree(built_set, copy)
    (copy / "my-notes.md").write_text("notes")
    assert_refused(run_build(small_input, copy), "my-notes.md")
    assert (copy / "my-notes.md").read_text() == "notes"


def test_a_model_set_is_replaced_atomically(small_input: Path, built_set: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models" / "set"
    shutil.copytree(built_set, copy)
    old = modelset.read_manifest(copy)["created_at"], modelset.read_manifest(copy)["input"]["sha256"]
    result = run_build(small_input, copy, ROOT, "--min-cluster-size", "5")
    assert result.returncode == 0, result.stderr
    manifest = modelset.verify(copy)
    assert manifest["input"]["path"] == str(small_input.resolve()) and (manifest["created_at"], manifest["input"]["sha256"]) != old
    assert sorted(p.name for p in copy.parent.iterdir() if not p.name.endswith(".lock")) == ["set"]


def test_two_first_builds_into_one_new_folder(small_input: Path, tmp_path: Path) -> None:
    out = tmp_path / "models" / "new"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [PYTHON, "-m", "lib", "build", "--input", str(small_input), "--out", str(out), "--epochs", "30", "--min-cluster-size", "5"]
    first = subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    results = [(first.wait(timeout=300), first.stderr.read()), (second.wait(timeout=300), second.stderr.read())]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert "Directory not empty" not in loser and "Traceback" not in loser
    error = [line for line in loser.splitlines() if line.startswith("error: ")]
    assert len(error) == 1 and "another build" in error[0], loser
    modelset.verify(out)
    assert [p.name for p in out.parent.iterdir() if p.is_dir()] == ["new"]
