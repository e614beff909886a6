"""Benchmark model sets of any size: a real set's papers replicated with new ids, jittered positions and noisy vectors.

Row i of the scaled set is source row i % S (S source papers), replica i // S. Replica 0 is the source itself (same
ids, positions and vectors); every later replica gets ids ending `-r<replica>`, map positions moved by a little
noise scaled to the local spacing of the source points, and unit vectors with a little noise. Texts, topics and
the Doc2Vec model are the source's, BM25 rows are copied with idf recomputed for the new number of papers.

Benchmarks only (`python -m bench.scale_model_set`, tests/test_map_scale.py, tests/test_ann.py): the app never imports it. The files it
writes are those named by lib/setfiles.py, written into `lib.modelset.staged` (committed whole, or removed on failure)
and verified by `lib.modelset` like a built set.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from lib import modelset, setfiles
from lib.ann import ANN_MIN_PAPERS, build_ivf
from lib.clustering import NOISE
from lib.setfiles import BM25_COLUMNS, BM25_IDF, BM25_META, BM25_ROW_NORMS
from lib.stages import Log
from lib.vectors import unit_rows

# Map jitter: standard deviation as a share of each source point's distance to its JITTER_NEIGHBOUR-th nearest point.
COORD_JITTER = 1.0
JITTER_NEIGHBOUR = 5
# Norm of the noise added to a unit vector before it is made unit length again (cosine to the source about 0.995).
VECTOR_NOISE = 0.1
# Rows generated at a time (the papers table is then written as one record batch, as a build writes it).
CHUNK_ROWS = 1 << 20
# The files written anew for the scaled set; every other file the source lists (the Doc2Vec model's) is copied.
REGENERATED = {
    setfiles.PAPERS,
    setfiles.PAPERS_V2,
    setfiles.VECTORS,
    setfiles.MAP,
    setfiles.CLUSTERS,
    setfiles.TOPICS,
    setfiles.LEVELS,
    *setfiles.BM25_FILES,
    *setfiles.ANN_FILES,
}


def replica_id(paper_id: str, replica: int) -> str:
    """The id of a paper's replica: itself for replica 0, else `<id>-r<replica>` (no version suffix to strip)."""
    return paper_id if replica == 0 else f"{paper_id}-r{replica}"


def _chunks(n_rows: int, size: int = CHUNK_ROWS) -> Iterator[tuple[int, int]]:
    for start in range(0, n_rows, size):
        yield start, min(start + size, n_rows)


def jitter_scales(coords: np.ndarray, neighbour: int = JITTER_NEIGHBOUR, share: float = COORD_JITTER) -> np.ndarray:
    """Per source point, the standard deviation of its replicas' map noise: `share` of its distance to a near neighbour."""
    from scipy.spatial import cKDTree

    if len(coords) < 2:
        return np.zeros(len(coords), dtype=np.float64)
    k = min(neighbour, len(coords) - 1)
    distances, _ = cKDTree(coords).query(coords, k=k + 1)
    return share * distances[:, k]


def _scaled_coords(coords: np.ndarray, scales: np.ndarray, start: int, end: int, rng: np.random.Generator) -> np.ndarray:
    rows = np.arange(start, end)
    source, replica = rows % len(coords), rows // len(coords)
    noise = rng.standard_normal((end - start, 2)) * scales[source, None] * (replica > 0)[:, None]
    return (coords[source] + noise).astype(np.float32)


def _scaled_vectors(vectors: np.ndarray, start: int, end: int, rng: np.random.Generator, noise: float) -> np.ndarray:
    rows = np.arange(start, end)
    source, replica = rows % len(vectors), rows // len(vectors)
    block = np.array(vectors[source], dtype=np.float32)
    copies = replica > 0
    jitter = rng.standard_normal(block.shape, dtype=np.float32) * np.float32(noise / np.sqrt(block.shape[1]))
    block[copies] = unit_rows(block[copies] + jitter[copies])
    return block


