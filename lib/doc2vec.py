"""Doc2Vec: training on the corpus file, and query inference that gives the same vector in every process.

Contract. `train_doc2vec` trains gensim's Doc2Vec streaming from a corpus file (lib/corpus.py: line i is the
document of paper i) and fails unless it saw exactly one document per line (lib/vectors.py's `unit_rows` scales its document
vectors to the unit length a model set stores: cosine by dot product). `infer_vector` is gensim's inference
with every random choice seeded from the query's words, so a query's vector does not depend on the process;
it sets the model's random state, so callers sharing one model between threads hold a lock around it (as
`lib.search.Ranker` does). Storing the model is lib/doc2vec_files.py's job.
"""

from __future__ import annotations

import logging
import time
import zlib
from pathlib import Path

import numpy as np
from gensim.models.callbacks import CallbackAny2Vec
from gensim.models.doc2vec import Doc2Vec
from gensim.models.doc2vec_inner import train_document_dbow, train_document_dm, train_document_dm_concat

from lib.params import Doc2VecParams
from lib.stages import Log


class _EpochProgress(CallbackAny2Vec):
    """Reports each finished Doc2Vec epoch with elapsed time."""

    def __init__(self, epochs: int, log: Log) -> None:
        self.epochs, self.log, self.epoch, self.start = epochs, log, 0, time.perf_counter()

    def on_epoch_end(self, model: Doc2Vec) -> None:
        self.epoch += 1
        elapsed = time.perf_counter() - self.start
        step = max(1, self.epochs // 10)
        if self.epoch % step == 0 or self.epoch == self.epochs:
            eta = elapsed / self.epoch * (self.epochs - self.epoch)
            self.log(f"  doc2vec epoch {self.epoch}/{self.epochs}  {elapsed:.0f}s elapsed, ~{eta:.0f}s left")


def train_doc2vec(corpus_file: Path, n_docs: int, params: Doc2VecParams, workers: int, seed: int, log: Log) -> Doc2Vec:
    """Train Doc2Vec streaming from the corpus file; document i is line i."""
    logging.getLogger("gensim").setLevel(logging.WARNING)
    epochs = params.epochs_for(n_docs)
    model = Doc2Vec(
        corpus_file=str(corpus_file),
        dm=params.dm,
        dbow_words=params.dbow_words,
        vector_size=params.vector_size,
        window=params.window,
        min_count=params.min_count,
        epochs=epochs,
        negative=params.negative,
        sample=params.sample,
        max_final_vocab=params.max_final_vocab,
        workers=workers,
        seed=seed,
        callbacks=[_EpochProgress(epochs, log)],
    )
    if len(model.dv) != n_docs:
        raise RuntimeError(f"Doc2Vec saw {len(model.dv)} documents, expected {n_docs}")
    return model


def infer_vector(model, words: list[str]) -> np.ndarray:
    """gensim's inference with every random choice seeded from the words themselves.

    gensim seeds the starting vector with Python's per-process salted `hash`, so the same query
    would rank differently in two processes; here the seed is a CRC of the words.
    """
    size = model.dv.vector_size
    seed = zlib.crc32(" ".join(words).encode("utf-8"))
    start = np.random.Generator(np.random.SFC64(seed)).random(size).astype(np.float32)
    doctag_vectors = ((start - 0.5) / size).reshape(1, size)
    lockf = np.ones(1, dtype=np.float32)
    work = np.zeros(model.layer1_size, dtype=np.float32)
    neu1 = np.zeros(model.layer1_size, dtype=np.float32)
    model.random = np.random.RandomState(seed)
    alpha, epochs = model.alpha, model.epochs
    alpha_delta = (alpha - model.min_alpha) / max(epochs - 1, 1)
    for _ in range(epochs):
        common = {"learn_words": False, "learn_hidden": False, "doctag_vectors": doctag_vectors, "doctags_lockf": lockf}
        if model.sg:
            train_document_dbow(model, words, [0], alpha, work, **common)
        elif model.dm_concat:
            train_document_dm_concat(model, words, [0], alpha, work, neu1, **common)
        else:
            train_document_dm(model, words, [0], alpha, work, neu1, **common)
        alpha -= alpha_delta
    return doctag_vectors[0]
