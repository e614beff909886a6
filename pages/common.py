"""Shared page furniture: the model-set picker in the sidebar and the cached engine."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from lib.modelset import ModelSetError, list_model_sets
from lib.search import Engine, load_engine

ROOT = Path(__file__).resolve().parent.parent

BUILD_HINT = (
    "make run    # or: python -m lib demo-data --out data/demo.jsonl.gz && python -m lib build --input data/demo.jsonl.gz --out models/demo"
)


def models_dir() -> Path:
    """Where model sets live: $MODELS_DIR or models/ beside app.py."""
    return Path(os.environ.get("MODELS_DIR", ROOT / "models"))


@st.cache_resource(show_spinner="Loading model set…")
def cached_engine(path: str, created_at: str | None) -> Engine:
    """One engine per model set per server process, shared by all sessions."""
    return load_engine(path)


def choose_engine() -> Engine | None:
    """Sidebar picker of model sets; returns the loaded engine or None after explaining why not."""
    sets = list_model_sets(models_dir())
    if not sets:
        st.info(f"No model set found under `{models_dir()}`. Build one:")
        st.code(BUILD_HINT, language="bash")
        return None
    names = [info.name for info in sets]
    wanted = st.query_params.get("model")
    index = names.index(wanted) if wanted in names else 0

    def describe(name: str) -> str:
        info = sets[names.index(name)]
        if info.error:
            return f"{name} (broken)"
        badge = " · synthetic demo data" if info.synthetic else ""
        return f"{name} · {info.papers or 0:,} papers · {(info.created_at or '')[:10]}{badge}"

    name = st.sidebar.selectbox("Model set", names, index=index, format_func=describe)
    if name != names[0] or "model" in st.query_params:
        st.query_params["model"] = name
    info = sets[names.index(name)]
    if info.synthetic:
        st.sidebar.warning("Synthetic demo data: for trying the app, not for research.")
    if info.error:
        st.error(info.error)
        return None
    try:
        return cached_engine(str(info.path), info.created_at)
    except ModelSetError as exc:
        st.error(str(exc))
        return None
