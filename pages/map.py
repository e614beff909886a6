"""Topic map page: every paper as a point coloured by topic, the query pinned on it, selections listed."""

import streamlit as st

from lib.figures import QueryPin, selected_ids, selection_points, topic_map
from lib.search import MAX_QUERY_CHARS, prepare_query
from lib.text import markdown_literal
from pages.common import cached_search, choose_engine, engine_key, set_url, url_index, url_value

st.title("Topic map")
engine = choose_engine()
if engine is not None:
    labels = {topic["id"]: topic["label"] for topic in engine.topics}
    query = st.text_input("Pin a query on the map", value=url_value("q"), placeholder="e.g. superconductivity in twisted bilayers")
    focus_options = [None, *labels]
    focus = st.selectbox(
        "Focus on a topic",
        focus_options,
        index=url_index("focus", focus_options),
        format_func=lambda c: "whole map" if c is None else f"{c}: {labels[c]}",
    )
    prepared = prepare_query(query)
    set_url(q=prepared.text, focus=focus)
    pin = None
    if prepared.truncated:
        st.info(f"The query was cut at {MAX_QUERY_CHARS:,} characters; only its beginning is placed on the map.")
    if prepared.text:
        location = engine.locate(prepared.text)
        if location is None:
            st.warning("None of these words is in the model, so the query cannot be placed on the map.")
        else:
            hits = cached_search(*engine_key(engine), prepared.text, 10, (), None)
            pin = QueryPin(location.x, location.y, prepared.text, [hit.row for hit in hits])
            topic = markdown_literal(engine.topic_label(location.cluster))
            st.markdown(f"Your query falls in topic **{topic}**; its 10 best hits are ringed in red.")
    st.caption("Drag to select papers (box or lasso in the toolbar), scroll to zoom, double-click to reset.")
    event = st.plotly_chart(topic_map(engine.papers, labels, pin, focus), key="map", on_select="rerun", config={"scrollZoom": True})
    chosen = selected_ids(selection_points(event))
    if chosen:
        st.subheader(f"{len(chosen):,} selected papers")
        st.dataframe(
            engine.listing(chosen)[["title", "updated", "topic", "link"]],
            hide_index=True,
            column_config={"link": st.column_config.LinkColumn("paper page", display_text="open")},
        )
