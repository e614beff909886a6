"""The map's view overlay: the browser reports which part of the topic map is on screen (pages/map_view.js), and the
labels that fit that view and, zoomed in on a large set, its papers (lib/mapview.py) are drawn over the map Streamlit
drew, with the pinned query. The map itself is sent once per set, level and focus; a zoom or a new query sends only
this overlay."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import orjson
import streamlit as st

import pages.cache as cache
from lib.engine import Engine
from lib.figures import MapTopics, legend_entries, map_point_limit, plotly_json, view_overlay
from lib.levels import Level
from lib.mapview import View

# The chart the overlay belongs to: st.plotly_chart(..., key="map") on the map page.
MAP_SELECTOR = ".st-key-map .js-plotly-plot"
_REPORTER = st.components.v2.component("map_view", js=Path(__file__).with_name("map_view.js").read_text(encoding="utf-8"))


def map_overlay(engine: Engine, level: Level, pins: Sequence[dict] = (), key: str = "map-view", corner_legend: bool = True) -> View | None:
    """Draw the pin's traces (lib/figures.py pin_traces: the query and its hits, drawn over everything) and the overlay
    for the view the browser last reported (none before its first report), its labels round the pin's legend when
    that is in the plot's corner (`corner_legend`; else it is beside the map), and keep listening for the next view.
    Returns that view."""
    state = st.session_state.get(key)
    view = View.parse(state.get("view") if hasattr(state, "get") else None)
    data: dict = {"selector": MAP_SELECTOR, "token": None}
    if view is not None:
        catalogue = engine.catalogue
        topics = MapTopics(
            cache.topic_places(engine),
            catalogue.clusters,
            catalogue.level_clusters(level.index),
            level.index,
            {topic["id"]: topic["label"] for topic in level.topics},
        )
        overlay = view_overlay(catalogue.papers, topics, view, map_point_limit(), legend_entries(pins) if corner_legend else [])
        # One JSON text, parsed by the browser: orjson writes 50,000 points in about 0.02 s (Plotly's encoder 0.3 s).
        data = {"selector": MAP_SELECTOR, "overlay": orjson.dumps(overlay, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")}
        data["token"] = hashlib.sha256(data["overlay"].encode("utf-8")).hexdigest()[:16]
    data["pins"] = plotly_json(list(pins)).decode("utf-8")
    _REPORTER(data=data, key=key, on_view_change=lambda: None)
    return view
