"""Cached data: one engine per model set per server process, and searches, similar papers, exports and maps per engine.

Shared by every session. Cached functions take the engine itself; Streamlit keys them by its folder and version
(BY_ENGINE), so a rebuilt or updated set never gets the old set's results.

A set updated or rebuilt while the server runs: the picker lists the sets at the start of every page run and asks
`engine_for` for the version it sees on disk, so the next run after the swap loads the new version, and a run that got the old
engine keeps it to its end (an engine never changes; lib/engine.py). The cache then drops the superseded version of
that folder, so old versions do not pile up: each holds its papers table as Python objects (measured: 1.3 MB, about
1 KB a paper, for the 1,200-paper demo set, so about 1 GB for a million papers), while its memory-mapped arrays cost
nothing once unused.
"""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from lib.engine import Engine, load_engine
from lib.exports import to_bibtex, to_csv
from lib.figures import DEFAULT_MAP_WIDTH, MAP_COLUMNS, MAP_HEIGHT, ServedSpec, base_map, map_topic_places
from lib.interests import Interest
from lib.mapview import TopicPlaces
from lib.search import Hit
from lib.topic_views import counts_over_time, fastest_growing, papers_per_year, topic_members, topic_table
from lib.whats_new import WhatsNew, default_since, new_and_ranked


def _identity(engine: Engine) -> tuple[str, str | None]:
    """What tells model sets apart in a cache key: the set's folder and version (its manifest's sha256; lib/engine.py)."""
    return str(engine.catalogue.path), engine.version or engine.catalogue.created_at


BY_ENGINE = {Engine: _identity}


@st.cache_resource(show_spinner="Loading model set…")
def loaded_engine(path: str, version: str) -> Engine:
    """The engine of the model set in this folder, of this version (a rebuilt or updated set is loaded anew)."""
    return load_engine(path)


# Per folder, the version last handed out as current; when another one is, this one's cache entry is dropped.
_current: dict[str, str] = {}
_current_lock = threading.Lock()


def engine_for(path: str, version: str) -> Engine:
    """The engine of the set in this folder, of the version the picker saw there (`manifest_version`), or a newer one.

    The engine handed out is newer than asked for when the set was swapped between the picker's look and the load:
    it is then not kept under the older key (the next run asks for its own version), and the picker describes the
    set by the engine's own manifest. An engine of the version asked for becomes the folder's current one, and the
    version current before it is dropped from the cache: the sessions that hold it keep it until their run ends.
    """
    engine = loaded_engine(path, version)
    if engine.version != version:
        loaded_engine.clear(path, version)
        return engine
    with _current_lock:
        previous, _current[path] = _current.get(path), version
    if previous is not None and previous != version:
        loaded_engine.clear(path, previous)
    return engine


@st.cache_data(max_entries=2000, show_spinner=False, hash_funcs=BY_ENGINE)
def search(
    engine: Engine, query: str, k: int, categories: tuple[str, ...], years: tuple[int, int] | None, mode: str = "hybrid"
) -> list[Hit]:
    """Search results per model set, query and filters."""
    return engine.ranker.search(query, k=k, categories=categories, years=years, mode=mode)


@st.cache_data(max_entries=2000, show_spinner=False, hash_funcs=BY_ENGINE)
def similar(engine: Engine, paper_id: str | tuple[str, ...], k: int, negative: tuple[str, ...] = ()) -> list[Hit]:
    """More-like-this (or more like these, less like those) results per model set and papers."""
    return engine.ranker.similar(paper_id if isinstance(paper_id, str) else list(paper_id), k=k, negative=list(negative))


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=BY_ENGINE)
def exports(engine: Engine, rows: tuple[int, ...]) -> tuple[bytes, bytes]:
    """CSV and BibTeX of these papers, made once per list (a topic's 10,000 papers take seconds)."""
    records = engine.catalogue.records(list(rows))
    return to_csv(records), to_bibtex(records).encode("utf-8")