def _papers_chunk(table: pa.Table, coords: np.ndarray, clusters: np.ndarray, start: int, end: int) -> pa.Table:
    rows = np.arange(start, end)
    source, replica = rows % table.num_rows, rows // table.num_rows
    chunk = table.take(pa.array(source))
    ids = [replica_id(str(paper_id), int(r)) for paper_id, r in zip(chunk.column("id").to_pylist(), replica, strict=True)]
    replaced = {
        "id": pa.array(ids, type=table.schema.field("id").type),
        "x": pa.array(coords[:, 0], type=table.schema.field("x").type),
        "y": pa.array(coords[:, 1], type=table.schema.field("y").type),
        "cluster": pa.array(clusters, type=table.schema.field("cluster").type),
    }
    if "synthetic" in table.schema.names:
        replaced["synthetic"] = pa.array(np.asarray(chunk.column("synthetic").to_numpy(zero_copy_only=False), bool) | (replica > 0))
    for name, values in replaced.items():
        chunk = chunk.set_column(table.schema.get_field_index(name), table.schema.field(name), values)
    return chunk


def _scale_bm25(source: Path, out: Path, n_papers: int) -> dict:
    """Copy BM25 rows to every replica (built column by column), idf and row norms recomputed for n_papers."""
    from scipy import sparse

    meta = json.loads((source / BM25_META).read_text(encoding="utf-8"))
    data, indices, indptr = (np.load(source / BM25_COLUMNS[name], mmap_mode="r") for name in ("data", "indices", "indptr"))
    idf = np.load(source / BM25_IDF).astype(np.float64)
    n_source, n_terms = int(meta["n_docs"]), len(meta["terms"])
    full, rest = divmod(n_papers, n_source)
    counts = np.diff(np.asarray(indptr))
    columns = np.repeat(np.arange(n_terms), counts)
    partial = np.bincount(columns[np.asarray(indices) < rest], minlength=n_terms)
    df = counts * full + partial
    new_idf = np.log1p((n_papers - df + 0.5) / (df + 0.5))
    ratio = np.where(idf > 0, new_idf / np.where(idf > 0, idf, 1), 1.0).astype(np.float32)
    new_indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=new_indptr[1:])
    total = int(new_indptr[-1])
    new_data = np.lib.format.open_memmap(out / BM25_COLUMNS["data"], mode="w+", dtype=np.float32, shape=(total,))
    new_indices = np.lib.format.open_memmap(out / BM25_COLUMNS["indices"], mode="w+", dtype=np.int32, shape=(total,))
    offsets = (np.arange(full, dtype=np.int64) * n_source)[:, None]
    for term in range(n_terms):
        low, high = int(indptr[term]), int(indptr[term + 1])
        if low == high:
            continue
        rows = np.asarray(indices[low:high], dtype=np.int64)
        weights = np.asarray(data[low:high], dtype=np.float32) * ratio[term]
        tail = rows[rows < rest]
        position = int(new_indptr[term])
        block = (offsets + rows).ravel()
        new_indices[position : position + block.size] = block
        new_data[position : position + block.size] = np.tile(weights, full)
        position += block.size
        new_indices[position : position + tail.size] = tail + full * n_source
        new_data[position : position + tail.size] = weights[rows < rest]
    new_data.flush()
    new_indices.flush()
    del new_data, new_indices
    np.save(out / BM25_COLUMNS["indptr"], new_indptr)
    np.save(out / BM25_IDF, new_idf.astype(np.float32))
    scaled = sparse.csc_matrix((np.asarray(data, dtype=np.float32), np.asarray(indices), np.asarray(indptr)), shape=(n_source, n_terms))
    scaled = scaled @ sparse.diags(ratio)
    source_norms = np.sqrt(np.asarray(scaled.multiply(scaled).sum(axis=1)).ravel()).astype(np.float32)
    np.save(out / BM25_ROW_NORMS, source_norms[np.arange(n_papers) % n_source])
    (out / BM25_META).write_text(json.dumps({**meta, "n_docs": n_papers}), encoding="utf-8")
    return {"nonzeros": total, "terms": n_terms}


