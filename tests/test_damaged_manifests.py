"""A damaged manifest breaks only its own set: listed as broken with a message, every other set works on every page.

Each test damages its own copy of the session's demo model set's manifest.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from lib import modelset
from lib.modelset import MANIFEST, ModelSetError, list_model_sets, load_model_set, verify
from lib.text import markdown_literal
from tests.conftest import PYTHON, ROOT

APP = str(ROOT / "app.py")
PAGES = ("pages/search.py", "pages/map.py", "pages/topics.py", "pages/paper.py", "pages/marked.py")
DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE_NAME = "x_[click](javascript:alert(1)) **b**"
REPRODUCIBLE = settings(derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))


def manifest_text(folder: Path) -> str:
    return (folder / MANIFEST).read_text(encoding="utf-8")


def set_field(manifest: dict, path: tuple[str, ...], value: object) -> dict:
    """The manifest with the value at this key path replaced (missing parents become objects)."""
    target = manifest
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value
    return manifest


def damage(folder: Path, path: tuple[str, ...], value: object) -> None:
    manifest = json.loads(manifest_text(folder))
    (folder / MANIFEST).write_text(json.dumps(set_field(manifest, path, value)), encoding="utf-8")


# (field path, value, words the message must hold)
DAMAGES = [
    (("counts", "papers"), "many", "counts.papers"),
    (("counts", "papers"), -3, "counts.papers"),
    (("counts", "papers"), True, "counts.papers"),
    (("counts",), [1, 2], "counts"),
    (("created_at",), 12345, "created_at"),
    (("synthetic",), "yes", "synthetic"),
    (("documents",), {"kind": "abstracts"}, "documents"),
    (("name",), 7, "name"),
    (("params",), "fast", "params"),
    (("input",), "data.jsonl", "input"),
    (("input", "path"), ["a", "b"], "input.path"),
    (("input", "corpus_file"), 3, "input.corpus_file"),
    (("versions",), "numpy 2", "versions"),
    (("versions", "numpy"), {"major": 2}, "versions.numpy"),
    (("ann",), [], "ann"),
]


@pytest.fixture
def models(tmp_path: Path, demo_model_set: Path) -> Path:
    """A models folder holding a copy of the demo set named 'good'."""
    shutil.copytree(demo_model_set, tmp_path / "good")
    return tmp_path


@pytest.mark.parametrize(("path", "value", "named"), DAMAGES)
def test_a_wrongly_typed_field_is_named_by_listing_and_loading_alike(models: Path, path, value, named: str) -> None:
    folder = shutil.copytree(models / "good", models / "damaged")
    damage(folder, path, value)
    infos = {info.name: info for info in list_model_sets(models)}
    assert infos["good"].error is None and infos["good"].papers == 1200
    message = infos["damaged"].error
    assert message and message.startswith("model set 'damaged': manifest.json") and f"'{named}'" in message and "rebuild" in message
    with pytest.raises(ModelSetError) as caught:
        load_model_set(folder)
    assert str(caught.value) == message
    assert "\n" not in message


@pytest.mark.parametrize("text", [DEEP, '{"a":' * 100_000 + "1" + "}" * 100_000, "[" * 100_000])
def test_deeply_nested_brackets_are_a_broken_set_not_a_recursion_error(models: Path, text: str) -> None:
    folder = shutil.copytree(models / "good", models / "deep")
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    infos = {info.name: info for info in list_model_sets(models)}
    assert infos["good"].error is None
    assert infos["deep"].error.startswith("model set 'deep': manifest.json is unreadable (nested too deeply)")
    with pytest.raises(ModelSetError, match="nested too deeply"):
        load_model_set(folder)


def test_a_huge_manifest_is_refused_before_it_is_parsed(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shutil.copytree(models / "good", models / "huge")
    manifest = json.loads(manifest_text(folder))
    manifest["padding"] = "x" * (modelset.MAX_MANIFEST_BYTES + 1)
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    parsed, loads = [], json.loads

    def measured(text, *args, **kwargs):
        parsed.append(len(text))
        return loads(text, *args, **kwargs)

    monkeypatch.setattr(modelset.json, "loads", measured)
    info = {info.name: info for info in list_model_sets(models)}["huge"]
    assert parsed and max(parsed) <= modelset.MAX_MANIFEST_BYTES  # the good set's manifest only
    assert info.error.startswith(f"model set 'huge': manifest.json has {(folder / MANIFEST).stat().st_size:,} bytes, more than")


def test_evaluate_prints_the_named_problem_as_one_error_line(models: Path) -> None:
    deep = shutil.copytree(models / "good", models / "deep")
    (deep / MANIFEST).write_text(DEEP, encoding="utf-8")
    many = shutil.copytree(models / "good", models / "many")
    damage(many, ("counts", "papers"), "many")
    stamp = shutil.copytree(models / "good", models / "stamp")
    damage(stamp, ("created_at",), 12345)
    processes = {
        folder: subprocess.Popen(
            [PYTHON, "-m", "lib", "evaluate", "--model", str(folder)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for folder in (deep, many, stamp)
    }
    for folder, process in processes.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 1 and stdout == ""
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: model set '{folder.name}': manifest.json"), lines
        assert "unexpected" not in lines[0] and "rebuild" in lines[0]
        assert folder != deep or "nested too deeply" in lines[0]


# Property: any JSON anywhere in the manifest ---------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
FIELDS = [
    (),
    ("format_version",),
    ("created_at",),
    ("name",),
    ("synthetic",),
    ("documents",),
    ("params",),
    ("params", "doc2vec"),
    ("workers",),
    ("input",),
    ("input", "path"),
    ("input", "corpus_file"),
    ("input", "corpus_file", "path"),
    ("counts",),
    ("counts", "papers"),
    ("versions",),
    ("versions", "numpy"),
    ("versions", "python"),
    ("files",),
    ("files", "map.npy"),
    ("files", "map.npy", "bytes"),
    ("files", "papers.arrow", "sha256"),
    ("stages",),
    ("ann",),
    ("something new",),
]


def check_listing(models: Path) -> modelset.ModelSetInfo:
    """list_model_sets never raises; the good set stays good; the damaged one is valid or broken with a message."""
    infos = {info.name: info for info in list_model_sets(models)}
    assert infos["good"].error is None and infos["good"].papers == 1200
    info = infos["damaged"]
    if info.error is None:
        assert info.papers is None or (isinstance(info.papers, int) and not isinstance(info.papers, bool) and info.papers >= 0)
        assert info.created_at is None or isinstance(info.created_at, str)
        assert isinstance(info.synthetic, bool) and isinstance(info.full_text, bool)
    else:
        assert isinstance(info.error, str) and info.error.startswith("model set 'damaged': ") and "\n" not in info.error
        assert "rebuild" in info.error or "update this program" in info.error
        assert "could not be checked" not in info.error, "a field check missed a case"
    return info


@pytest.fixture(scope="module")
def good_copy(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("property") / "good"
    shutil.copytree(demo_model_set, folder)
    return folder


@settings(REPRODUCIBLE, max_examples=150)
@given(st.sampled_from(FIELDS), JSON | st.just(DEEP))
@example(("counts", "papers"), "many")
@example(("created_at",), 12345)
@example(("counts", "papers"), 10**4000)
@example(("files", "map.npy", "bytes"), -(10**4000))
@example(("versions",), {"numpy\n[x](javascript:y)": 2})
@example(("files", "map.npy", "bytes"), True)
def test_any_json_in_any_field_lists_as_valid_or_broken(good_copy: Path, path: tuple[str, ...], value: object) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        models = Path(scratch)
        shutil.copytree(good_copy, models / "good")
        folder = models / "damaged"
        folder.mkdir()
        manifest = json.loads(manifest_text(good_copy))
        if value == DEEP:
            text = json.dumps(set_field(manifest, path, None) if path else None).replace("null", DEEP, 1)
        else:
            text = json.dumps(set_field(manifest, path, value) if path else value)
        (folder / MANIFEST).write_text(text, encoding="utf-8")
        check_listing(models)


@settings(REPRODUCIBLE, max_examples=30)
@given(st.sampled_from(FIELDS[1:]), JSON)
@example(("counts", "papers"), "many")
def test_loading_refuses_what_listing_refuses_with_the_same_message(good_copy: Path, path: tuple[str, ...], value: object) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        models = Path(scratch)
        shutil.copytree(good_copy, models / "good")
        folder = shutil.copytree(good_copy, models / "damaged")
        damage(folder, path, value)
        info = check_listing(models)
        try:
            verify(folder)
        except ModelSetError as exc:
            assert info.error == str(exc) or (info.error is None and "sha256" in str(exc))
        else:
            assert info.error is None


# The app ---------------------------------------------------------------------------------------------


def open_page(page: str, **params: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    if page != PAGES[0]:
        app.switch_page(page)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.fixture
def damaged_models(models: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The good set beside three sets whose manifests once broke every page."""
    deep = shutil.copytree(models / "good", models / "a-deep")
    (deep / MANIFEST).write_text(DEEP, encoding="utf-8")
    damage(shutil.copytree(models / "good", models / "b-many"), ("counts", "papers"), "many")
    damage(shutil.copytree(models / "good", models / "c-stamp"), ("created_at",), 12345)
    monkeypatch.setenv("MODELS_DIR", str(models))
    return models


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_with_the_good_set_and_explains_each_damaged_one(damaged_models: Path, page: str) -> None:
    good = open_page(page, model="good")
    assert not good.error and good.sidebar.selectbox[0].value == "good"
    errors = {info.name: info.error for info in list_model_sets(damaged_models)}
    for name in ("a-deep", "b-many", "c-stamp"):
        app = open_page(page, model=name)
        assert [e.value for e in app.error] == [markdown_literal(errors[name])], name
        picker = app.sidebar.selectbox[0]
        assert picker.format_func(name) == f"{name} · broken"
        assert picker.format_func("good").startswith("good · 1,200 papers")
    assert open_page(page).sidebar.selectbox[0].value == "good"  # the first working set is the default