# Kept as the object itself, shared by every session (nothing changes it: lib/figures.py `with_pin`, `SpecFigure`), not
# pickled per run as st.cache_data does: unpickling the 20,000-paper map took 0.057 s of every map run.
@st.cache_resource(max_entries=32, show_spinner="Drawing the map…", hash_funcs=BY_ENGINE)
def base_map_spec(
    engine: Engine, focus: int | None, level: int = 0, legend: bool = False, height: int = MAP_HEIGHT, width: int = DEFAULT_MAP_WIDTH
) -> dict:
    """The map without a query, per model set, focus, topic level, whether it has a legend of every topic, and size
    (the height it is drawn at, the width its first labels are placed for), as a dict whose traces are serialised once
    (ServedSpec: 27 ms less of every map run at 20,000 papers)."""
    labels = {topic["id"]: topic["label"] for topic in engine.catalogue.level(level).topics}
    return ServedSpec(base_map(level_papers(engine, level), labels, focus, legend=legend, height=height, width=width).to_dict())


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=BY_ENGINE)
def topic_places(engine: Engine) -> TopicPlaces:
    """Every topic level's label candidates, once per set: the map's labels for any view."""
    return map_topic_places(engine.catalogue)


@st.cache_resource(max_entries=16, show_spinner=False, hash_funcs=BY_ENGINE)
def level_papers(engine: Engine, level: int) -> pd.DataFrame:
    """The set's papers (the map's columns) with each one's topic at this level in `cluster` (the finest level: the
    papers table itself), for the map and the topics page; shared and never changed: a million-row copy per
    topics-page run otherwise."""
    catalogue = engine.catalogue
    if not level:
        return catalogue.papers
    return catalogue.papers[MAP_COLUMNS].assign(cluster=catalogue.level_clusters(level))


# The topics page's tables, once per set and level (or topic) and server, not on every run: every topic's table took
# about 0.3 s at a million papers (a mask and the years of each topic, BENCHMARKS.md).
@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=BY_ENGINE)
def topics_table(engine: Engine, level: int) -> pd.DataFrame:
    """Every topic of a level: id, label, size, categories, years, keywords (lib.topic_views.topic_table)."""
    return topic_table(level_papers(engine, level), engine.catalogue.level(level).topics)


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=BY_ENGINE)
def members_of(engine: Engine, level: int, topic_id: int) -> pd.DataFrame:
    """A topic's papers, closest to its centre first (lib.topic_views.topic_members), shared and never changed."""
    topic = next(topic for topic in engine.catalogue.level(level).topics if topic["id"] == topic_id)
    return topic_members(level_papers(engine, level), topic)


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=BY_ENGINE)
def topic_years(engine: Engine, level: int, topic_id: int) -> pd.Series:
    """How many of a topic's papers were updated in each year (lib.topic_views.papers_per_year)."""
    return papers_per_year(level_papers(engine, level), topic_id)


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=BY_ENGINE)
def topic_counts(engine: Engine, level: int, topic_ids: tuple[int, ...], by: str) -> pd.DataFrame:
    """Papers per topic per year or month for the topics compared (lib.topic_views.counts_over_time)."""
    return counts_over_time(engine.catalogue.months, engine.catalogue.level_clusters(level), list(topic_ids), by)


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=BY_ENGINE)
def growing_topics(engine: Engine, level: int, start: int, end: int) -> pd.DataFrame:
    """Topics ranked by growth over the months [start, end] (lib.topic_views.fastest_growing)."""
    catalogue = engine.catalogue
    return fastest_growing(catalogue.months, catalogue.level_clusters(level), catalogue.level(level).topics, start, end)


@st.cache_data(max_entries=256, show_spinner="Finding what is new…", hash_funcs=BY_ENGINE)
def whats_new(engine: Engine, since: str | None, interest: tuple[str, tuple[str, ...], tuple[str, ...]] | None, limit: int) -> WhatsNew:
    """The papers new since a date (None: the set's default), ranked by an interest given as (name, more, less)."""
    chosen = None if interest is None else Interest(interest[0], interest[1], interest[2])
    return new_and_ranked(engine, since, chosen, limit)


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=BY_ENGINE)
def whats_new_since(engine: Engine) -> str | None:
    """The day What's new starts from by default (the last update's, or the newest week's): a scan of every date once."""
    return default_since(engine.catalogue)