def _scaled_topics(topics: list[dict], clusters: np.ndarray) -> list[dict]:
    ids, sizes = np.unique(clusters, return_counts=True)
    size_of = dict(zip(ids.tolist(), sizes.tolist(), strict=True))
    return [{**topic, "size": int(size_of.get(topic["id"], 0))} for topic in topics]


def scale_model_set(source: str | Path, out: str | Path, n_papers: int, seed: int = 0, log: Log = print) -> dict:
    """Write a verified model set of n_papers replicated from `source` to `out` (atomically); return its manifest."""
    source, out = Path(source), Path(out)
    if n_papers < 1:
        raise ValueError("n_papers must be at least 1")
    started = time.perf_counter()
    manifest = modelset.verify(source)
    with modelset.staged(out) as staging:
        rng = np.random.default_rng(seed)
        coords = np.load(source / setfiles.MAP).astype(np.float64)
        clusters = np.load(source / setfiles.CLUSTERS)
        vectors = np.load(source / setfiles.VECTORS, mmap_mode="r")
        table = modelset.papers_table(modelset.load_papers_frame(source / modelset.papers_file(manifest)))
        n_source = table.num_rows
        scales = jitter_scales(coords)
        log(f"scaling '{source.name}' ({n_source:,} papers) to {n_papers:,} papers in {out}")
        map_out = np.lib.format.open_memmap(staging / setfiles.MAP, mode="w+", dtype=np.float32, shape=(n_papers, 2))
        vectors_out = np.lib.format.open_memmap(staging / setfiles.VECTORS, mode="w+", dtype=np.float32, shape=(n_papers, vectors.shape[1]))
        new_clusters = clusters[np.arange(n_papers) % n_source].astype(clusters.dtype)
        chunks = []
        for start, end in _chunks(n_papers):
            block = _scaled_coords(coords, scales, start, end, rng)
            map_out[start:end] = block
            vectors_out[start:end] = _scaled_vectors(vectors, start, end, rng, VECTOR_NOISE)
            chunks.append(_papers_chunk(table, block, new_clusters[start:end], start, end))
        modelset.write_papers(pa.concat_tables(chunks), staging / setfiles.PAPERS)
        del chunks
        map_out.flush()
        vectors_out.flush()
        del map_out, vectors_out
        ann = None
        if n_papers >= ANN_MIN_PAPERS:
            ann = build_ivf(np.load(staging / setfiles.VECTORS, mmap_mode="r"), seed, log=log).save(staging)
        topics = _scaled_topics(json.loads((source / setfiles.TOPICS).read_text(encoding="utf-8")), new_clusters)
        modelset.write_topics(staging, new_clusters, topics)
        modelset.write_levels(staging, new_clusters, topics)
        log("BM25 rows")
        bm25 = _scale_bm25(source, staging, n_papers)
        for name in manifest["files"]:
            if name not in REGENERATED:
                shutil.copy2(source / name, staging / name)
        noise = int((new_clusters == NOISE).sum())
        counts = manifest.get("counts") if isinstance(manifest.get("counts"), dict) else {}
        seconds = round(time.perf_counter() - started, 3)
        scaled = modelset.derived_manifest(
            manifest,
            name=out.name,
            synthetic=True,
            scaled_from={
                "name": source.name,
                "path": str(source.resolve()),
                "created_at": manifest.get("created_at"),
                "papers": n_source,
                "seed": seed,
                "replicas": -(-n_papers // n_source),
                "coord_jitter": f"{COORD_JITTER} x distance to the {JITTER_NEIGHBOUR}th nearest source point",
                "vector_noise": VECTOR_NOISE,
                "bm25": "source rows copied; idf and row norms recomputed for the new paper count; average length of the source",
            },
            counts={
                **counts,
                "papers": n_papers,
                "noise": noise,
                "noise_share": round(noise / n_papers, 4),
                "largest_cluster": max((t["size"] for t in topics), default=0),
                "bm25_nonzeros": bm25["nonzeros"],
            },
            stages={"scale": {"seconds": seconds}},
        )
        scaled.pop("ann", None)
        if ann:
            scaled["ann"] = ann
        log("checksums")
        written = modelset.write_manifest(staging, scaled)
    return written
