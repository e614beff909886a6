"""Topics page: every topic with its label and size; one topic's papers, keywords and years."""

import streamlit as st

import pages.nav as nav
import pages.url as url
from lib.text import markdown_literal
from lib.topic_views import counts_over_time, fastest_growing, papers_per_year, period_label, series_name, topic_members, topic_table
from lib.urlstate import parse_ints
from pages.picker import choose_engine
from pages.widgets import export_buttons, level_control, paper_card

PAGE_SIZE = 20
EXPORT_MAX = 10_000


def over_time(engine, level, by_id: dict[int, dict], chosen: int | None) -> None:
    """Papers per topic per year or month for the topics chosen to compare, and the fastest-growing topics."""
    months, clusters = engine.catalogue.months, engine.catalogue.level_clusters(level.index)
    known = months[months > 0]
    if not len(known):
        return
    with st.expander("Topics over time", expanded=bool(url.value("compare") or url.value("grow_from"))):
        wanted, unknown = parse_ints(url.values("compare"), by_id)
        if unknown:
            st.warning(f"Topics to compare in the link that this model set does not have were left out: {url.listed(unknown)}.")
        default = wanted or ([chosen] if chosen is not None else list(by_id)[:5])
        compare = st.multiselect("Topics to compare", list(by_id), default=default, format_func=lambda c: f"{c}: {by_id[c]['label']}")
        by = st.radio("Papers per", ["year", "month"], index=1 if url.value("by") == "month" else 0, horizontal=True)
        url.write(compare=compare if compare != default or wanted else None, by=by if by == "month" else None)
        if compare:
            counts = counts_over_time(months, clusters, compare, by).rename(columns=lambda c: series_name(c, by_id[c]["label"]))
            st.line_chart(counts, x_label=by, y_label="papers", height=260)
        span = list(range(int(known.min()), int(known.max()) + 1))
        labels = {code: period_label(code, "month") for code in span}
        start = next((c for c in span if labels[c] == url.value("grow_from")), span[max(0, len(span) - 24)])
        end = next((c for c in span if labels[c] == url.value("grow_to")), span[-1])
        if len(span) > 1:
            start, end = st.select_slider("Growth window (months)", span, value=(start, max(start, end)), format_func=labels.get)
        url.write(
            grow_from=labels[start] if start != span[max(0, len(span) - 24)] else None, grow_to=labels[end] if end != span[-1] else None
        )
        growing = fastest_growing(months, clusters, level.topics, start, end)
        st.markdown(
            f"**Fastest-growing topics**, {labels[start]} to {labels[end]}: papers in the later half of the window against the earlier."
        )
        if growing.empty:
            st.info("No topic has 10 papers in this window.")
        else:
            st.dataframe(growing.head(15), hide_index=True, column_config={"growth": st.column_config.NumberColumn(format="%.2f×")})


st.title("Topics")
engine = choose_engine()
if engine is not None:
    if not engine.catalogue.topics:
        st.warning("This model set has no topics: clustering found none. Rebuild with a smaller --min-cluster-size.")
        st.stop()
    level = level_control(engine)
    papers = engine.catalogue.papers
    if level.index:
        papers = papers[["id", "x", "y", "update_date"]].assign(cluster=engine.catalogue.level_clusters(level.index))
    by_id = {topic["id"]: topic for topic in level.topics}
    st.dataframe(topic_table(papers, level.topics), hide_index=True, height=300)
    ids = [None, *by_id]
    index = url.index("topic", ids)
    if url.value("topic") and index == 0:
        st.warning("The topic named in the link does not exist in this model set.")
    chosen = st.selectbox(
        "Choose a topic", ids, index=index, format_func=lambda c: "—" if c is None else f"{c}: {by_id[c]['label']} ({by_id[c]['size']:,})"
    )
    url.write(topic=chosen)
    over_time(engine, level, by_id, chosen)
    if chosen is not None:
        topic = by_id[chosen]
        st.subheader(f"Topic {chosen}: {markdown_literal(topic['label'])}")
        st.markdown("**Keywords:** " + markdown_literal(", ".join(topic["keywords"])))
        nav.page_link(engine, nav.MAP, "Show on the map", focus=chosen, level=level.index or None)
        per_year = papers_per_year(papers, chosen)
        if not per_year.empty:
            st.bar_chart(per_year, x_label="year", y_label="papers", height=220)
        members = topic_members(papers, topic)
        rows = engine.catalogue.papers.index.get_indexer(members.index[:EXPORT_MAX]).tolist()
        export_buttons(engine, rows, f"topic-{chosen}", f"topic{chosen}")
        if len(members) > EXPORT_MAX:
            st.caption(f"The downloads hold the {EXPORT_MAX:,} papers closest to the topic's centre.")
        pages = max(1, -(-len(members) // PAGE_SIZE))
        page = st.number_input(f"Page (of {pages}, closest to the topic's centre first)", 1, pages, url.integer("p", 1, 1, pages))
        url.write(p=page if page > 1 else None)
        start = (page - 1) * PAGE_SIZE
        for position in members.index[start : start + PAGE_SIZE]:
            paper_card(engine, engine.catalogue.papers.index.get_loc(position), key=f"t{chosen}")
