"""One Engine shared by many threads (as the app's sessions share it) gives exactly the one-by-one results."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from lib.engine import load_engine
from lib.search import MODES

THREADS = 16
ROUNDS = 3
QUERIES = [
    "language models and machine translation",
    "object detection and image segmentation",
    "message passing graph neural networks",
    "differential privacy homomorphic encryption",
    "query optimization and join ordering",
    "robot motion planning with collision avoidance",
    "quantum error correction with surface codes",
    "unconventional superconductivity in cuprates",
    "nonequilibrium statistical mechanics and fluctuation theorems",
    "galaxies stellar mass dark matter halos",
    "analytic number theory and the zeta function",
    "random walks and stochastic processes",
    "neural coding and brain dynamics",
    "causal inference instrumental variables econometrics",
    "string theory and holography",
    "turbulent boundary layers and vortex shedding",
]


@pytest.fixture(scope="module")
def engine(demo_model_set):
    return load_engine(demo_model_set)


@pytest.fixture(scope="module")
def calls(engine) -> list[tuple]:
    """Every kind of engine call the app makes: searches in each mode (some filtered), placements, more-like-this."""
    category = engine.catalogue.category_options()[0][0]
    years = engine.catalogue.year_bounds()
    middle = (years[0] + 1, years[1] - 1)
    listed = [("vector", query) for query in QUERIES] + [("locate", query) for query in QUERIES]
    for i, query in enumerate(QUERIES):
        listed.append(("search", query, MODES[i % len(MODES)], (), None))
        listed.append(("search", query, MODES[(i + 1) % len(MODES)], (category,) if i % 2 else (), middle if i % 3 == 0 else None))
    ids = engine.catalogue.papers["id"].iloc[:: len(engine.catalogue.papers) // 8].tolist()
    listed += [("similar", paper_id, mode) for paper_id in ids for mode in MODES]
    return listed


def run(engine, call: tuple) -> object:
    """One engine call with its result as plain comparable values (ids, exact float scores, vector bytes)."""
    kind, argument, *rest = call
    if kind == "vector":
        return engine.ranker.query_vector(argument).tobytes()
    if kind == "locate":
        location = engine.ranker.locate(argument)
        return location.x, location.y, location.cluster, [(hit.paper_id, hit.score) for hit in location.neighbours]
    if kind == "search":
        mode, categories, years = rest
        hits = engine.ranker.search(argument, k=20, categories=categories, years=years, mode=mode)
    else:
        hits = engine.ranker.similar(argument, k=20, mode=rest[0])
    return [(hit.paper_id, hit.score) for hit in hits]


def test_sixteen_threads_at_once_get_exactly_the_one_by_one_results(engine, calls) -> None:
    expected = [run(engine, call) for call in calls]
    assert all(expected), "every call must find something, or the comparison proves little"
    start = threading.Barrier(THREADS)

    def worker(seed: int) -> list[tuple[int, object]]:
        order = list(range(len(calls))) * ROUNDS
        random.Random(seed).shuffle(order)
        start.wait()
        return [(i, run(engine, calls[i])) for i in order]

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = [item for done in pool.map(worker, range(THREADS)) for item in done]
    assert len(outcomes) == THREADS * ROUNDS * len(calls)
    wrong = sorted({calls[i][:2] for i, result in outcomes if result != expected[i]})
    assert wrong == [], f"{len(wrong)} calls gave other results under concurrency"


def test_the_same_query_from_every_thread_at_once_gives_one_vector(engine) -> None:
    query = QUERIES[0]
    expected = engine.ranker.query_vector(query).tobytes()
    start = threading.Barrier(THREADS)

    def worker(_: int) -> set[bytes]:
        start.wait()
        return {engine.ranker.query_vector(query).tobytes() for _ in range(20)}

    with ThreadPoolExecutor(THREADS) as pool:
        seen = set().union(*pool.map(worker, range(THREADS)))
    assert seen == {expected}
