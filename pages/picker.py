"""The model-set picker in the sidebar: which set this view shows, from the link, and its loaded engine.

The URL's `model` names the set (none: the default, the first set that is not broken). A link without one opened
inside a session, as Streamlit's sidebar navigation makes (it drops the query string), shows the set the session
showed last, so moving between pages keeps the chosen set; a copied link opens in a new session, where it names its
set or gets the default.

Each page run lists the sets once and loads the chosen one once (pages/cache.py `engine_for`): the page works with
that one engine to its end, so it never mixes two versions of a set that an update swaps in meanwhile, and the next
run shows the new version. The chosen set is described (papers, date) by the engine's own manifest, not the listing,
so the sidebar counts the papers the page searches. A set listed as broken is listed again before it is shown broken:
a listing that read a set's manifest before a swap and its files after sees sizes that do not match.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import pages.cache as cache
import pages.url as url
from lib.engine import Engine, manifest_version
from lib.modelset import FULL_TEXT, ModelSetError, ModelSetInfo, list_model_sets
from lib.settings import current_settings
from lib.text import markdown_literal

BUILD_HINT = (
    "make run    # or: python -m lib demo-data --out data/demo.jsonl.gz && python -m lib build --input data/demo.jsonl.gz --out models/demo"
)
PICKER_KEY = "model_set"
# The set this session showed last: a page opened without `model` (sidebar navigation) shows it again.
SHOWN_KEY = "model_set_shown"
# Listings taken when a set looks broken: a swap is one rename, so a listing that straddled one is followed by one
# that does not (a set that stays broken costs one more listing, a few milliseconds).
LISTINGS = 2


def models_dir() -> Path:
    """Where model sets live: $MODELS_DIR or models/ beside app.py (lib/settings.py)."""
    return current_settings().models_dir


def _picked(default: str) -> None:
    """Put the model set just picked in the URL (none for the default), so the rerun starts from it."""
    name = st.session_state[PICKER_KEY]
    st.session_state[SHOWN_KEY] = name
    url.write(model=name if name != default else None)


def _listing() -> list[ModelSetInfo]:
    """The model sets under models_dir; a set listed broken is listed again (LISTINGS in all) before it counts so."""
    sets = list_model_sets(models_dir())
    for _ in range(LISTINGS - 1):
        if not any(info.error for info in sets):
            break
        again = {info.name: info for info in list_model_sets(models_dir())}
        sets = [again[info.name] if info.error and info.name in again else info for info in sets]
    return sets


def _label(name: str, papers: int | None, created_at: str | None, synthetic: bool, full_text: bool) -> str:
    """A set as the picker shows it: name, kind, papers, date of its last build or update, demo badge."""
    badge = " · synthetic demo data" if synthetic else ""
    kind = " · full text" if full_text else ""
    return f"{name}{kind} · {papers or 0:,} papers · built {(created_at or '')[:10]}{badge}"


def choose_engine() -> Engine | None:
    """Sidebar picker of model sets; returns the loaded engine or None after explaining why not."""
    dropped = url.dropped_link()
    if dropped:
        st.warning(dropped)
    sets = _listing()
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
    chosen = wanted if wanted in names else default
    st.session_state[PICKER_KEY] = chosen
    info = sets[names.index(chosen)]
    # Loaded before the picker is drawn, so that the picker describes the version this run shows.
    engine, problem = None, info.error
    if not problem:
        try:
            engine = cache.engine_for(str(info.path), manifest_version(info.path))
        except ModelSetError as exc:
            problem = str(exc)

    def describe(name: str) -> str:
        if engine is not None and name == chosen:
            manifest = engine.catalogue.manifest
            synthetic, full_text = manifest.get("synthetic") is True, manifest.get("documents") == FULL_TEXT
            return _label(name, len(engine.catalogue), engine.catalogue.created_at, synthetic, full_text)
        listed = sets[names.index(name)]
        if listed.error:
            return f"{name} · broken"
        return _label(name, listed.papers, listed.created_at, listed.synthetic, listed.full_text)

    name = st.sidebar.selectbox("Model set", names, format_func=describe, key=PICKER_KEY, on_change=_picked, args=(default,))
    st.session_state[SHOWN_KEY] = name
    url.write(model=name if (name != default or in_link) else None)
    synthetic = engine.catalogue.manifest.get("synthetic") is True if engine is not None else info.synthetic
    if synthetic:
        st.sidebar.warning("Synthetic demo data: for trying the app, not for research.")
    # Set names and messages (which quote names and paths) are shown as typed, never as Markdown.
    if problem or engine is None:
        st.error(markdown_literal(problem or ""))
        return None
    for message in engine.catalogue.warnings:
        st.warning(markdown_literal(message))
    return engine
