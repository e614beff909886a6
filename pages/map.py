"""Topic map page: every paper coloured by topic, the query pinned on it, selections listed."""

import plotly.graph_objects as go
import streamlit as st

from pages.common import (
    MARKED_PAGE,
    cached_engine,
    cached_search,
    choose_engine,
    engine_key,
    export_buttons,
    level_control,
    set_mark,
    set_url,
    url_index,
    url_value,
    with_model,
)

from lib.figures import MAP_COLUMNS, QueryPin, base_map, pin_query, selected_ids, selection_points
from lib.search import MAX_QUERY_CHARS, prepare_query
from lib.selection import mark_button_label, selected_rows
from lib.text import markdown_literal

# A selection may hold a million papers: the table lists this many of them.
MAX_LISTED = 1000
# At most this many papers of a selection are marked at once.
MARK_MAX = 200


@st.cache_data(max_entries=32, show_spinner="Drawing the map…")
def cached_base_map(path: str, created_at: str | None, focus: int | None, level: int = 0) -> dict:
    """The map without a query, per model set, focus and topic level, as a plain dict."""
    engine = cached_engine(path, created_at)
    chosen = engine.level(level)
    papers = engine.papers[MAP_COLUMNS].assign(cluster=chosen.clusters(engine.model_set.clusters)) if level else engine.papers
    return base_map(papers, {topic["id"]: topic["label"] for topic in chosen.topics}, focus).to_dict()


st.title("Topic map")
engine = choose_engine()
if engine is not None:
    level = level_control(engine)
    labels = {topic["id"]: topic["label"] for topic in level.topics}
    query = st.text_input("Pin a query on the map", value=url_value("q"), placeholder="e.g. superconductivity in twisted bilayers")
    focus_options = [None, *labels]
    if url_value("focus") and not url_index("focus", focus_options):
        st.warning("The topic to focus on in the link does not exist at this topic level; the whole map is shown.")
    focus = st.selectbox(
        "Focus on a topic",
        focus_options,
        index=url_index("focus", focus_options),
        format_func=lambda c: "whole map" if c is None else f"{c}: {labels[c]}",
    )
    prepared = prepare_query(query)
    if set_url(q=prepared.text, focus=focus):
        st.info("This query is too long for a link that opens again: a copied link will not reopen it.")
    # Built from the same dict every run, the chart's spec is the same, so Streamlit keeps its selection across reruns.
    figure = go.Figure(cached_base_map(*engine_key(engine), focus, level.index))
    if prepared.truncated:
        st.info(f"The query was cut at {MAX_QUERY_CHARS:,} characters; only its beginning is placed on the map.")
    if prepared.text:
        location = engine.locate(prepared.text)
        if location is None:
            st.warning("None of these words is in the model, so the query cannot be placed on the map.")
        else:
            hits = cached_search(*engine_key(engine), prepared.text, 10, (), None)
            pin_query(figure, engine.papers, QueryPin(location.x, location.y, prepared.text, [hit.row for hit in hits]))
            topic = markdown_literal(labels.get(level.group_of.get(location.cluster, -1), "unclustered"))
            st.markdown(f"Your query falls in topic **{topic}**; its 10 best hits are ringed in red.")
    st.caption("Drag to select papers (box or lasso in the toolbar), scroll to zoom, double-click to reset.")
    event = st.plotly_chart(figure, key="map", on_select="rerun", config={"scrollZoom": True})
    rows = selected_rows(engine.papers["x"].to_numpy(), engine.papers["y"].to_numpy(), event)
    if rows is None:
        chosen = selected_ids(selection_points(event))
        count = len(chosen)
    else:
        chosen = engine.papers["id"].iloc[rows[:MAX_LISTED]].tolist()
        count = len(rows)
        if not count:
            st.info("No papers in the selected area.")
    if chosen:
        st.subheader(f"{count:,} selected papers")
        if count > len(chosen):
            st.caption(f"The first {len(chosen):,} in map order are listed and in the downloads.")
        export_buttons(engine, [row for row in map(engine.row_of, chosen) if row is not None], "map-selection", "selection")
        to_mark = chosen[:MARK_MAX]
        if st.button(mark_button_label(len(to_mark), count)):
            for paper_id in to_mark:
                set_mark(engine, paper_id, 1)
            st.switch_page(MARKED_PAGE, query_params=with_model({}))
        st.dataframe(
            engine.listing(chosen)[["title", "updated", "topic", "link"]],
            hide_index=True,
            column_config={"link": st.column_config.LinkColumn("paper page", display_text="open")},
        )
