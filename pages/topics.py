"""Topics page: every topic with its label and size; one topic's papers, keywords and years."""

import streamlit as st

from lib.text import markdown_literal
from lib.topics import papers_per_year, topic_members, topic_table
from pages.common import MAP_PAGE, choose_engine, export_buttons, paper_card, set_url, url_index, url_int, url_value

PAGE_SIZE = 20
EXPORT_MAX = 10_000

st.title("Topics")
engine = choose_engine()
if engine is not None:
    if not engine.topics:
        st.warning("This model set has no topics: clustering found none. Rebuild with a smaller --min-cluster-size.")
        st.stop()
    by_id = {topic["id"]: topic for topic in engine.topics}
    st.dataframe(topic_table(engine.papers, engine.topics), hide_index=True, height=300)
    ids = [None, *by_id]
    index = url_index("topic", ids)
    if url_value("topic") and index == 0:
        st.warning("The topic named in the link does not exist in this model set.")
    chosen = st.selectbox(
        "Choose a topic", ids, index=index, format_func=lambda c: "—" if c is None else f"{c}: {by_id[c]['label']} ({by_id[c]['size']:,})"
    )
    set_url(topic=chosen)
    if chosen is not None:
        topic = by_id[chosen]
        st.subheader(f"Topic {chosen}: {markdown_literal(topic['label'])}")
        st.markdown("**Keywords:** " + markdown_literal(", ".join(topic["keywords"])))
        st.page_link(MAP_PAGE, label="Show on the map", icon=":material/scatter_plot:", query_params={"focus": str(chosen)})
        per_year = papers_per_year(engine.papers, chosen)
        if not per_year.empty:
            st.bar_chart(per_year, x_label="year", y_label="papers", height=220)
        members = topic_members(engine.papers, topic)
        rows = engine.papers.index.get_indexer(members.index[:EXPORT_MAX]).tolist()
        export_buttons(engine, rows, f"topic-{chosen}", f"topic{chosen}")
        if len(members) > EXPORT_MAX:
            st.caption(f"The downloads hold the {EXPORT_MAX:,} papers closest to the topic's centre.")
        pages = max(1, -(-len(members) // PAGE_SIZE))
        page = st.number_input(f"Page (of {pages}, closest to the topic's centre first)", 1, pages, url_int("p", 1, 1, pages))
        set_url(p=page if page > 1 else None)
        start = (page - 1) * PAGE_SIZE
        for position in members.index[start : start + PAGE_SIZE]:
            paper_card(engine, engine.papers.index.get_loc(position), key=f"t{chosen}")
