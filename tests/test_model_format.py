"""A model set is data: its Doc2Vec model is stored as arrays and JSON, and loading a set unpickles nothing.

The first tests train real gensim models and check that the model rebuilt from the files infers exactly what the
trained one did. The others rewrite a copy of the session's demo set as an attacker who can write a set's files
would: payloads in the files and a manifest whose checksums match them, so that only the format itself stands
between the payload and the server.
"""

import json
import pathlib
import pickle
import random
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from gensim.models.doc2vec import Doc2Vec
from streamlit.testing.v1 import AppTest

from lib import doc2vec_files
from lib.corpus import document_texts, write_corpus
from lib.doc2vec import infer_vector, train_doc2vec
from lib.modelset import ModelSetError, list_model_sets, load_model_set, rebuild_hint, sha256_file
from lib.params import PRESETS
from lib.reading import Filters
from lib.reading import read_papers as read_input
from lib.text import markdown_literal
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
QUERIES = 300


# Inference from the files equals inference from the trained model ---------------------------------------------


@pytest.fixture(scope="module")
def corpus(demo_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The demo corpus cleaned into gensim's corpus-file format, as a build writes it."""
    table, _ = read_input(demo_corpus, Filters())
    path = tmp_path_factory.mktemp("doc2vec") / "corpus.txt"
    return path, write_corpus(document_texts(table.to_frame(), "title+abstract"), path)


def queries(corpus: Path, model: Doc2Vec, n: int = QUERIES, seed: int = 3) -> list[list[str]]:
    """Known words of random stretches of the corpus, one word to a whole document, as Engine.query_vector passes them."""
    lines = corpus.read_text(encoding="utf-8").splitlines()
    rng = random.Random(seed)
    found = []
    while len(found) < n:
        words = rng.choice(lines).split()
        start = rng.randrange(len(words))
        stretch = words[start : start + rng.choice([1, 2, 3, 5, 8, 30, len(words)])]
        known = [word for word in stretch if word in model.wv.key_to_index]
        if known:
            found.append(known)
    return found


def max_inference_difference(trained: Doc2Vec, rebuilt: Doc2Vec, corpus: Path) -> float:
    """The largest absolute difference between the two models' vectors for the same queries, with the app's inference."""
    worst = 0.0
    for words in queries(corpus, trained):
        expected, found = infer_vector(trained, words), infer_vector(rebuilt, words)
        assert found.dtype == expected.dtype and found.shape == expected.shape
        worst = max(worst, float(np.abs(found - expected).max()))
    return worst


def saved_and_loaded(model: Doc2Vec, folder: Path) -> Doc2Vec:
    folder.mkdir()
    written = doc2vec_files.save(model, folder)
    assert sorted(written) == sorted(path.name for path in folder.iterdir())
    return doc2vec_files.load(folder)


def same_tables(trained: Doc2Vec, rebuilt: Doc2Vec) -> None:
    assert rebuilt.wv.index_to_key == trained.wv.index_to_key and rebuilt.wv.key_to_index == trained.wv.key_to_index
    assert np.array_equal(rebuilt.wv.vectors, trained.wv.vectors)
    for attr in ("count", "sample_int"):
        assert rebuilt.wv.expandos[attr].dtype == trained.wv.expandos[attr].dtype
        assert np.array_equal(rebuilt.wv.expandos[attr], trained.wv.expandos[attr])
    if trained.negative:
        assert rebuilt.cum_table.dtype == trained.cum_table.dtype and np.array_equal(rebuilt.cum_table, trained.cum_table)
        assert np.array_equal(rebuilt.syn1neg, trained.syn1neg)
    if trained.hs:
        assert np.array_equal(rebuilt.syn1, trained.syn1)
        for attr in ("code", "point"):
            assert all(np.array_equal(a, b) for a, b in zip(rebuilt.wv.expandos[attr], trained.wv.expandos[attr], strict=True))
    for name in ("sg", "dm_concat", "dm_tag_count", "cbow_mean", "window", "shrink_windows", "negative", "hs", "ns_exponent"):
        assert getattr(rebuilt, name) == getattr(trained, name), name
    for name in ("sample", "alpha", "min_alpha", "epochs", "layer1_size", "vector_size"):
        assert getattr(rebuilt, name) == getattr(trained, name), name
    assert len(rebuilt.dv) == 0 and rebuilt.dv.vector_size == trained.dv.vector_size


PRESET_MODELS = {
    "pv-dbow with word training (default)": replace(PRESETS["default"].doc2vec, epochs=5, vector_size=48),
    "pv-dbow without word training, vocabulary capped (large)": replace(
        PRESETS["large"].doc2vec, epochs=5, min_count=2, max_final_vocab=400
    ),
    "pv-dm (seed)": replace(PRESETS["seed"].doc2vec, epochs=20),
}


@pytest.mark.parametrize("name", PRESET_MODELS)
def test_the_rebuilt_model_infers_exactly_what_the_trained_one_did(name: str, corpus: tuple[Path, int], tmp_path: Path) -> None:
    path, n_docs = corpus
    trained = train_doc2vec(path, n_docs, PRESET_MODELS[name], workers=2, seed=0, log=lambda message: None)
    rebuilt = saved_and_loaded(trained, tmp_path / "set")
    assert isinstance(rebuilt.wv.vectors, np.memmap) and isinstance(rebuilt.syn1neg, np.memmap)
    same_tables(trained, rebuilt)
    assert max_inference_difference(trained, rebuilt, path) == 0.0
    # gensim's own inference too, from the same random state.
    for words in queries(path, trained, n=20):
        trained.random, rebuilt.random = np.random.RandomState(7), np.random.RandomState(7)
        assert np.array_equal(trained.infer_vector(words), rebuilt.infer_vector(words))


@pytest.mark.parametrize(
    "settings",
    [{"dm": 1, "dm_mean": 1, "hs": 1, "negative": 5}, {"dm": 1, "dm_concat": 1, "window": 2, "hs": 1, "negative": 0}],
    ids=["pv-dm mean, softmax and negative sampling", "pv-dm concatenated, softmax only"],
)
def test_hierarchical_softmax_and_concatenation_rebuild_exactly(settings: dict, corpus: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = corpus
    trained = Doc2Vec(corpus_file=str(path), vector_size=16, min_count=2, epochs=3, workers=1, seed=0, **settings)
    rebuilt = saved_and_loaded(trained, tmp_path / "set")
    same_tables(trained, rebuilt)
    assert max_inference_difference(trained, rebuilt, path) == 0.0


# Rewritten sets -----------------------------------------------------------------------------------------------


class Payload:
    """Unpickling this creates the marker file: proof that code from the set ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def copy_set(source: Path, folder: Path) -> Path:
    shutil.copytree(source, folder)
    return folder


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def rewrite(folder: Path, files: dict[str, bytes], **fields: object) -> None:
    """Write these files and a manifest that lists them with matching sizes and checksums (plus any changed fields)."""
    manifest = manifest_of(folder)
    for name, content in files.items():
        (folder / name).write_bytes(content)
        manifest["files"][name] = {"bytes": len(content), "sha256": sha256_file(folder / name)}
    manifest.update(fields)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def pickled_npy(marker: Path) -> bytes:
    """A valid .npy file of an object array whose unpickling runs the payload."""
    path = marker.with_name(marker.name + ".npy")
    np.save(path, np.array([Payload(marker), 1], dtype=object), allow_pickle=True)
    content = path.read_bytes()
    path.unlink()
    return content


def old_format_with_pickle(folder: Path, marker: Path) -> None:
    """A set of format 3, whose doc2vec.model is a pickle, rewritten to hold a payload."""
    rewrite(folder, {"doc2vec.model": pickle.dumps(Payload(marker))}, format_version=3)


def npy_names(folder: Path) -> list[str]:
    return sorted(name for name in manifest_of(folder)["files"] if name.endswith(".npy"))


def loading_fails_without_running(folder: Path, marker: Path) -> str:
    with pytest.raises(ModelSetError) as caught:
        load_model_set(folder)
    assert not marker.exists(), "the payload ran"
    message = str(caught.value)
    assert message.startswith(f"model set '{folder.name}': ") and "\n" not in message
    return message


def test_an_old_set_whose_pickle_holds_a_payload_is_refused_unopened(demo_model_set: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    folder = copy_set(demo_model_set, tmp_path / "old")
    old_format_with_pickle(folder, marker)
    message = loading_fails_without_running(folder, marker)
    assert message == (
        f"model set 'old': manifest.json says format version 3, an older format whose Doc2Vec model is a Python pickle "
        f"(doc2vec.model), which this program does not open because loading a pickle can run code; "
        f"{rebuild_hint(folder, manifest_of(folder))}"
    )
    assert [info.error for info in list_model_sets(tmp_path)] == [message]
    assert not marker.exists()


def test_an_old_set_of_format_2_is_refused_with_the_same_advice(demo_model_set: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    folder = copy_set(demo_model_set, tmp_path / "older")
    rewrite(folder, {"doc2vec.model": pickle.dumps(Payload(marker))}, format_version=2)
    message = loading_fails_without_running(folder, marker)
    assert "format version 2, an older format whose Doc2Vec model is a Python pickle" in message
    assert message.endswith(rebuild_hint(folder, manifest_of(folder)))


def test_an_unlisted_pickle_in_a_current_set_is_refused(demo_model_set: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    folder = copy_set(demo_model_set, tmp_path / "added")
    (folder / "doc2vec.model").write_bytes(pickle.dumps(Payload(marker)))
    message = loading_fails_without_running(folder, marker)
    assert "file doc2vec.model is not listed in manifest.json (added after the build?)" in message


def test_a_pickled_object_array_in_any_npy_file_is_never_unpickled(demo_model_set: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    names = npy_names(demo_model_set)
    assert len(names) >= 8
    for name in names:
        folder = copy_set(demo_model_set, tmp_path / f"npy-{name}")
        rewrite(folder, {name: pickled_npy(marker)})
        message = loading_fails_without_running(folder, marker)
        # The BM25 and ANN arrays are opened as one index each, named by its first file.
        assert "could not be opened (ValueError: " in message and ("Python objects" in message or "allow_pickle=False" in message), message
        shutil.rmtree(folder)


def test_a_pickle_disguised_as_an_npy_file_is_never_unpickled(demo_model_set: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for name in ["vectors.npy", *[n for n in npy_names(demo_model_set) if n.startswith("doc2vec")]]:
        folder = copy_set(demo_model_set, tmp_path / f"raw-{name}")
        rewrite(folder, {name: pickle.dumps(Payload(marker))})
        assert f"file {name} could not be opened" in loading_fails_without_running(folder, marker)
        shutil.rmtree(folder)


ODD_PARAMS = [
    [],
    "doc2vec",
    {"py/reduce": [{"py/function": "pathlib.Path.touch"}, {"py/tuple": ["ran"]}]},
    {"__class__": "gensim.models.doc2vec.Doc2Vec", "__reduce__": "os.system"},
]


def odd_params(folder: Path) -> list[tuple[str, object, str]]:
    """doc2vec.json rewritten as other JSON values, and with values that do not fit the arrays beside it:
    (file rewritten, its content, the file the message names)."""
    params = json.loads((folder / "doc2vec.json").read_text(encoding="utf-8"))
    size = params["vector_size"]
    changed = [
        ({"vector_size": size * 4}, "doc2vec.json"),
        ({"vector_size": size * 4, "layer1_size": size * 4}, "doc2vec_wv.npy"),
        ({"vector_size": -1}, "doc2vec.json"),
        ({"vector_size": "100"}, "doc2vec.json"),
        ({"vector_size": True}, "doc2vec.json"),
        ({"window": 10**12}, "doc2vec.json"),
        ({"negative": 0, "hs": 0}, "doc2vec.json"),
        ({"hs": 1}, "doc2vec_syn1.npy"),
        ({"dm": 1, "dm_concat": 1}, "doc2vec.json"),
        ({"dm": 1, "dm_concat": 1, "layer1_size": (1 + 2 * params["window"]) * size}, "doc2vec_words.json"),
        ({"alpha": "__import__('os')"}, "doc2vec.json"),
        ({"alpha": float("nan")}, "doc2vec.json"),
        ({"epochs": 10**9}, "doc2vec.json"),
        ({"seed": -1}, "doc2vec.json"),
        ({"vocabulary": params["vocabulary"] + 1}, "doc2vec_words.json"),
    ]
    return [("doc2vec.json", value, "doc2vec.json") for value in ODD_PARAMS] + [
        ("doc2vec.json", {**params, **change}, reported) for change, reported in changed
    ]


def odd_words(folder: Path) -> list[tuple[str, object, str]]:
    words = json.loads((folder / "doc2vec_words.json").read_text(encoding="utf-8"))
    return [
        ("doc2vec_words.json", value, "doc2vec_words.json")
        for value in ({"py/object": "os.system"}, words[:-1], [*words[:-1], 7], [*words[:-1], words[0]])
    ]


def test_odd_doc2vec_json_is_refused_with_a_clear_message(demo_model_set: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    cases = odd_params(demo_model_set) + odd_words(demo_model_set)
    for number, (name, value, reported) in enumerate(cases):
        folder = copy_set(demo_model_set, tmp_path / f"odd-{number}")
        rewrite(folder, {name: json.dumps(value).encode()})
        message = loading_fails_without_running(folder, marker)
        assert f"file {reported} could not be opened" in message and "rebuild it with" in message, (value, message)
        shutil.rmtree(folder)


def test_arrays_that_do_not_fit_the_parameters_are_refused(demo_model_set: Path, tmp_path: Path) -> None:
    """Shapes, dtypes and tables that would make gensim's compiled inference read outside the arrays."""
    marker = tmp_path / "ran"
    wv = np.load(demo_model_set / "doc2vec_wv.npy")
    vocab = np.load(demo_model_set / "doc2vec_vocab.npy")
    cases = {
        "doc2vec_wv.npy": [wv[:-1], wv[:, :-1], wv.astype(np.float64), np.asfortranarray(wv), wv.astype(">f4"), wv.ravel()],
        "doc2vec_syn1neg.npy": [wv[:, :10]],
        "doc2vec_vocab.npy": [vocab[:-1], vocab[:, :2], vocab.astype(np.float64)],
    }
    bad_counts, unsorted_table, short_table = vocab.copy(), vocab.copy(), vocab.copy()
    bad_counts[0, 0] = -1
    unsorted_table[[0, -1], 2] = unsorted_table[[-1, 0], 2]
    short_table[-1, 2] = 0
    cases["doc2vec_vocab.npy"] += [bad_counts, unsorted_table, short_table]
    number = 0
    for name, arrays in cases.items():
        for array in arrays:
            folder = copy_set(demo_model_set, tmp_path / f"shape-{number}")
            number += 1
            path = folder / name
            np.save(path, array)
            rewrite(folder, {name: path.read_bytes()})
            message = loading_fails_without_running(folder, marker)
            assert f"file {name} could not be opened" in message, (name, array.shape, array.dtype, message)
            shutil.rmtree(folder)


def broken_set_messages(models: Path) -> dict[str, str]:
    """Each set's message: from the listing, or else from loading it (which must fail)."""
    messages = {}
    for info in list_model_sets(models):
        if info.error is None:
            with pytest.raises(ModelSetError) as caught:
                load_model_set(info.path)
        messages[info.name] = info.error or str(caught.value)
    return messages


# The app ------------------------------------------------------------------------------------------


def test_the_app_runs_no_payload_and_lists_each_rewritten_set_as_broken(
    demo_model_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no set named in the link the app opens the first working set by name: here every set is a trap."""
    marker = tmp_path / "ran"
    models = tmp_path / "models"
    old_format_with_pickle(copy_set(demo_model_set, models / "a-old-pickle"), marker)
    first_npy = next(name for name in npy_names(demo_model_set) if name.startswith("doc2vec"))
    rewrite(copy_set(demo_model_set, models / "b-pickled-npy"), {first_npy: pickled_npy(marker)})
    rewrite(copy_set(demo_model_set, models / "c-odd-json"), {"doc2vec.json": json.dumps(ODD_PARAMS[2]).encode()})
    (copy_set(demo_model_set, models / "d-unlisted-pickle") / "doc2vec.model").write_bytes(pickle.dumps(Payload(marker)))
    monkeypatch.setenv("MODELS_DIR", str(models))

    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["q"] = "qubits stabilizer codes"
    app.run()
    assert not app.exception, app.exception
    assert not marker.exists(), "the payload ran"
    picker = app.sidebar.selectbox[0]
    assert picker.format_func("a-old-pickle") == "a-old-pickle · broken"
    assert picker.format_func("d-unlisted-pickle") == "d-unlisted-pickle · broken"
    errors = {}
    for name in ("a-old-pickle", "b-pickled-npy", "c-odd-json", "d-unlisted-pickle"):
        app.sidebar.selectbox[0].set_value(name).run()
        assert not app.exception, app.exception
        assert not marker.exists(), f"the payload of {name} ran"
        errors[name] = [e.value for e in app.error]
    messages = broken_set_messages(models)
    assert {name: [markdown_literal(message)] for name, message in messages.items()} == errors  # shown literally
    assert "an older format whose Doc2Vec model is a Python pickle" in messages["a-old-pickle"]
    assert f"file {first_npy} could not be opened" in messages["b-pickled-npy"]
    assert "file doc2vec.json could not be opened" in messages["c-odd-json"]
    assert "file doc2vec.model is not listed" in messages["d-unlisted-pickle"]
    assert not marker.exists()
