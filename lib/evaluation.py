"""Measure a model set on its own papers, side by side with BM25 and TF-IDF baselines.

Known-item search (a paper's title must find that paper), neighbour category precision, how well
clusters match categories, whether a second process ranks the same, and query latency.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.clustering import NOISE
from lib.stages import Log, log_stderr, now_iso
from lib.topic_summaries import primary_category

K = 10
DETERMINISM_QUERIES = 100
ROOT = Path(__file__).resolve().parent.parent
MISSING = "–"
# Archives whose papers normally carry a finer category (cond-mat.str-el); a bare code says little.
SUBDIVIDED_ARCHIVES = frozenset({"cond-mat", "astro-ph", "physics", "math", "cs", "q-bio", "q-fin", "stat", "eess", "econ", "nlin"})


def primary(categories: str) -> str:
    """The primary category: the first of a space-separated list ('' when there is none)."""
    return primary_category(categories) if isinstance(categories, str) else ""


def bare_archive(code: str) -> bool:
    """True for an archive code standing alone although that archive has subcategories (`cond-mat`, `cs`)."""
    return "." not in code and code in SUBDIVIDED_ARCHIVES


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Share of queries whose target is at 1-based rank k or better (None = not found); nan without queries."""
    if not ranks:
        return float("nan")
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks)


