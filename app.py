"""Streamlit entry point: the pages of the arXiv topic search app."""

import streamlit as st

st.set_page_config(page_title="arXiv topic search", page_icon=":material/travel_explore:", layout="wide")
navigation = st.navigation(
    [
        st.Page("pages/search.py", title="Search", icon=":material/search:", default=True),
        st.Page("pages/map.py", title="Topic map", icon=":material/scatter_plot:", url_path="map"),
        st.Page("pages/topics.py", title="Topics", icon=":material/category:", url_path="topics"),
        st.Page("pages/marked.py", title="Marked papers", icon=":material/bookmarks:", url_path="marked"),
        st.Page("pages/paper.py", title="Paper", icon=":material/article:", url_path="paper", visibility="hidden"),
    ]
)
navigation.run()
