"""The model-set picker in the sidebar: which set this view shows, from the link, and its loaded engine.

The URL's `model` names the set (none: the default, the first set that is not broken). A link without one opened
inside a session, as Streamlit's sidebar navigation makes (it drops the query string), shows the set the session
showed last, so moving between pages keeps the chosen set; a copied link opens in a new session, where it names its
set or gets the default.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import pages.cache as cache
import pages.url as url
from lib.engine import Engine
from lib.modelset import ModelSetError, list_model_sets
from lib.settings import current_settings
from lib.text import markdown_literal

BUILD_HINT = (
    "make run    # or: python -m lib demo-data --out data/demo.jsonl.gz && python -m lib build --input data/demo.jsonl.gz --out models/demo"
)
PICKER_KEY = "model_set"
# The set this session showed last: a page opened without `model` (sidebar navigation) shows it again.
SHOWN_KEY = "model_set_shown"


def models_dir() -> Path:
    """Where model sets live: $MODELS_DIR or models/ beside app.py (lib/settings.py)."""
    return current_settings().models_dir


def _picked(default: str) -> None:
    """Put the model set just picked in the URL (none for the default), so the rerun starts from it."""
    name = st.session_state[PICKER_KEY]
    st.session_state[SHOWN_KEY] = name
    url.write(model=name if name != default else None)


def choose_engine() -> Engine | None:
    """Sidebar picker of model sets; returns the loaded engine or None after explaining why not."""
    dropped = url.dropped_link()
    if dropped:
        st.warning(dropped)
    sets = list_model_sets(models_dir())
    if not sets:
        st.info(f"No model set found under {markdown_literal(str(models_dir()), inline=True)}. Build one:")
        st.code(BUILD_HINT, language="bash")
        return None
    names = [info.name for info in sets]
    in_link = url.value("model")
    wanted = in_link or st.session_state.get(SHOWN_KEY, "")
    default = names[next((i for i, info in enumerate(sets) if not info.error), 0)]
    if in_link and in_link not in names:
        st.sidebar.warning("The model set named in the link is not here; showing another.")
    # The URL decides; a keyed picker keeps its identity across runs, and a pick goes to the URL before the rerun.
    st.session_state[PICKER_KEY] = wanted if wanted in names else default

    def describe(name: str) -> str:
        info = sets[names.index(name)]
        if info.error:
            return f"{name} · broken"
        badge = " · synthetic demo data" if info.synthetic else ""
        kind = " · full text" if info.full_text else ""
        return f"{name}{kind} · {info.papers or 0:,} papers · built {(info.created_at or '')[:10]}{badge}"

    name = st.sidebar.selectbox("Model set", names, format_func=describe, key=PICKER_KEY, on_change=_picked, args=(default,))
    st.session_state[SHOWN_KEY] = name
    url.write(model=name if (name != default or in_link) else None)
    info = sets[names.index(name)]
    if info.synthetic:
        st.sidebar.warning("Synthetic demo data: for trying the app, not for research.")
    # Set names and messages (which quote names and paths) are shown as typed, never as Markdown.
    if info.error:
        st.error(markdown_literal(info.error))
        return None
    try:
        engine = cache.loaded_engine(str(info.path), info.created_at)
    except ModelSetError as exc:
        st.error(markdown_literal(str(exc)))
        return None
    for message in engine.catalogue.warnings:
        st.warning(markdown_literal(message))
    return engine