def test_a_set_named_with_markdown_is_shown_as_typed(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = shutil.copytree(models / "good", models / HOSTILE_NAME)
    (broken / "topics.json").unlink()  # broken by a missing file: its message names the set, twice
    monkeypatch.setenv("MODELS_DIR", str(models))
    app = open_page(PAGES[0], model=HOSTILE_NAME)
    (error,) = [e.value for e in app.error]
    assert markdown_literal(HOSTILE_NAME, inline=True) in error and "](javascript" not in error and "**" not in error
    assert app.sidebar.selectbox[0].format_func(HOSTILE_NAME) == f"{HOSTILE_NAME} · broken"  # options are plain text
    # A working set of that name: its picker entry and the paper page's message show it as typed too.
    shutil.rmtree(broken)
    shutil.copytree(models / "good", models / HOSTILE_NAME)
    app = open_page(PAGES[3], model=HOSTILE_NAME, id="nope")
    assert not app.error
    assert app.sidebar.selectbox[0].value == HOSTILE_NAME
    assert any(markdown_literal(HOSTILE_NAME, inline=True) in w.value for w in app.warning)


@settings(REPRODUCIBLE, max_examples=8)
@given(st.sampled_from(PAGES), st.sampled_from(FIELDS), JSON)
@example(PAGES[2], ("counts", "papers"), "many")
def test_any_damaged_manifest_leaves_every_page_working(damaged_models: Path, page: str, path: tuple[str, ...], value: object) -> None:
    folder = damaged_models / "d-any"
    shutil.rmtree(folder, ignore_errors=True)
    manifest = json.loads(manifest_text(damaged_models / "good"))
    shutil.copytree(damaged_models / "good", folder)
    (folder / MANIFEST).write_text(json.dumps(set_field(manifest, path, value) if path else value), encoding="utf-8")
    open_page(page, model="d-any")
    good = open_page(page, model="good")
    assert not good.error
