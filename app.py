"""Streamlit entry point: the pages of the arXiv topic search app (defined in pages/nav.py)."""

import streamlit as st

import pages.nav as nav
from lib.threads import one_thread_per_library
from pages.streamlit_memory import bound_streamlit_memory

# Many readers share the server: one thread per numerical library, not a spinning pool each (lib/threads.py).
one_thread_per_library()
# What Streamlit remembers stays bounded: the widgets on a session's page, not every row it ever showed, and no lock
# for every query ever cached (pages/streamlit_memory.py).
bound_streamlit_memory()

# Pages that draw a Plotly map, and a blank 10-pixel chart sent before anything slow on a session's first visit to
# one: the browser fetches and compiles Plotly's bundle (4.7 MB of JavaScript, about 1.5 s) while the page's modules
# are imported and its model set is loaded, instead of after the map arrives.
MAP_PAGES = {nav.MAP.url_path, nav.PAPER.url_path}
WARMUP_CHART = {
    "data": [{"type": "scatter", "x": [], "y": []}],
    "layout": {"height": 10, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "xaxis": {"visible": False}, "yaxis": {"visible": False}},
}

st.set_page_config(page_title="arXiv topic search", page_icon=":material/travel_explore:", layout="wide")
navigation = st.navigation([page.st_page() for page in nav.PAGES])
warmup = st.empty()
if navigation.url_path in MAP_PAGES and not st.session_state.get("plotly-warmed"):
    st.session_state["plotly-warmed"] = True
    warmup.plotly_chart(WARMUP_CHART, config={"staticPlot": True})
navigation.run()
warmup.empty()
