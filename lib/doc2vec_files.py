"""A model set's Doc2Vec model as plain arrays and JSON, and the gensim model rebuilt from them for query inference.

Contract. `save(model, folder)` writes, for a trained gensim `Doc2Vec`:

    doc2vec.json          every parameter inference reads (vector_size, dm, dm_mean, dm_concat, dm_tag_count, window,
                          shrink_windows, negative, hs, ns_exponent, sample, alpha, min_alpha, epochs, seed, layer1_size)
                          and, for the record, the other training settings, corpus size and the gensim version
    doc2vec_words.json    the vocabulary in gensim's index order (a JSON list of strings)
    doc2vec_vocab.npy     int64, one row per word: its corpus count, its down-sampling threshold (gensim's
                          `sample_int`) and its entry of the negative-sampling table (`cum_table`; 0 without negative
                          sampling), exactly as training computed them
    doc2vec_wv.npy        word vectors, float32, words x vector_size
    doc2vec_syn1neg.npy   output weights of negative sampling, float32, words x layer1_size (when negative > 0)
    doc2vec_syn1.npy      output weights of hierarchical softmax, float32, words x layer1_size (when hs = 1;
                          its Huffman tree is rebuilt from the counts, as training built it)

`load(folder)` reads them with `np.load(..., allow_pickle=False)`, the two weight matrices memory-mapped, checks every
value, shape and dtype against the others (gensim's compiled inference trusts them to stay inside the arrays), and
returns a gensim `Doc2Vec` whose `infer_vector` (and `lib.doc2vec.infer_vector`) gives exactly the vectors the trained
model gave. It holds no document vectors (a set's `vectors.npy` has them, unit length, and nothing needs gensim's raw
ones) and is not meant to be trained further. Nothing here unpickles or evaluates anything: the files are data,
whoever wrote them; a file that does not fit raises `Doc2VecFileError` with one line saying why.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

# The files' names are the format's (lib/setfiles.py), under the short names this module's code and messages use.
from lib.setfiles import DOC2VEC_ALWAYS as ALWAYS
from lib.setfiles import DOC2VEC_PARAMS as PARAMS
from lib.setfiles import DOC2VEC_SYN1 as SYN1
from lib.setfiles import DOC2VEC_SYN1NEG as SYN1NEG
from lib.setfiles import DOC2VEC_VOCAB as VOCAB
from lib.setfiles import DOC2VEC_WORD_VECTORS as WORD_VECTORS
from lib.setfiles import DOC2VEC_WORDS as WORDS

VOCAB_COLUMNS = ["count", "sample_int", "cum_table"]
# gensim's negative-sampling table ends at this value (Word2Vec.make_cum_table's domain).
CUM_TABLE_DOMAIN = 2**31 - 1
# Bounds of the parameters inference reads: wide enough for any real model, narrow enough that none can make gensim's
# fixed-size buffers overflow (a window of 5,000 would in PV-DM with concatenation) or one query run for hours.
INT_PARAMS = {
    "vector_size": (1, 10_000),
    "dm": (0, 1),
    "dm_mean": (0, 1),
    "dm_concat": (0, 1),
    "dm_tag_count": (1, 100),
    "dbow_words": (0, 1),
    "window": (1, 1_000),
    "negative": (0, 1_000),
    "hs": (0, 1),
    "epochs": (1, 10_000),
    "seed": (0, 2**32 - 1),
    "layer1_size": (1, 10**8),
    "vocabulary": (1, 2**31 - 1),
}
# Learning rates and the down-sampling threshold are at least 0; ns_exponent may be negative (gensim allows it).
FLOAT_PARAMS = ("alpha", "min_alpha", "sample", "ns_exponent")
SIGNED_FLOAT_PARAMS = ("ns_exponent",)
BOOL_PARAMS = ("shrink_windows",)
# Recorded, not needed for inference.
RECORDED = ("min_count", "max_final_vocab", "sorted_vocab", "corpus_count", "corpus_total_words")

T = TypeVar("T")
Opener = Callable[[str, Callable[[Path], T]], T]


class Doc2VecFileError(ValueError):
    """A Doc2Vec file of a model set is not what `save` writes; the message says what does not fit."""


def files(params: dict) -> list[str]:
    """The files a model with these parameters is stored in."""
    return [*ALWAYS, *([SYN1NEG] if params["negative"] else []), *([SYN1] if params["hs"] else [])]


def save(model: object, folder: Path) -> list[str]:
    """Write the model's inference parts to folder (see the module's contract); return the names written."""
    import numpy as np
    from gensim import __version__ as gensim_version

    wv = model.wv
    size = len(wv.index_to_key)
    params = {
        "vector_size": int(model.vector_size),
        "dm": int(not model.sg),
        "dm_mean": int(model.cbow_mean),
        "dm_concat": int(model.dm_concat),
        "dm_tag_count": int(model.dm_tag_count),
        "dbow_words": int(model.dbow_words),
        "window": int(model.window),
        "shrink_windows": bool(model.shrink_windows),
        "negative": int(model.negative),
        "hs": int(model.hs),
        "ns_exponent": float(model.ns_exponent),
        "sample": float(model.sample),
        "alpha": float(model.alpha),
        "min_alpha": float(model.min_alpha),
        "epochs": int(model.epochs),
        "seed": int(model.seed),
        "layer1_size": int(model.layer1_size),
        "vocabulary": size,
        "min_count": model.min_count,
        "max_final_vocab": model.max_final_vocab,
        "sorted_vocab": int(model.sorted_vocab),
        "corpus_count": int(model.corpus_count),
        "corpus_total_words": int(model.corpus_total_words),
        "vocab_columns": VOCAB_COLUMNS,
        "gensim": gensim_version,
    }
    vocab = np.zeros((size, len(VOCAB_COLUMNS)), dtype=np.int64)
    vocab[:, 0] = wv.expandos["count"]
    vocab[:, 1] = wv.expandos["sample_int"]
    if model.negative:
        vocab[:, 2] = model.cum_table
    (folder / PARAMS).write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    (folder / WORDS).write_text(json.dumps([str(word) for word in wv.index_to_key]), encoding="utf-8")
    np.save(folder / VOCAB, vocab)
    np.save(folder / WORD_VECTORS, np.ascontiguousarray(wv.vectors, dtype=np.float32))
    if model.negative:
        np.save(folder / SYN1NEG, np.ascontiguousarray(model.syn1neg, dtype=np.float32))
    if model.hs:
        np.save(folder / SYN1, np.ascontiguousarray(model.syn1, dtype=np.float32))
    return files(params)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_params(path: Path) -> dict:
    """doc2vec.json, checked: every parameter inference reads present, of its type and within its bounds."""
    params = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(params, dict):
        raise Doc2VecFileError(f"expected a JSON object of parameters, found {type(params).__name__}")
    for name, (low, high) in INT_PARAMS.items():
        value = params.get(name)
        if not _is_int(value) or not low <= value <= high:
            raise Doc2VecFileError(f"{name} must be an integer from {low:,} to {high:,}, found {value!r:.40}")
    for name in FLOAT_PARAMS:
        value = params.get(name)
        if not (_is_int(value) or isinstance(value, float)) or not math.isfinite(value):
            raise Doc2VecFileError(f"{name} must be a finite number, found {value!r:.40}")
        if value < 0 and name not in SIGNED_FLOAT_PARAMS:
            raise Doc2VecFileError(f"{name} must be at least 0, found {value!r:.40}")
    for name in BOOL_PARAMS:
        if not isinstance(params.get(name), bool):
            raise Doc2VecFileError(f"{name} must be true or false, found {params.get(name)!r:.40}")
    if not params["negative"] and not params["hs"]:
        raise Doc2VecFileError("neither negative sampling nor hierarchical softmax: the model has no output layer")
    if params.get("vocab_columns") != VOCAB_COLUMNS:
        raise Doc2VecFileError(f"vocab_columns must be {VOCAB_COLUMNS}, found {params.get('vocab_columns')!r:.80}")
    concat = params["dm"] and params["dm_concat"]
    layer1 = (params["dm_tag_count"] + 2 * params["window"]) * params["vector_size"] if concat else params["vector_size"]
    if params["layer1_size"] != layer1:
        raise Doc2VecFileError(f"layer1_size is {params['layer1_size']:,} but vector_size, dm, dm_concat and window make it {layer1:,}")
    return params


def read_words(path: Path, params: dict) -> tuple[list[str], dict[str, int]]:
    """doc2vec_words.json and each word's index: as many distinct strings as the parameters say; with dm_concat,
    gensim's null word among them."""
    words = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(words, list) or set(map(type, words)) - {str}:
        raise Doc2VecFileError("expected a JSON list of strings")
    if len(words) != params["vocabulary"]:
        raise Doc2VecFileError(f"{len(words):,} words, but {PARAMS} says {params['vocabulary']:,}")
    index = dict(zip(words, range(len(words)), strict=True))
    if len(index) != len(words):
        raise Doc2VecFileError("a word is listed twice")
    if params["dm"] and params["dm_concat"] and "\0" not in index:
        raise Doc2VecFileError("PV-DM with concatenation needs gensim's null word in the vocabulary")
    return words, index


