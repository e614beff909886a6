"""Topic map page: every paper as a point coloured by topic, with the query pinned on it."""

import streamlit as st

from lib.figures import topic_map
from pages.common import choose_engine

st.title("Topic map")
engine = choose_engine()
if engine is not None:
    query = st.text_input("Pin a query on the map", value=st.query_params.get("q", ""))
    location = engine.locate(query) if query.strip() else None
    if query.strip():
        st.query_params["q"] = query
        if location is None:
            st.warning("None of these words is in the model, so the query cannot be placed.")
        else:
            st.caption(f"Your query falls in topic: {engine.topic_label(location.cluster)}")
    labels = {topic["id"]: topic["label"] for topic in engine.topics}
    point = (location.x, location.y) if location else None
    st.plotly_chart(topic_map(engine.papers, labels, point, query), width="stretch")
