"""Topic map page: every paper coloured by topic, the query pinned on it, selections listed."""

import streamlit as st

import pages.cache as cache
import pages.nav as nav
import pages.url as url
from lib.figures import QueryPin, SpecFigure, pin_traces, selected_ids, selection_points
from lib.search import MAX_QUERY_CHARS, prepare_query
from lib.selection import mark_button_label, selected_rows
from lib.text import markdown_literal
from pages.mapview import map_overlay
from pages.marks import set_mark
from pages.picker import choose_engine
from pages.widgets import export_buttons, level_control

# A selection may hold a million papers: the table lists this many of them.
MAX_LISTED = 1000
# At most this many papers of a selection are marked at once.
MARK_MAX = 200

HINT = "Drag to select papers (box or lasso in the toolbar), scroll to zoom, double-click to reset."

st.title("Topic map")
engine = choose_engine()
if engine is not None:
    # One row of controls, so the whole map fits in a laptop's first screen under it (lib/figures.py MAP_HEIGHT).
    query_box, focus_box, level_box, legend_box = st.columns([10, 6, 4, 3], vertical_alignment="bottom")
    with level_box:
        level = level_control(engine)
    labels = {topic["id"]: topic["label"] for topic in level.topics}
    query = query_box.text_input(
        "Pin a query on the map", placeholder="e.g. superconductivity in twisted bilayers", **url.bind("map-query", "q", url.value("q"))
    )
    focus_options = [None, *labels]
    focus = focus_box.selectbox(
        "Focus on a topic",
        focus_options,
        format_func=lambda c: "whole map" if c is None else f"{c}: {labels[c]}",
        placeholder="whole map",  # a keyed selectbox shows None, its first option, as no choice
        **url.bind("map-focus", "focus", focus_options[url.index("focus", focus_options)]),
    )
    # Without a legend the labels, in their topics' colours, are the key; the legend lists every topic beside the map.
    legend = legend_box.toggle("Legend", **url.bind("map-legend", "legend", url.value("legend") == "1", lambda on: 1 if on else None))
    if url.value("focus") and not url.index("focus", focus_options):
        st.warning("The topic to focus on in the link does not exist at this topic level; the whole map is shown.")
    prepared = prepare_query(query)
    if url.write(q=prepared.text, focus=focus, legend=1 if legend else None):
        st.info("This query is too long for a link that opens again: a copied link will not reopen it.")
    # The same cached spec every run, whatever the query: Streamlit keeps the chart (its zoom and selection) and sends
    # it again only as a reference to what the browser holds; the pin travels with the view overlay and is drawn over it
    # (a pinned spec was 3.3 MB sent, hashed and drawn again on every query at 20,000 papers: 0.16 against 0.06 s).
    spec = cache.base_map_spec(engine, focus, level.index, legend)
    pins: list[dict] = []
    if prepared.truncated:
        st.info(f"The query was cut at {MAX_QUERY_CHARS:,} characters; only its beginning is placed on the map.")
    placed = False
    if prepared.text:
        location = engine.ranker.locate(prepared.text)
        if location is None:
            st.warning("None of these words is in the model, so the query cannot be placed on the map.")
        else:
            hits = cache.search(engine, prepared.text, 10, (), None)
            pins = pin_traces(engine.catalogue.papers, QueryPin(location.x, location.y, prepared.text, [hit.row for hit in hits]))
            topic = markdown_literal(labels.get(level.group_of.get(location.cluster, -1), "unclustered"))
            # One line (cut with an ellipsis when too long, shown whole on hover), the map's hint behind its help icon.
            st.markdown(f"Your query falls in topic **{topic}**; its 10 best hits are ringed in red.", help=HINT, wrap=False)
            placed = True
    if not placed:
        st.caption(HINT)
    event = st.plotly_chart(SpecFigure(spec), key="map", on_select="rerun", config={"scrollZoom": True})
    map_overlay(engine, level, pins, corner_legend=not legend)
    rows = selected_rows(engine.catalogue.papers["x"].to_numpy(), engine.catalogue.papers["y"].to_numpy(), event)
    if rows is None:
        chosen = selected_ids(selection_points(event))
        count = len(chosen)
    else:
        chosen = engine.catalogue.papers["id"].iloc[rows[:MAX_LISTED]].tolist()
        count = len(rows)
        if not count:
            st.info("No papers in the selected area.")
    if chosen:
        st.subheader(f"{count:,} selected papers")
        if count > len(chosen):
            st.caption(f"The first {len(chosen):,} in map order are listed and in the downloads.")
        export_buttons(engine, engine.catalogue.known_rows(chosen), "map-selection", "selection")
        to_mark = chosen[:MARK_MAX]
        if st.button(mark_button_label(len(to_mark), count)):
            for paper_id in to_mark:
                set_mark(engine, paper_id, 1)
            nav.switch(engine, nav.MARKED)
        listing = engine.catalogue.listing(chosen)
        links = [nav.href(engine, nav.PAPER, id=paper_id) for paper_id in listing["id"]]
        st.dataframe(
            listing.assign(link=links)[["title", "updated", "topic", "link"]],
            hide_index=True,
            column_config={"link": st.column_config.LinkColumn("paper page", display_text="open")},
        )
