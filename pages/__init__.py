"""The app's pages (run through app.py's st.navigation) and their shared furniture.

Streamlit treats a `pages/` folder beside the main script as an old-style multipage app until
st.navigation runs, so a deep link that is a fresh server's first request would run a page file on
its own. Importing this package (every page does) switches that mode off and reruns via app.py.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()