def mrr_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Mean reciprocal rank, a target below rank k (or not found) counting 0; nan without queries."""
    if not ranks:
        return float("nan")
    return sum(1.0 / rank for rank in ranks if rank is not None and rank <= k) / len(ranks)


def rank_of(target: str, ranked_ids: Sequence[str]) -> int | None:
    """The 1-based position of `target` in a ranking, or None."""
    for position, paper_id in enumerate(ranked_ids, start=1):
        if paper_id == target:
            return position
    return None


def precision_at_k(ranked: Sequence[object], relevant: set, k: int = K) -> float:
    """Share of the first k ranked items that are relevant (missing slots count as misses)."""
    return sum(1 for item in list(ranked)[:k] if item in relevant) / k


def average_precision(ranked: Sequence[object], relevant: set, k: int) -> float:
    """Average precision over the first k ranked items, divided by min(k, number relevant) (MAP@k's term); 0 without relevant items."""
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for position, item in enumerate(list(ranked)[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / position
    return total / min(k, len(relevant))


def ndcg_at_k(ranked: Sequence[object], relevant: set, k: int = K) -> float:
    """Normalised discounted cumulative gain with binary relevance over the first k ranked items; 0 without relevant items."""
    if not relevant:
        return 0.0
    gain = sum(1.0 / np.log2(position + 1) for position, item in enumerate(list(ranked)[:k], start=1) if item in relevant)
    ideal = sum(1.0 / np.log2(position + 1) for position in range(1, min(k, len(relevant)) + 1))
    return float(gain / ideal)


def neighbour_precision(query_cats: Sequence[str], neighbour_cats: Sequence[Sequence[str]], k: int = K) -> float:
    """Mean over queries of the share of k neighbour slots holding the query's own category (missing ones miss)."""
    if len(query_cats) != len(neighbour_cats):
        raise ValueError("one neighbour list per query category is needed")
    if not query_cats:
        return float("nan")
    shares = [sum(1 for cat in cats[:k] if cat == own) / k for own, cats in zip(query_cats, neighbour_cats, strict=True)]
    return float(np.mean(shares))


def nmi(clusters: Sequence[int], labels: Sequence[str]) -> float:
    """Normalized mutual information (arithmetic mean) of a clustering and labels, rounding noise clipped; nan when empty."""
    from sklearn.metrics import normalized_mutual_info_score

    if len(clusters) == 0:
        return float("nan")
    score = float(normalized_mutual_info_score(list(labels), list(clusters)))
    return min(max(score, 0.0), 1.0)


def clustering_figures(clusters: np.ndarray, primaries: Sequence[str]) -> dict:
    """Cluster count, noise share, NMI with primary category (all clustered / no bare archives), largest share."""
    clusters = np.asarray(clusters)
    primaries = np.asarray(primaries, dtype=object)
    total = len(clusters)
    clustered = clusters != NOISE
    sizes = np.unique(clusters[clustered], return_counts=True)[1]
    specific = clustered & np.array([not bare_archive(code) for code in primaries], dtype=bool)
    return {
        "clusters": len(sizes),
        "noise_share": float(np.mean(~clustered)) if total else float("nan"),
        "nmi": nmi(clusters[clustered], primaries[clustered]),
        "nmi_without_bare_archives": nmi(clusters[specific], primaries[specific]),
        "largest_cluster_share": float(sizes.max() / total) if len(sizes) else 0.0,
        "clustered_papers": int(clustered.sum()),
        "clustered_papers_without_bare_archives": int(specific.sum()),
    }


def differing(first: Sequence[Sequence[str]], second: Sequence[Sequence[str]]) -> int:
    """How many of two equally long lists of rankings differ anywhere (order included)."""
    if len(first) != len(second):
        raise ValueError("both runs must rank the same queries")
    return sum(1 for a, b in zip(first, second, strict=True) if list(a) != list(b))


def latency_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile of wall times, in milliseconds."""
    if not seconds:
        return {"median": float("nan"), "p95": float("nan")}
    values = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {"median": float(np.median(values)), "p95": float(np.percentile(values, 95))}


class TfidfBaseline:
    """Cosine similarity of TF-IDF vectors (title + abstract, uni- and bigrams, English stop words removed)."""

    def __init__(self, titles: Sequence[str], abstracts: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1, stop_words="english", dtype=np.float32)
        texts = (f"{title} {abstract}" for title, abstract in zip(titles, abstracts, strict=True))
        self._documents = self._vectorizer.fit_transform(texts).tocsr()
        self._postings = self._documents.T.tocsr()

    def search(self, query: str, k: int = K) -> list[int]:
        """Rows of the k papers closest to the query text, best first; papers sharing no term are left out."""
        return self._top(self._vectorizer.transform([query]), k)

    def scores(self, query: str) -> np.ndarray:
        """Every paper's cosine similarity to the query text (0 for papers sharing no term), in row order."""
        return np.asarray((self._vectorizer.transform([query]) @ self._postings).toarray(), dtype=np.float32).ravel()

    def similar(self, row: int, k: int = K) -> list[int]:
        """Rows of the k papers closest to paper `row`, itself excluded."""
        return self._top(self._documents[row], k, exclude=row)

    def _top(self, vector, k: int, exclude: int | None = None) -> list[int]:
        scores = (vector @ self._postings).tocsr()
        rows, values = scores.indices, scores.data
        keep = values > 0 if exclude is None else (values > 0) & (rows != exclude)
        rows, values = rows[keep], values[keep]
        if len(rows) > k:
            kth = np.partition(-values, k - 1)[k - 1]
            rows, values = rows[-values <= kth], values[-values <= kth]
        order = np.lexsort((rows, -values))[:k]
        return rows[order].tolist()


class Bm25Baseline:
    """Okapi BM25 over title + abstract, fitted here so that it owes nothing to the engine's own BM25 (`lib/lexical.py`).

    Words are sklearn's CountVectorizer tokens (lower case, two or more letters or digits, English stop words removed);
    idf is Lucene's log(1 + (N - df + 0.5) / (df + 0.5)), which never goes negative for words in most papers. Each
    distinct query word counts once.
    """

    def __init__(self, titles: Sequence[str], abstracts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        from scipy import sparse
        from sklearn.feature_extraction.text import CountVectorizer

        self._vectorizer = CountVectorizer(stop_words="english", dtype=np.float32)
        texts = (f"{title} {abstract}" for title, abstract in zip(titles, abstracts, strict=True))
        counts = sparse.csr_matrix(self._vectorizer.fit_transform(texts), dtype=np.float32)
        n_docs = counts.shape[0]
        lengths = np.asarray(counts.sum(axis=1), dtype=np.float32).ravel()
        mean_length = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        # Each stored count becomes its term's BM25 weight in its paper: idf * tf (k1 + 1) / (tf + k1 (1 - b + b len / mean)).
        norms = np.repeat(k1 * (1 - b + b * lengths / mean_length), np.diff(counts.indptr))
        tf = counts.data
        weights = counts.copy()
        weights.data = (idf[counts.indices] * tf * (k1 + 1) / (tf + norms)).astype(np.float32)
        self._columns = weights.tocsc()
        self._n_docs = n_docs

    def scores(self, query: str) -> np.ndarray:
        """Every paper's BM25 score for the query's distinct words (0 for papers sharing none), in row order."""
        vocabulary = self._vectorizer.vocabulary_
        analyse = self._vectorizer.build_analyzer()
        terms = sorted({vocabulary[word] for word in analyse(query) if word in vocabulary})
        if not terms:
            return np.zeros(self._n_docs, dtype=np.float32)
        return np.asarray(self._columns[:, terms].sum(axis=1), dtype=np.float32).ravel()

    def search(self, query: str, k: int = K) -> list[int]:
        """Rows of the k best-scoring papers, best first, ties by row; papers sharing no word are left out."""
        scores = self.scores(query)
        rows = np.flatnonzero(scores > 0)
        order = np.lexsort((rows, -scores[rows]))[:k]
        return rows[order].tolist()


@dataclass(frozen=True)
class System:
    """One column of the comparison: ranks rows for a text query and (optionally) for a paper."""

    key: str
    label: str
    search: Callable[[str, int], list[int]]
    similar: Callable[[int, int], list[int]] | None
    mode: str | None = None
    in_engine: bool = True


def engine_systems(engine) -> list[System]:
    """The engine's columns: hybrid (the default search), semantic only and BM25."""
    ids = engine.catalogue.papers["id"].astype(str).to_numpy()

    def searcher(mode: str) -> Callable[[str, int], list[int]]:
        return lambda query, k: [hit.row for hit in engine.ranker.search(query, k=k, mode=mode)]

    def neighbours(mode: str) -> Callable[[int, int], list[int]]:
        return lambda row, k: [hit.row for hit in engine.ranker.similar(ids[row], k=k, mode=mode)]

    columns = (("model_set", "model set (hybrid)", "hybrid"), ("semantic", "semantic only", "semantic"), ("bm25", "BM25", "lexical"))
    return [System(key, label, searcher(mode), neighbours(mode), mode) for key, label, mode in columns]


def paper_texts(engine) -> tuple[list[str], list[str]]:
    """The titles and abstracts of an engine's papers in row order ('' where missing), as the baselines read them."""
    papers = engine.catalogue.papers
    return papers["title"].fillna("").astype(str).tolist(), papers["abstract"].fillna("").astype(str).tolist()


def tfidf_system(engine, baseline: TfidfBaseline | None = None) -> System:
    """The TF-IDF column, fitted on the engine's papers unless a baseline already fitted on them is given."""
    baseline = baseline if baseline is not None else TfidfBaseline(*paper_texts(engine))
    return System("tfidf", "TF-IDF", baseline.search, baseline.similar, None, in_engine=False)


def rankings(engine, queries: Sequence[str], modes: dict[str, str], k: int = K) -> dict[str, list[list[str]]]:
    """Top-k paper ids per query for each named search mode of an engine."""
    return {
        key: [[hit.paper_id for hit in engine.ranker.search(query, k=k, mode=mode)] for query in queries] for key, mode in modes.items()
    }


def _child_main() -> None:
    """Entry of the second process: read a spec from stdin, write pid, hash state and rankings to a file."""
    from lib.engine import load_engine

    spec = json.loads(sys.stdin.read())
    result = {
        "pid": os.getpid(),
        "hash_randomization": bool(sys.flags.hash_randomization),
        "rankings": rankings(load_engine(spec["model"]), spec["queries"], spec["modes"]),
    }
    Path(spec["out"]).write_text(json.dumps(result), encoding="utf-8")


def second_process_rankings(model: Path, queries: Sequence[str], modes: dict[str, str | None], timeout: float = 1800) -> dict:
    """Rank the queries in a fresh Python process with its own hash seed; returns its pid, hash state and rankings."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONHASHSEED"}
    with tempfile.TemporaryDirectory(prefix="evaluate-") as folder:
        out = Path(folder) / "rankings.json"
        spec = {"model": str(Path(model).resolve()), "queries": list(queries), "modes": modes, "out": str(out)}
        done = subprocess.run(
            [sys.executable, "-c", "from lib.evaluation import _child_main; _child_main()"],
            input=json.dumps(spec),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0 or not out.is_file():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"second process failed (exit {done.returncode}): {last}")
        return json.loads(out.read_text(encoding="utf-8"))


def _determinism(model: Path, queries: Sequence[str], systems: list[System], first: dict[str, list[list[str]]]) -> dict:
    modes = {system.key: system.mode for system in systems if system.in_engine}
    try:
        child = second_process_rankings(model, queries, modes)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        return {"queries": len(queries), "error": str(exc), "systems": {}}
    per_system = {}
    for key in modes:
        changed = differing(first[key], child["rankings"][key])
        result = "identical" if changed == 0 else f"{changed} of {len(queries)} differ"
        per_system[key] = {"compared": len(queries), "differing": changed, "result": result}
    return {
        "queries": len(queries),
        "parent_pid": os.getpid(),
        "child_pid": child["pid"],
        "child_hash_randomization": child["hash_randomization"],
        "systems": per_system,
    }


def machine_info() -> dict:
    """CPU count, Python version and platform of this machine."""
    return {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def known_item_run(system: System, queries: Sequence[str], targets: Sequence[str], ids: np.ndarray) -> tuple[list, list, list]:
    """Each query's 1-based rank of its target (or None), wall time of the search, and top-k ids."""
    ranks, seconds, top_ids = [], [], []
    for query, target in zip(queries, targets, strict=True):
        tick = time.perf_counter()
        found = system.search(query, K)
        seconds.append(time.perf_counter() - tick)
        ranked = [str(ids[row]) for row in found]
        ranks.append(rank_of(target, ranked))
        top_ids.append(ranked)
    return ranks, seconds, top_ids


def evaluate(
    model: Path, queries: int = 1000, seed: int = 0, log: Log = log_stderr, engine=None, tfidf: TfidfBaseline | None = None
) -> dict:
    """Every figure of the comparison for one model set, JSON-ready (undefined figures are None).

    A caller that also ranks other queries passes the engine it loaded from `model` and the TF-IDF baseline it fitted on
    that engine's papers, so neither is done twice (fitting uni+bigram TF-IDF is the slow part of starting).
    """
    from lib.engine import load_engine

    started = time.perf_counter()

    def step(message: str) -> None:
        log(f"[{time.perf_counter() - started:6.1f}s] {message}")

    engine = engine if engine is not None else load_engine(model)
    papers = engine.catalogue.papers
    n = len(papers)
    ids = papers["id"].astype(str).to_numpy()
    titles = papers["title"].fillna("").astype(str).tolist()
    primaries = [primary(categories) for categories in papers["categories"]]
    sample = np.random.default_rng(seed).choice(n, size=min(queries, n), replace=False).tolist()
    eligible = [row for row in sample if primaries[row] and not bare_archive(primaries[row])]
    checked = sample[: min(DETERMINISM_QUERIES, len(sample))]
    step(f"{engine.name}: {n:,} papers, {len(sample):,} known-item and {len(eligible):,} neighbour queries; fitting TF-IDF")

    systems = [*engine_systems(engine), tfidf_system(engine, tfidf)]
    warm_up = str(papers["abstract"].iloc[sample[0]])[:200] if sample else "warm up"
    known_item, precision, latency, first_rankings = {}, {}, {}, {}
    for system in systems:
        step(f"{system.label}: known-item search")
        system.search(warm_up, K)
        ranks, seconds, top_ids = known_item_run(system, [titles[row] for row in sample], [str(ids[row]) for row in sample], ids)
        first_rankings[system.key] = top_ids[: len(checked)]
        known_item[system.key] = {"recall@1": recall_at_k(ranks, 1), "recall@10": recall_at_k(ranks, K), "mrr@10": mrr_at_k(ranks, K)}
        latency[system.key] = latency_ms(seconds)
        precision[system.key] = None
        if system.similar is not None:
            step(f"{system.label}: nearest papers")
            neighbour_cats = [[primaries[hit] for hit in system.similar(row, K)] for row in eligible]
            precision[system.key] = neighbour_precision([primaries[row] for row in eligible], neighbour_cats, K)

    step(f"determinism: {len(checked)} queries again in a second process")
    determinism = _determinism(Path(model), [titles[row] for row in checked], systems, first_rankings)
    step("done")
    result = {
        "model_set": engine.name,
        "path": str(model),
        "synthetic": bool(engine.catalogue.manifest.get("synthetic", False)),
        "papers": n,
        "seed": seed,
        "params": engine.catalogue.manifest.get("params", {}),
        "queries": {"requested": queries, "known_item": len(sample), "neighbour": len(eligible), "determinism": len(checked)},
        "systems": {system.key: {"label": system.label, "mode": system.mode, "in_engine": system.in_engine} for system in systems},
        "known_item": known_item,
        "neighbour_precision@10": precision,
        "clustering": clustering_figures(papers["cluster"].to_numpy(), primaries),
        "determinism": determinism,
        "latency_ms": latency,
        "machine": machine_info(),
        "date": now_iso(),
        "seconds": round(time.perf_counter() - started, 2),
    }
    return _without_nan(result)


def _without_nan(value: object) -> object:
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nan(item) for item in value]
    return value


def _share(value: float | None) -> str:
    return MISSING if value is None else f"{value:.3f}"


def _ms(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}"


def format_report(result: dict) -> str:
    """A header naming the model set, papers, queries and seed, then the comparison as a markdown table."""
    keys = list(result["systems"])
    counts = result["queries"]
    synthetic = " (synthetic demo data)" if result["synthetic"] else ""
    header = (
        f"model set {result['model_set']}{synthetic}: {result['papers']:,} papers, {counts['known_item']:,} known-item queries, "
        f"{counts['neighbour']:,} neighbour queries, seed {result['seed']}"
    )
    clustering = result["clustering"]
    determinism = result["determinism"]

    def cluster_row(value: str) -> list[str]:
        return [value] + [MISSING] * (len(keys) - 1)

    def determinism_cell(key: str) -> str:
        if not result["systems"][key]["in_engine"]:
            return MISSING
        return "failed" if "error" in determinism else determinism["systems"][key]["result"]

    rows = [
        ("known-item R@1", [_share(result["known_item"][key]["recall@1"]) for key in keys]),
        ("known-item R@10", [_share(result["known_item"][key]["recall@10"]) for key in keys]),
        ("known-item MRR@10", [_share(result["known_item"][key]["mrr@10"]) for key in keys]),
        ("neighbour category P@10", [_share(result["neighbour_precision@10"][key]) for key in keys]),
        ("clusters", cluster_row(str(clustering["clusters"]))),
        ("noise share", cluster_row(_share(clustering["noise_share"]))),
        ("NMI cluster vs primary category", cluster_row(_share(clustering["nmi"]))),
        ("NMI without bare-archive primaries", cluster_row(_share(clustering["nmi_without_bare_archives"]))),
        ("largest cluster share", cluster_row(_share(clustering["largest_cluster_share"]))),
        (f"determinism, 2nd process ({counts['determinism']} queries)", [determinism_cell(key) for key in keys]),
        ("latency median (ms)", [_ms(result["latency_ms"][key]["median"]) for key in keys]),
        ("latency p95 (ms)", [_ms(result["latency_ms"][key]["p95"]) for key in keys]),
    ]
    labels = [result["systems"][key]["label"] for key in keys]
    lines = [header, "", "| | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(keys)]
    lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows]
    if "error" in determinism:
        lines.append(f"\ndeterminism check: {determinism['error']}")
    return "\n".join(lines)


def write_json(result: dict, path: Path) -> None:
    """Write the figures as indented JSON, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
