"""Cached data: one engine per model set per server process, and searches, similar papers, exports and maps per engine.

Shared by every session. Cached functions take the engine itself; Streamlit keys them by its folder and build time
(BY_ENGINE), so a rebuilt set never gets the old set's results.
"""

from __future__ import annotations

import streamlit as st

from lib.engine import Engine, load_engine
from lib.exports import to_bibtex, to_csv
from lib.figures import MAP_COLUMNS, base_map
from lib.search import Hit


def _identity(engine: Engine) -> tuple[str, str | None]:
    """What tells model sets apart in a cache key: the set's folder and build time."""
    return str(engine.catalogue.path), engine.catalogue.created_at


BY_ENGINE = {Engine: _identity}


@st.cache_resource(show_spinner="Loading model set…")
def loaded_engine(path: str, created_at: str | None) -> Engine:
    """The engine of the model set in this folder, built at this time (a rebuilt set is loaded anew)."""
    return load_engine(path)


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


@st.cache_data(max_entries=32, show_spinner="Drawing the map…", hash_funcs=BY_ENGINE)
def base_map_spec(engine: Engine, focus: int | None, level: int = 0) -> dict:
    """The map without a query, per model set, focus and topic level, as a plain dict."""
    catalogue = engine.catalogue
    chosen = catalogue.level(level)
    papers = catalogue.papers[MAP_COLUMNS].assign(cluster=catalogue.level_clusters(level)) if level else catalogue.papers
    return base_map(papers, {topic["id"]: topic["label"] for topic in chosen.topics}, focus).to_dict()
