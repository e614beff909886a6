"""The app's pages (run through app.py's st.navigation) and the UI modules they share.

Page files (search, map, topics, marked, paper) are thin: they read the view's state from the URL (`url`), pick a
model set (`picker`), ask for cached results (`cache`), draw them with shared widgets (`widgets`, `marks`) and link to
each other only through `nav`. Two small browser-side helpers (Streamlit components with no widget of their own, their
JavaScript beside them): `mapview` reports the map's view and draws the labels and papers computed for it, and
`as_you_type` commits the search box after a pause in typing. Nothing under `lib/` imports Streamlit.

This file is also the one place that works around Streamlit's old pages-folder mode. Streamlit (checked up to
1.67) turns it on for the whole server process when the first session starts and a `pages/` folder lies beside the
main script (`PagesManager.uses_pages_directory`, class-level), and only `st.navigation` turns it off again. In that
mode a request for `/map` runs `pages/map.py` alone, with every file here listed as a page, not through app.py. So
on a fresh server whose first request is a deep link (`/map?model=…`) app.py has not run yet, and there is no
public switch (no config option; `client.showSidebarNavigation` only hides the list). The switch below leaves the
mode and reruns through app.py. It runs when a page first imports anything of this package: the UI modules are
imported as `import pages.x as x`, which ruff's default import order puts before `from lib…` imports, so the rerun
comes before seconds of model-code imports and app.py's Plotly warm-up starts that much earlier (BENCHMARKS.md:
the bundle fetched from 1.98 s instead of 4.57 s on a fresh server's first map). tests/test_pages_mode.py checks
that each page reaches this before importing `lib`, and fails the day Streamlit stops running a `pages/` file on
its own (this switch can then go).
"""

import streamlit as st

try:
    from streamlit.runtime.pages_manager import PagesManager
except ImportError:  # moved in some later Streamlit: tests/test_pages_mode.py says what to do
    PagesManager = None

if PagesManager is not None and getattr(PagesManager, "uses_pages_directory", None):
    PagesManager.uses_pages_directory = False
    st.rerun()