def read_array(path: Path, dtype: str, shape: tuple[int, int], mmap: bool) -> object:
    """An .npy array, never unpickled, of exactly this native dtype and shape, C-ordered (as compiled code reads it)."""
    import numpy as np

    array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    if array.dtype != np.dtype(dtype) or not array.dtype.isnative:
        raise Doc2VecFileError(f"expected {np.dtype(dtype).name} values, found {array.dtype.str}")
    if array.shape != shape:
        raise Doc2VecFileError(f"expected shape {shape}, found {array.shape} ({PARAMS} and {WORDS} decide the shape)")
    if not array.flags.c_contiguous:
        raise Doc2VecFileError("expected an array in C order")
    return array


def read_vocab(path: Path, params: dict) -> tuple[object, object, object | None]:
    """Counts (int64), down-sampling thresholds and negative-sampling table (uint32, C-ordered) from doc2vec_vocab.npy."""
    import numpy as np

    vocab = read_array(path, "int64", (params["vocabulary"], len(VOCAB_COLUMNS)), mmap=False)
    counts, sample_int, cum_table = (np.ascontiguousarray(vocab[:, column]) for column in range(len(VOCAB_COLUMNS)))
    if counts.min() < 0:
        raise Doc2VecFileError("a word count is negative")
    if sample_int.min() < 0 or sample_int.max() > 2**32 - 1:
        raise Doc2VecFileError("a down-sampling threshold is outside 0 to 2**32 - 1")
    if not params["negative"]:
        return counts, sample_int.astype(np.uint32), None
    # Inference draws a word by bisecting this table for a number below its last entry: it must rise to exactly that.
    if cum_table.min() < 0 or cum_table[-1] != CUM_TABLE_DOMAIN or (len(cum_table) > 1 and np.diff(cum_table).min() < 0):
        raise Doc2VecFileError(f"the negative-sampling table does not rise from 0 to {CUM_TABLE_DOMAIN}")
    return counts, sample_int.astype(np.uint32), cum_table.astype(np.uint32)


def _open_directly(folder: Path) -> Opener:
    return lambda name, read: read(folder / name)


def load(folder: Path, open_file: Opener | None = None) -> object:
    """A gensim Doc2Vec for inference rebuilt from a folder's files (see the module's contract); nothing is unpickled.

    open_file(name, read) calls read(folder / name) and may turn a failure into its own error naming the file
    (lib.modelset's opener does); the default calls read directly, so a failure raises Doc2VecFileError, OSError or
    ValueError.
    """
    from gensim.models.doc2vec import Doc2Vec

    open_file = open_file or _open_directly(Path(folder))
    params = open_file(PARAMS, read_params)
    words, index = open_file(WORDS, lambda path: read_words(path, params))
    counts, sample_int, cum_table = open_file(VOCAB, lambda path: read_vocab(path, params))
    rows = params["vocabulary"]
    model = Doc2Vec(
        vector_size=params["vector_size"],
        dm=params["dm"],
        dm_concat=params["dm_concat"],
        dm_tag_count=params["dm_tag_count"],
        dbow_words=params["dbow_words"],
        window=params["window"],
        shrink_windows=params["shrink_windows"],
        epochs=params["epochs"],
        negative=params["negative"],
        hs=params["hs"],
        ns_exponent=params["ns_exponent"],
        sample=params["sample"],
        alpha=params["alpha"],
        min_alpha=params["min_alpha"],
        cbow_mean=params["dm_mean"],
        seed=params["seed"],
        workers=1,
    )
    if model.layer1_size != params["layer1_size"]:
        raise Doc2VecFileError(f"gensim makes layer1_size {model.layer1_size:,}, but {PARAMS} says {params['layer1_size']:,}")
    for name in RECORDED:
        if name in params and (_is_int(params[name]) or params[name] is None):
            setattr(model, name, params[name])
    wv = model.wv
    wv.index_to_key = words
    wv.key_to_index = index
    wv.next_index = rows
    wv.expandos = {"count": counts, "sample_int": sample_int}
    wv.vectors = open_file(WORD_VECTORS, lambda path: read_array(path, "float32", (rows, params["vector_size"]), mmap=True))
    if params["negative"]:
        model.syn1neg = open_file(SYN1NEG, lambda path: read_array(path, "float32", (rows, model.layer1_size), mmap=True))
        model.cum_table = cum_table
    if params["hs"]:
        model.syn1 = open_file(SYN1, lambda path: read_array(path, "float32", (rows, model.layer1_size), mmap=True))
        model.create_binary_tree()
    return model
